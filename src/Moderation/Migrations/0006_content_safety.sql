-- The Content Safety blocklist sync's state. moderation.prompt_blocklist is the source; the service's blocklist is a
-- copy kept by a job. Items are the service's items as the last sync left them (its ids are what removal takes);
-- syncs is one row per blocklist with what the last run did, or why it failed.
create table moderation.content_safety_blocklist_items (
    blocklist_name text        not null check (blocklist_name ~ '^[0-9A-Za-z._~-]{1,64}$'),
    item_id        text        not null,
    text           text        not null,
    description    text,
    synced_at      timestamptz not null default now(),
    primary key (blocklist_name, item_id)
);

create table moderation.content_safety_blocklist_syncs (
    blocklist_name  text        primary key check (blocklist_name ~ '^[0-9A-Za-z._~-]{1,64}$'),
    last_run_at     timestamptz not null,
    last_success_at timestamptz,
    created         boolean     not null default false,
    added           integer     not null default 0,
    removed         integer     not null default 0,
    kept            integer     not null default 0,
    skipped         integer     not null default 0,
    last_error      text
);
