-- PDQ hash banks: known-bad media matched perceptually (Hamming distance between 256-bit PDQ hashes), so a
-- re-encoded or resized copy still matches. Kept apart from the exact SHA-256 banks; a bank name may hold both.
create table moderation.pdq_bank_entries (
    id       bigint      generated always as identity primary key,
    bank     text        not null check (bank ~ '^[a-z0-9_.-]{1,60}$'),
    pdq      text        not null check (pdq ~ '^[0-9a-f]{64}$'),
    reason   text        not null,
    added_by text        not null,
    added_at timestamptz not null default now(),
    unique (bank, pdq)
);
