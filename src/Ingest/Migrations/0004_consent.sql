-- Consent is an append-only ledger of events (GDPR Art. 7(1)); the current state is the latest event per purpose.
create table ingest.consent_events (
    id            bigint      generated always as identity primary key,
    account_id    uuid        not null references ingest.accounts (id),
    purpose       text        not null check (purpose in ('cawg.data_mining', 'cawg.ai_inference',
                                                          'cawg.ai_training', 'cawg.ai_generative_training')),
    granted       boolean     not null,
    terms_version text        not null check (char_length(terms_version) between 1 and 40),
    occurred_at   timestamptz not null default now(),
    source        text
);

create index consent_events_latest on ingest.consent_events (account_id, purpose, id desc);

create trigger consent_events_append_only before update or delete on ingest.consent_events
    for each row execute function ingest.reject_change();
create trigger consent_events_no_truncate before truncate on ingest.consent_events
    for each statement execute function ingest.reject_change();
