-- The social network around posts: generations, richer posts, interactions, notifications and reports.
-- Events (partitioned by time) and ranking tables come in their own migrations.

-- An image the server made from a prompt; a post may be made from it (posts.generation_id).
create table ingest.generations (
    id              uuid        primary key,
    account_id      uuid        not null references ingest.accounts (id),
    prompt          text        not null,
    negative_prompt text,
    generator       text        not null,              -- 'offline-renderer' or 'openai'
    model           text        not null,
    size            text        not null,              -- '1024x1024'
    seed            bigint      not null,
    parameters      jsonb       not null default '{}',
    revised_prompt  text,
    media_sha256    text        not null references ingest.media (sha256),
    created_at      timestamptz not null default now()
);

create index generations_account on ingest.generations (account_id, created_at desc);

-- What the media pipeline learns from the pixels (filled at ingest; null for rows stored before it existed).
alter table ingest.media
    add column pdq_hash    bytea check (octet_length(pdq_hash) = 32),
    add column pdq_quality integer,
    add column placeholder text,
    add column frame_count integer not null default 1 check (frame_count >= 1);

alter table ingest.posts
    add column negative_prompt   text,
    add column alt_text          text,
    add column tags              text[]      not null default '{}',
    add column sensitive         boolean     not null default false,
    add column content_warning   text,
    add column remix_of          uuid        references ingest.posts (id),
    add column prompt_visibility text        not null default 'public' check (prompt_visibility in ('public', 'followers', 'private')),
    -- null: the author's consent decides; false: this post is never used for training. A post can narrow, never widen.
    add column allow_training    boolean     check (allow_training is distinct from true),
    add column generation_id     uuid        references ingest.generations (id),
    -- Provenance read from the upload before anything was stripped (IPTC source type, plus:DataMining, C2PA present).
    add column provenance        jsonb,
    add column edited_at         timestamptz,
    -- A deleted post is a tombstone: gone from timelines and endpoints, its media no longer served, its lineage link kept.
    add column deleted_at        timestamptz;

create index posts_remix_of on ingest.posts (remix_of, created_at desc, id desc) where remix_of is not null;
create index posts_author_published on ingest.posts (author_id, published_at desc, id desc) where status = 'published' and deleted_at is null;

-- One row per tag of a post, for the tag timeline; tags are normalised (lower case, no '#').
create table ingest.post_tags (
    tag     text not null check (tag ~ '^[\w]{1,64}$'),
    post_id uuid not null references ingest.posts (id),
    primary key (tag, post_id)
);

create index post_tags_post on ingest.post_tags (post_id);

-- Caption and alt text as they were before each edit.
create table ingest.post_edits (
    id        bigint      generated always as identity primary key,
    post_id   uuid        not null references ingest.posts (id),
    caption   text,
    alt_text  text,
    edited_at timestamptz not null default now()
);

create index post_edits_post on ingest.post_edits (post_id, id);

create table ingest.likes (
    post_id    uuid        not null references ingest.posts (id),
    account_id uuid        not null references ingest.accounts (id),
    created_at timestamptz not null default now(),
    primary key (post_id, account_id)
);

create index likes_account on ingest.likes (account_id, created_at desc);

create table ingest.reposts (
    post_id    uuid        not null references ingest.posts (id),
    account_id uuid        not null references ingest.accounts (id),
    created_at timestamptz not null default now(),
    primary key (post_id, account_id)
);

create index reposts_account on ingest.reposts (account_id, created_at desc);

-- One level of replies: a reply's parent is a top-level comment of the same post.
create table ingest.comments (
    id         uuid        primary key,
    post_id    uuid        not null references ingest.posts (id),
    author_id  uuid        not null references ingest.accounts (id),
    parent_id  uuid        references ingest.comments (id),
    body       text        not null,
    created_at timestamptz not null default now(),
    deleted_at timestamptz
);

create index comments_post on ingest.comments (post_id, created_at, id);

create table ingest.follows (
    follower_id uuid        not null references ingest.accounts (id),
    followee_id uuid        not null references ingest.accounts (id),
    created_at  timestamptz not null default now(),
    primary key (follower_id, followee_id),
    check (follower_id <> followee_id)
);

create index follows_followee on ingest.follows (followee_id, follower_id);

-- A block works both ways: neither account sees nor interacts with the other.
create table ingest.blocks (
    blocker_id uuid        not null references ingest.accounts (id),
    blocked_id uuid        not null references ingest.accounts (id),
    created_at timestamptz not null default now(),
    primary key (blocker_id, blocked_id),
    check (blocker_id <> blocked_id)
);

create index blocks_blocked on ingest.blocks (blocked_id, blocker_id);

-- A mute hides the muted account's posts from the muter's timelines; the muted account notices nothing.
create table ingest.mutes (
    muter_id   uuid        not null references ingest.accounts (id),
    muted_id   uuid        not null references ingest.accounts (id),
    created_at timestamptz not null default now(),
    primary key (muter_id, muted_id),
    check (muter_id <> muted_id)
);

-- Counters kept in step with the rows they count (likes, comments, remixes, reposts in the same transaction;
-- views, shares, clicks and dwell by the event rollup).
create table ingest.post_counters (
    post_id       uuid   primary key references ingest.posts (id),
    like_count    bigint not null default 0,
    comment_count bigint not null default 0,
    remix_count   bigint not null default 0,
    repost_count  bigint not null default 0,
    view_count    bigint not null default 0,
    share_count   bigint not null default 0,
    click_count   bigint not null default 0,
    dwell_count   bigint not null default 0,
    dwell_ms_sum  bigint not null default 0
);

create table ingest.account_counters (
    account_id      uuid   primary key references ingest.accounts (id),
    follower_count  bigint not null default 0,
    following_count bigint not null default 0,
    post_count      bigint not null default 0
);

create table ingest.notifications (
    id         bigint      generated always as identity primary key,
    account_id uuid        not null references ingest.accounts (id),       -- who is told
    kind       text        not null check (kind in ('like', 'comment', 'follow', 'remix', 'moderation')),
    actor_id   uuid        references ingest.accounts (id),
    post_id    uuid        references ingest.posts (id),
    comment_id uuid        references ingest.comments (id),
    detail     jsonb       not null default '{}',
    created_at timestamptz not null default now(),
    read_at    timestamptz
);

create index notifications_account on ingest.notifications (account_id, id desc);

-- Reports from people; the moderation workflow takes them from the outbox (topic 'report.submitted').
create table ingest.reports (
    id           uuid        primary key,
    reporter_id  uuid        not null references ingest.accounts (id),
    subject_type text        not null check (subject_type in ('post', 'comment', 'account')),
    subject_id   uuid        not null,
    reason       text        not null check (reason in ('spam', 'sexual', 'minor-safety', 'violence', 'hate', 'harassment',
                                                         'self-harm', 'creator-rights', 'impersonation-deepfake', 'other')),
    text         text,
    status       text        not null default 'open' check (status in ('open', 'actioned', 'dismissed')),
    outcome      text,
    created_at   timestamptz not null default now(),
    resolved_at  timestamptz
);

create unique index reports_one_open on ingest.reports (reporter_id, subject_type, subject_id) where status = 'open';
create index reports_reporter on ingest.reports (reporter_id, created_at desc);

-- True when either account blocks the other; every read that shows one account's content to another asks this.
create function ingest.blocked_between(a uuid, b uuid) returns boolean
    language sql stable parallel safe
    return exists (select 1 from ingest.blocks where (blocker_id = a and blocked_id = b) or (blocker_id = b and blocked_id = a));
