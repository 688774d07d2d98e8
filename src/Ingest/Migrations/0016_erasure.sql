-- Erasure (GDPR Art. 17): DELETE /me removes a person's personal data. The account row stays as a tombstone (its
-- handle, display name, birth year and password replaced), so the rows that must outlive the person (their tombstoned
-- posts, which others remixed, and the audit log's actor ids) still point at something that says "erased".
alter table ingest.accounts add column erased_at timestamptz;

-- The pseudonymous record of each erasure (subject: lower-hex SHA-256 of the account id's text, as in the consent
-- ledger), which the datasets read to put the person's exported rows on their revocation lists.
create table ingest.erasures (
    subject   text        primary key check (subject ~ '^[0-9a-f]{64}$'),
    erased_at timestamptz not null default now()
);

-- An erased person's posts are tombstones without texts, and their image is deleted once no other post uses it.
alter table ingest.posts alter column prompt drop not null;
alter table ingest.posts alter column media_sha256 drop not null;
alter table ingest.posts add constraint posts_texts_until_deleted
    check (deleted_at is not null or (prompt is not null and media_sha256 is not null));

-- The audit log stays append-only, with one exception: erasure takes the person's name, handle and client address out
-- of the entries about them (actor, subject_id, detail), inside the erasing transaction, which says so with
-- `set local aisocial.erasure = 'on'`. No entry is ever deleted and no other field changes.
create function ingest.audit_log_guard() returns trigger
language plpgsql as $$
begin
    if tg_op = 'UPDATE' and current_setting('aisocial.erasure', true) = 'on'
       and new.id = old.id and new.occurred_at = old.occurred_at and new.actor_id is not distinct from old.actor_id
       and new.action = old.action and new.subject_type = old.subject_type then
        return new;
    end if;
    raise exception '% is append-only', tg_table_schema || '.' || tg_table_name
        using errcode = 'insufficient_privilege';
end
$$;

drop trigger audit_log_append_only on ingest.audit_log;
create trigger audit_log_append_only before update or delete on ingest.audit_log
    for each row execute function ingest.audit_log_guard();
