-- The append-only audit log: every staff action, consent change and export lands here.
create table ingest.audit_log (
    id           bigint      generated always as identity primary key,
    occurred_at  timestamptz not null default now(),
    actor_id     uuid        references ingest.accounts (id),
    actor        text        not null,
    action       text        not null,
    subject_type text        not null,
    subject_id   text        not null,
    detail       jsonb       not null default '{}'
);

create index audit_log_subject on ingest.audit_log (subject_type, subject_id);

create function ingest.reject_change() returns trigger
language plpgsql as $$
begin
    raise exception '% is append-only', tg_table_schema || '.' || tg_table_name
        using errcode = 'insufficient_privilege';
end
$$;

create trigger audit_log_append_only before update or delete on ingest.audit_log
    for each row execute function ingest.reject_change();
create trigger audit_log_no_truncate before truncate on ingest.audit_log
    for each statement execute function ingest.reject_change();
