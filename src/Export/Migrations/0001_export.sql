-- Dataset definitions and every export run with its manifest.
create schema export;

create table export.datasets (
    id          uuid        primary key,
    name        text        not null unique check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    description text        not null,
    purpose     text        not null default 'cawg.ai_training',
    created_at  timestamptz not null default now(),
    created_by  text        not null
);

create table export.runs (
    id           uuid        primary key,
    dataset_id   uuid        not null references export.datasets (id),
    status       text        not null check (status in ('running', 'succeeded', 'failed')),
    requested_by text        not null,
    started_at   timestamptz not null default now(),
    finished_at  timestamptz,
    snapshot_at  timestamptz,
    output       text        not null,
    manifest     jsonb,
    error        text
);

create index runs_dataset on export.runs (dataset_id, started_at desc);
