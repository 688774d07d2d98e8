-- The project's own prompt blocklist, checked by the prompt gate before anything is generated. A term matches whole
-- words of a prompt after both are normalised (letter case, diacritics, punctuation and whitespace); `normalized` is
-- the form that is matched, `term` the one staff entered. Staff edit it from the command line (and later the console).
create table moderation.prompt_blocklist (
    id         bigint      generated always as identity primary key,
    term       text        not null check (length(term) between 1 and 200),
    normalized text        not null unique check (normalized ~ '^[^ ]+( [^ ]+)*$'),
    rule       text        not null check (rule ~ '^[a-z0-9-]{1,64}$'),
    added_by   text        not null,
    added_at   timestamptz not null default now()
);
