-- The hashes of a run's eligible posts while it is planned, by their place in post-id order: near-duplicates are found
-- in blocks that fit in memory, and each block is compared with the posts after it by reading them back from here, so
-- a planning node holds one block, not the whole dataset. Exact copies are found here too, by sorting on SHA-256.
create table export.run_hashes (
    run_id   uuid    not null references export.runs (id) on delete cascade,
    position integer not null,
    post_id  uuid    not null,
    sha256   bytea   not null,
    pdq      bytea,
    dihedral bytea,
    primary key (run_id, position)
);

-- Every staged row is planned into shards after the copies are taken out, from its estimated size in the Parquet.
alter table export.run_rows add column bytes bigint;
