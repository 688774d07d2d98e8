-- Terms versions the platform published: a consent event names one, and a version never published is refused.
-- Published terms never change; a new text is a new version. "Current" is the newest one already in effect.
create table ingest.terms_versions (
    version      text        primary key check (char_length(version) between 1 and 40),
    effective_at timestamptz not null unique,
    text         text        not null check (char_length(text) between 1 and 200000),
    created_at   timestamptz not null default now()
);

create trigger terms_versions_append_only before update or delete on ingest.terms_versions
    for each row execute function ingest.reject_change();
create trigger terms_versions_no_truncate before truncate on ingest.terms_versions
    for each statement execute function ingest.reject_change();

insert into ingest.terms_versions (version, effective_at, text) values ('2026-11', '2026-11-01T00:00:00Z',
$terms$AiSocial terms for the use of your posts (version 2026-11)

You choose, for each purpose below, whether the images you post and their prompts, captions and alt text may be
used for it. Each purpose is separate; you can grant or withdraw each one at any time, and a withdrawal is as easy
as a grant. A withdrawal applies to every dataset made after it; datasets already shipped are told through their
revocation list.

- cawg.data_mining: text and data mining, such as statistics over posts.
- cawg.ai_inference: use as input to an AI model while it runs, for example as a reference image.
- cawg.ai_training: training AI models, other than generative ones.
- cawg.ai_generative_training: training generative AI models that make images or text.

A post you mark as not for training is never used for training, whatever you chose here. Posts that are removed by
moderation, deleted, or made by people under 18 are never used. If you delete your account, your consent ends and
the ledger keeps only a pseudonymous record that it ended.

When these terms change, you are asked again. Until you accept the new terms, what you granted covers only posts
made before the new terms took effect.$terms$);

