-- The clusters a run collapsed: each post it left out as an exact or near copy (SHA-256, or PDQ within the bank's
-- distance, turned or mirrored included), with the earlier post whose row stands for the cluster. Kept with the run
-- it describes; a run that is not published leaves none.
create table export.run_duplicates (
    run_id       uuid not null references export.runs (id) on delete cascade,
    post_id      uuid not null,
    kept_post_id uuid not null,
    primary key (run_id, post_id)
);

create index run_duplicates_kept on export.run_duplicates (run_id, kept_post_id);
