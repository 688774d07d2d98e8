-- A run is planned on one node (in its snapshot) and its shards written by any node: the plan is in the database, so
-- writing a shard needs no snapshot and the run is finished by whichever node writes its last shard.

-- What the snapshot said (counts, consent head, policy and model versions) for whichever node publishes the run.
alter table export.runs
    add column plan        jsonb,
    -- The nodes that wrote its shards (a scheduler's instance id, or machine:pid), in the order they first did.
    add column shard_nodes text[] not null default '{}';

-- Each staged row with everything it holds except the image (its file is content-addressed and immutable while
-- referenced), numbered in its split's order, so a shard's rows are a range of seq.
alter table export.run_rows
    add column seq          bigint,
    add column media_sha256 text,
    add column row_data     jsonb;

create index run_rows_order on export.run_rows (run_id, split, seq);

-- Every shard of a run, named before anything is written (its size is known from the media files' sizes), grouped in
-- ranges that one job writes; a written shard has its size, rows and SHA-256.
create table export.run_shards (
    run_id      uuid    not null references export.runs (id) on delete cascade,
    split       text    not null check (split in ('train', 'validation', 'test')),
    shard_index integer not null,
    of_count    integer not null,
    range_index integer not null,
    first_row   bigint  not null,
    last_row    bigint  not null,
    path        text    not null,
    state       text    not null default 'planned' check (state in ('planned', 'written')),
    node        text,
    rows        bigint,
    bytes       bigint,
    sha256      text,
    written_at  timestamptz,
    primary key (run_id, split, shard_index)
);

create index run_shards_range on export.run_shards (run_id, range_index);