-- The consent ledger becomes a hash chain: each event carries the previous event's hash and its own, computed over
-- its fields, so an edit or a removed event shows when the chain is walked (ConsentChain in Ingest, `consent verify`).
-- Personal fields enter the hash only through digests: `subject` (SHA-256 of the account id's text) and
-- `client_address_digest` (SHA-256 of a random salt and the address). Erasure nulls account_id, client_address and
-- the salt — the one update the ledger allows — and the chain still verifies.
alter table ingest.consent_events
    alter column account_id drop not null,
    add column subject               text,
    add column source_kind           text,
    add column client_address        text,
    add column client_address_salt   bytea,
    add column client_address_digest bytea,
    add column prev_hash             bytea,
    add column hash                  bytea;

-- What a row's hash covers, in a fixed text form the C# verifier rebuilds on its own (ConsentChain.Hash).
create function ingest.consent_event_hash(prev_hash bytea, id bigint, subject text, purpose text, granted boolean,
                                          terms_version text, source_kind text, client_address_digest bytea,
                                          occurred_at timestamptz) returns bytea
language sql immutable as $$
    select sha256(coalesce(prev_hash, ''::bytea) || convert_to(concat_ws(E'\n',
        'aisocial.consent.v1', id::text, subject, purpose, case when granted then 'granted' else 'withdrawn' end,
        terms_version, source_kind, coalesce(encode(client_address_digest, 'hex'), ''),
        ((extract(epoch from occurred_at) * 1000000)::bigint)::text), 'UTF8'))
$$;

-- Existing events: sources become kinds (the API wrote "api <address> <agent>", the seed and tests anything else), and
-- their hashes are computed in id order. The append-only guard is off only for this.
alter table ingest.consent_events disable trigger consent_events_append_only;

update ingest.consent_events set
    subject = encode(sha256(convert_to(account_id::text, 'UTF8')), 'hex'),
    source_kind = case when source like 'api %' then 'api' else 'import' end,
    client_address = case when source like 'api %' then nullif(split_part(source, ' ', 2), '') end;

update ingest.consent_events set
    client_address_salt = uuid_send(gen_random_uuid()),
    client_address_digest = null
where client_address is not null;
update ingest.consent_events set client_address_digest = sha256(client_address_salt || convert_to(client_address, 'UTF8'))
where client_address is not null;

do $$
declare
    event record;
    previous bytea := null;
begin
    for event in select * from ingest.consent_events order by id loop
        update ingest.consent_events set prev_hash = previous,
            hash = ingest.consent_event_hash(previous, event.id, event.subject, event.purpose, event.granted,
                                             event.terms_version, event.source_kind, event.client_address_digest,
                                             event.occurred_at)
        where id = event.id
        returning hash into previous;
    end loop;
end
$$;

alter table ingest.consent_events enable trigger consent_events_append_only;

alter table ingest.consent_events
    drop column source,
    alter column subject set not null,
    alter column source_kind set not null,
    alter column hash set not null,
    add constraint consent_events_source_kind check (source_kind in ('api', 'web', 'console', 'import', 'erasure')),
    add constraint consent_events_client_address check (char_length(client_address) <= 100),
    -- New events name a published terms version; events from before terms were stored keep what they said.
    add constraint consent_events_terms_version foreign key (terms_version) references ingest.terms_versions (version) not valid;

create index consent_events_subject on ingest.consent_events (subject, id);

-- The head: the newest event and its hash. Its row lock makes concurrent inserts take turns, so they stay one chain,
-- and it shows when the newest event is removed (the chain itself would not).
create table ingest.consent_chain_head (
    only_row boolean primary key default true check (only_row),
    event_id bigint  not null,
    hash     bytea
);

insert into ingest.consent_chain_head (event_id, hash)
select coalesce((select max(id) from ingest.consent_events), 0),
       (select hash from ingest.consent_events order by id desc limit 1);

-- Ids are taken under the head's lock rather than before it, so id order is chain order.
alter table ingest.consent_events alter column id drop identity;
create sequence ingest.consent_event_ids owned by ingest.consent_events.id;
select setval('ingest.consent_event_ids', (select event_id from ingest.consent_chain_head) + 1, false);

create function ingest.chain_consent_event() returns trigger
language plpgsql as $$
declare
    head_hash bytea;
begin
    if new.account_id is null then
        raise exception 'a consent event needs an account' using errcode = 'not_null_violation';
    end if;
    select hash into head_hash from ingest.consent_chain_head for update;
    new.id := nextval('ingest.consent_event_ids');
    new.subject := encode(sha256(convert_to(new.account_id::text, 'UTF8')), 'hex');
    if new.client_address is null then
        new.client_address_salt := null;
        new.client_address_digest := null;
    else
        new.client_address_salt := uuid_send(gen_random_uuid());
        new.client_address_digest := sha256(new.client_address_salt || convert_to(new.client_address, 'UTF8'));
    end if;
    new.prev_hash := head_hash;
    new.hash := ingest.consent_event_hash(new.prev_hash, new.id, new.subject, new.purpose, new.granted,
                                          new.terms_version, new.source_kind, new.client_address_digest, new.occurred_at);
    update ingest.consent_chain_head set event_id = new.id, hash = new.hash;
    return new;
end
$$;

create trigger consent_events_chain before insert on ingest.consent_events
    for each row execute function ingest.chain_consent_event();

-- Append-only, except erasure: nulling an account's personal columns, and nothing else, in one update.
create function ingest.guard_consent_event() returns trigger
language plpgsql as $$
begin
    if tg_op = 'UPDATE' and new.account_id is null and new.client_address is null and new.client_address_salt is null
       and (new.id, new.subject, new.purpose, new.granted, new.terms_version, new.occurred_at, new.source_kind,
            new.client_address_digest, new.prev_hash, new.hash)
           is not distinct from
           (old.id, old.subject, old.purpose, old.granted, old.terms_version, old.occurred_at, old.source_kind,
            old.client_address_digest, old.prev_hash, old.hash) then
        return new;
    end if;
    raise exception 'ingest.consent_events is append-only' using errcode = 'insufficient_privilege';
end
$$;

drop trigger consent_events_append_only on ingest.consent_events;
create trigger consent_events_append_only before update or delete on ingest.consent_events
    for each row execute function ingest.guard_consent_event();
