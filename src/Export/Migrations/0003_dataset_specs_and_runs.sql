-- Datasets become versioned specs, runs become observable and exclusive, and what a run publishes is remembered row by
-- row, so the next run can say which of those rows must now be deleted (its revocations).

-- The whole spec (filters, columns, splits, salt, shard size, schedule, licence) as validated JSON; the plain columns
-- above it stay as the spec's name, description, purpose and sensitivity so existing queries keep working.
alter table export.datasets
    add column spec         jsonb,
    add column spec_version integer     not null default 1,
    add column updated_at   timestamptz not null default now(),
    add column updated_by   text;

-- Every version of every spec, as it was saved: a run names the version it used.
create table export.dataset_specs (
    dataset_id uuid        not null references export.datasets (id),
    version    integer     not null check (version >= 1),
    spec       jsonb       not null,
    created_at timestamptz not null default now(),
    created_by text        not null,
    primary key (dataset_id, version)
);

alter table export.runs drop constraint runs_status_check;
alter table export.runs
    add constraint runs_status_check check (status in ('running', 'succeeded', 'failed', 'cancelled')),
    add column spec_version     integer,
    -- The dataset's semver after this run: removing rows is a major bump, adding rows a minor one, neither a patch.
    add column version          text,
    add column kind             text   not null default 'full' check (kind in ('full', 'incremental')),
    -- The snapshot time of the run an incremental run continues from.
    add column watermark        timestamptz,
    add column phase            text,
    add column rows_seen        bigint not null default 0,
    add column rows_written     bigint not null default 0,
    add column rows_excluded    bigint not null default 0,
    add column bytes_written    bigint not null default 0,
    add column peak_rss_bytes   bigint,
    -- A running run's node touches this; a run whose heartbeat is old was killed and is failed by the next start.
    add column heartbeat_at     timestamptz,
    add column node             text,
    add column cancel_requested boolean not null default false;

-- One run of a dataset at a time, across every node sharing the database.
create unique index runs_one_running on export.runs (dataset_id) where status = 'running';

-- Rows a running run has written, staged until it publishes (binary COPY from the writer; deleted when a run fails).
create table export.run_rows (
    run_id   uuid not null references export.runs (id) on delete cascade,
    row_key  text not null,
    post_id  uuid not null,
    split    text not null check (split in ('train', 'validation', 'test')),
    shard    text not null,
    primary key (run_id, row_key)
);

-- Rows an earlier run published that this run says must be deleted, staged the same way.
create table export.run_revocations (
    run_id  uuid not null references export.runs (id) on delete cascade,
    row_key text not null,
    post_id uuid not null,
    shard   text not null,
    reason  text not null check (reason in ('consent_withdrawn', 'creator_optout', 'erasure', 'moderation', 'report', 'deleted')),
    primary key (run_id, row_key)
);

-- Every row any published run of the dataset shipped, and, once revoked, by which run and why. Filled from run_rows
-- and run_revocations in the transaction that marks a run succeeded.
create table export.published_rows (
    dataset_id     uuid        not null references export.datasets (id),
    row_key        text        not null,
    post_id        uuid        not null,
    run_id         uuid        not null references export.runs (id),
    split          text        not null,
    shard          text        not null,
    published_at   timestamptz not null,
    revoked_run_id uuid references export.runs (id),
    revoked_reason text,
    revoked_at     timestamptz,
    primary key (dataset_id, row_key)
);

create index published_rows_post on export.published_rows (dataset_id, post_id);
create index published_rows_revoked on export.published_rows (dataset_id, revoked_at) where revoked_at is not null;
