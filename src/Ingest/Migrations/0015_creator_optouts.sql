-- Creators' opt-outs: names, aliases and style phrases (kept normalised, see Creators/CreatorNames.cs) and works (kept
-- only as the eight dihedral PDQ hashes of the image, so a rotated or mirrored copy still matches; the image itself is
-- not stored). A claim is pending until staff verify or reject it, and only verified claims that are not removed are
-- enforced: at prompt time, at scan and at export. Removal keeps the row (removed_at) so the audit log and the matches
-- it already had still point at it.
create table ingest.creator_optouts (
    id          uuid        primary key,
    account_id  uuid        not null references ingest.accounts (id),
    kind        text        not null check (kind in ('name', 'alias', 'style', 'work')),
    value       text        not null check (char_length(value) between 1 and 200),
    normalized  text        check (normalized ~ '^[^ ]+( [^ ]+)*$'),
    pdq_hashes  bytea[]     check (cardinality(pdq_hashes) = 8),
    enforcement text        not null default 'refuse' check (enforcement in ('refuse', 'strip')),
    status      text        not null default 'pending' check (status in ('pending', 'verified', 'rejected')),
    reviewed_by uuid        references ingest.accounts (id),
    reviewed_at timestamptz,
    created_at  timestamptz not null default now(),
    removed_at  timestamptz,
    -- A work is its hashes; everything else is its normalised text.
    check ((kind = 'work') = (pdq_hashes is not null) and (kind = 'work') = (normalized is null)),
    check ((status = 'pending') = (reviewed_at is null) and (reviewed_by is null) = (reviewed_at is null))
);

-- The same claim twice is refused while the first stands.
create unique index creator_optouts_once on ingest.creator_optouts (account_id, kind, normalized)
    where removed_at is null and normalized is not null;
create index creator_optouts_account on ingest.creator_optouts (account_id, created_at desc) where removed_at is null;
create index creator_optouts_enforced on ingest.creator_optouts (kind) where status = 'verified' and removed_at is null;
create index creator_optouts_review on ingest.creator_optouts (status, created_at) where removed_at is null;

-- Where an opt-out was found: in a prompt (generation refused, or allowed with the name stripped), in a scanned post,
-- or in an export candidate. What the console shows as an opt-out's matches so far.
create table ingest.creator_optout_matches (
    optout_id     uuid        not null references ingest.creator_optouts (id),
    post_id       uuid        references ingest.posts (id),
    -- No foreign key: a match outlives the generation (a refused prompt has none; erasure may delete one).
    generation_id uuid,
    field         text        not null check (char_length(field) between 1 and 40),
    stage         text        not null check (stage in ('prompt', 'scan', 'export')),
    matched_at    timestamptz not null default now()
);

create index creator_optout_matches_optout on ingest.creator_optout_matches (optout_id, matched_at desc);
create index creator_optout_matches_post on ingest.creator_optout_matches (post_id) where post_id is not null;
