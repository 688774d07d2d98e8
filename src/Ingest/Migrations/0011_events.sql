-- Interaction events (view, dwell, share, click), written in bulk by binary COPY and rolled up into post_counters.
-- Partitioned by the day the server recorded them (UTC), so an event is never refused for its own timestamp and old
-- days can be detached whole. Raw rows stay queryable: a dataset can take the median dwell from them.
create sequence ingest.events_id_seq as bigint; -- cache 1: ids are handed out in order across sessions (see the rollup)

create table ingest.events (
    id          bigint      not null default nextval('ingest.events_id_seq'),
    recorded_at timestamptz not null default now(),
    at          timestamptz not null,
    post_id     uuid        not null, -- not a foreign key: unknown posts are accepted and the rollup ignores them
    account_id  uuid        not null,
    type        smallint    not null check (type between 1 and 4), -- 1 view, 2 dwell, 3 share, 4 click
    ms          integer     check (ms >= 0),
    check ((type = 2) = (ms is not null))
) partition by range (recorded_at);

alter sequence ingest.events_id_seq owned by ingest.events.id;

-- The rollup reads id ranges; ids grow with time, so a block range index is tiny and costs the writer next to nothing.
create index events_id on ingest.events using brin (id);

-- One partition per UTC day from first_day to last_day (inclusive); days that have one are left alone.
create function ingest.ensure_event_partitions(first_day date, last_day date) returns integer
language plpgsql as $$
declare
    day     date;
    created integer := 0;
begin
    -- Hosts starting together and the scheduled job take turns, so none trips over another's new partition.
    perform pg_advisory_xact_lock(hashtext('ingest.events partitions'));
    for day in select generate_series(first_day, last_day, interval '1 day')::date loop
        if to_regclass(format('ingest.events_%s', to_char(day, 'YYYYMMDD'))) is null then
            execute format(
                'create table ingest.%I partition of ingest.events for values from (%L) to (%L)',
                'events_' || to_char(day, 'YYYYMMDD'),
                day::timestamp at time zone 'UTC', (day + 1)::timestamp at time zone 'UTC');
            created := created + 1;
        end if;
    end loop;
    return created;
end;
$$;

select ingest.ensure_event_partitions((now() at time zone 'UTC')::date - 1, (now() at time zone 'UTC')::date + 7);

-- How far the rollup has counted: every event with an id at or below last_event_id is in post_counters, exactly once.
create table ingest.event_rollup (
    name          text        primary key,
    last_event_id bigint      not null,
    updated_at    timestamptz not null default now()
);

insert into ingest.event_rollup (name, last_event_id) values ('post_counters', 0);

-- Idempotency keys are kept 24 hours, then cleared by a job: after that a key may be used again for a new post.
alter table ingest.posts alter column idempotency_key drop not null;
alter table ingest.posts alter column request_fingerprint drop not null;
alter table ingest.posts add check ((idempotency_key is null) = (request_fingerprint is null));
create index posts_idempotency_expiry on ingest.posts (created_at) where idempotency_key is not null;
