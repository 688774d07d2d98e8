-- What an account may do can change under a signed-in person: a role taken away, the account suspended, a new password.
-- Each such change replaces the account's security stamp, which ends the console sessions started under the old one;
-- a suspended account also loses every bearer token at once and cannot sign in.
alter table ingest.accounts
    add column security_stamp   uuid        not null default gen_random_uuid(),
    add column suspended_at     timestamptz,
    add column suspended_reason text,
    add check ((suspended_at is null) = (suspended_reason is null));

-- Console sign-ins, kept on the server so that signing out (or a stamp change) ends them whatever the browser kept.
create table ingest.staff_sessions (
    id             uuid        primary key,
    account_id     uuid        not null references ingest.accounts (id) on delete cascade,
    security_stamp uuid        not null,
    started_at     timestamptz not null default now(),
    expires_at     timestamptz not null,
    ended_at       timestamptz,
    ended_reason   text,
    address        text,
    check ((ended_at is null) = (ended_reason is null))
);

create index staff_sessions_live on ingest.staff_sessions (account_id) where ended_at is null;

-- Failed sign-ins per account (by handle, known or not) and per client address, for slowing and locking guessers.
create table ingest.sign_in_failures (
    subject         text        primary key check (subject ~ '^(account|address):'),
    failures        integer     not null check (failures > 0),
    first_failed_at timestamptz not null,
    locked_until    timestamptz
);
