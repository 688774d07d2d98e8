-- Content-addressed media, posts and the transactional outbox that hands new posts to moderation.
create table ingest.media (
    sha256       text        primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text        not null,
    width        integer     not null check (width > 0),
    height       integer     not null check (height > 0),
    byte_size    bigint      not null check (byte_size > 0),
    created_at   timestamptz not null default now()
);

create table ingest.posts (
    id                  uuid        primary key,
    author_id           uuid        not null references ingest.accounts (id),
    media_sha256        text        not null references ingest.media (sha256),
    prompt              text        not null,
    caption             text,
    status              text        not null default 'pending'
                                    check (status in ('pending', 'published', 'rejected', 'removed')),
    created_at          timestamptz not null default now(),
    published_at        timestamptz,
    idempotency_key     text        not null,
    request_fingerprint bytea       not null,
    unique (author_id, idempotency_key),
    check ((status = 'published') = (published_at is not null) or status = 'removed')
);

create index posts_public_timeline on ingest.posts (published_at desc, id desc) where status = 'published';
create index posts_author on ingest.posts (author_id, created_at desc);
create index posts_media on ingest.posts (media_sha256);

-- Consumers lease rows with FOR UPDATE SKIP LOCKED; a lease that expires is taken again, so work is redone, never lost.
create table ingest.outbox (
    id           bigint      generated always as identity primary key,
    topic        text        not null,
    subject_id   uuid        not null,
    created_at   timestamptz not null default now(),
    available_at timestamptz not null default now(),
    leased_until timestamptz,
    lease_owner  text,
    attempts     integer     not null default 0,
    completed_at timestamptz,
    last_error   text
);

create index outbox_ready on ingest.outbox (topic, available_at, id) where completed_at is null;
