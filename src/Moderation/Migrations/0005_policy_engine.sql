-- The policy engine's tables: versioned policies, every decision a version made about a post (live or in shadow), the
-- queues review tasks wait in, and what each signal adds for the engine (a severity level, shadow checks).

-- A policy version is a JSON document of ordered rules (see Policy/PolicyDocument.cs). Drafts are edited in place;
-- once activated a version never changes. Exactly one version is active; at most one draft runs in shadow.
create table moderation.policy_versions (
    version           integer     primary key check (version > 0),
    state             text        not null default 'draft' check (state in ('draft', 'active', 'retired')),
    shadow            boolean     not null default false,
    document          jsonb       not null,
    description       text        not null default '' check (length(description) <= 2000),
    based_on          integer     references moderation.policy_versions (version),
    created_by        text        not null,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    activated_by      text,
    activated_at      timestamptz,
    shadow_started_at timestamptz,
    check (not shadow or state = 'draft'),
    check ((state = 'draft') = (activated_at is null))
);

create unique index policy_versions_one_active on moderation.policy_versions ((true)) where state = 'active';
create unique index policy_versions_one_shadow on moderation.policy_versions ((true)) where shadow;

-- Every evaluation of a post by a policy version: the live one (which acted) and any shadow one (which did not).
-- rule_id is the rule that fired ('default' when none did, or a built-in guard's name); signals_read lists the
-- signals the rule (or guard) looked at; facts are the account facts as they were when the post was scanned.
create table moderation.decisions (
    id             bigint      generated always as identity primary key,
    post_id        uuid        not null references ingest.posts (id),
    policy_version integer     not null references moderation.policy_versions (version),
    mode           text        not null check (mode in ('live', 'shadow')),
    action         text        not null check (action in ('publish', 'publish-sensitive', 'hold', 'reject', 'escalate')),
    rule_id        text        not null,
    queue          text        check (queue ~ '^[a-z0-9-]{1,40}$'),
    priority       integer     check (priority between 0 and 100),
    reason         text        not null,
    signals_read   jsonb       not null default '[]',
    facts          jsonb       not null default '{}',
    created_at     timestamptz not null default now()
);

create index decisions_post on moderation.decisions (post_id, id desc);
create index decisions_version on moderation.decisions (policy_version, mode, created_at desc);

create trigger decisions_append_only before update or delete on moderation.decisions
    for each row execute function ingest.reject_change();

-- Review tasks wait in a named queue ('general', 'minor-safety', 'escalation', ...) and say which decision sent them.
alter table moderation.review_tasks
    add column queue       text   not null default 'general' check (queue ~ '^[a-z0-9-]{1,40}$'),
    add column rule_id     text,
    add column decision_id bigint references moderation.decisions (id);

drop index moderation.review_tasks_queue;
create index review_tasks_queue on moderation.review_tasks (queue, priority desc, created_at, id) where state = 'open';

-- A service that grades in levels (Content Safety: 0-7) keeps the level beside the 0-1 score (level / 7). A check
-- running in shadow stores its signals with shadow = true; the policy never reads them.
alter table moderation.signals
    add column severity smallint check (severity between 0 and 7),
    add column shadow   boolean  not null default false;
