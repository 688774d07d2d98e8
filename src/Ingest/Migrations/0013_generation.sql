-- Generations in flight: each holds one unit of its account's quota until the image is recorded (the reservation is
-- deleted in the same transaction) or the generator fails (deleted then). A process that dies mid-generation leaves
-- its reservation to lapse at expires_at, so a crash never uses up quota for good.
create table ingest.generation_reservations (
    id         uuid        primary key,
    account_id uuid        not null references ingest.accounts (id),
    expires_at timestamptz not null
);

create index generation_reservations_account on ingest.generation_reservations (account_id, expires_at);
