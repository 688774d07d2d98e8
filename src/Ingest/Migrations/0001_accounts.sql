-- Accounts, roles and bearer tokens. Tokens are stored only as SHA-256 hashes.
create schema ingest;

create table ingest.accounts (
    id            uuid        primary key,
    handle        text        not null unique check (handle ~ '^[a-z0-9_]{3,30}$'),
    display_name  text        not null check (char_length(display_name) between 1 and 60),
    birth_year    integer     not null check (birth_year between 1900 and 2100),
    password_hash text        not null,
    created_at    timestamptz not null default now()
);

create table ingest.account_roles (
    account_id uuid        not null references ingest.accounts (id) on delete cascade,
    role       text        not null check (role in ('user', 'creator', 'moderator', 'admin', 'ml_engineer')),
    granted_at timestamptz not null default now(),
    primary key (account_id, role)
);

create table ingest.access_tokens (
    id         uuid        primary key,
    account_id uuid        not null references ingest.accounts (id) on delete cascade,
    token_hash bytea       not null unique,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    revoked_at timestamptz
);

create index access_tokens_account on ingest.access_tokens (account_id);
