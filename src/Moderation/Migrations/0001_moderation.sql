-- Signals from checks, review tasks, labels (every decision, human or policy) and hash banks.
create schema moderation;

-- Quartz's clustered job store provisions its own tables here (prefix quartz.qrtz_).
create schema if not exists quartz;

create table moderation.hash_bank_entries (
    id       bigint      generated always as identity primary key,
    bank     text        not null check (bank ~ '^[a-z0-9_.-]{1,60}$'),
    sha256   text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    reason   text        not null,
    added_by text        not null,
    added_at timestamptz not null default now(),
    unique (bank, sha256)
);

create index hash_bank_entries_sha256 on moderation.hash_bank_entries (sha256);

create table moderation.signals (
    id            bigint      generated always as identity primary key,
    post_id       uuid        not null references ingest.posts (id),
    source        text        not null,
    model_version text        not null,
    category      text        not null,
    score         real        not null check (score between 0 and 1),
    detail        jsonb       not null default '{}',
    created_at    timestamptz not null default now(),
    unique (post_id, source, model_version, category)
);

create table moderation.review_tasks (
    id             uuid        primary key,
    post_id        uuid        not null references ingest.posts (id),
    reason         text        not null,
    priority       integer     not null default 50,
    policy_version text        not null,
    state          text        not null default 'open' check (state in ('open', 'decided')),
    created_at     timestamptz not null default now(),
    decided_at     timestamptz
);

create unique index review_tasks_one_open_per_post on moderation.review_tasks (post_id) where state = 'open';
create index review_tasks_queue on moderation.review_tasks (priority desc, created_at, id) where state = 'open';

create table moderation.labels (
    id             bigint      generated always as identity primary key,
    post_id        uuid        not null references ingest.posts (id),
    task_id        uuid        references moderation.review_tasks (id),
    source         text        not null check (source in ('human', 'policy')),
    reviewer_id    uuid        references ingest.accounts (id),
    decision       text        not null check (decision in ('approve', 'remove', 'reject')),
    policy_version text        not null,
    shown_blurred  boolean,
    note           text,
    created_at     timestamptz not null default now(),
    check ((source = 'human') = (reviewer_id is not null))
);

create index labels_post on moderation.labels (post_id, id desc);

create trigger labels_append_only before update or delete on moderation.labels
    for each row execute function ingest.reject_change();
