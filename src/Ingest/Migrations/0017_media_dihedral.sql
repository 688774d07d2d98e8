-- The PDQ hashes of a stored image's eight dihedral transforms (rotations and mirror images, in PdqHasher.DihedralNames
-- order, 32 bytes each; the first equals pdq_hash), so dataset dedupe finds a rotated or flipped copy. Null for media
-- stored before they were computed: those are matched by pdq_hash alone.
alter table ingest.media
    add column pdq_dihedral bytea check (octet_length(pdq_dihedral) = 256);
