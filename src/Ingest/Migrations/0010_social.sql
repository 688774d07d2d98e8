-- Lookups the interactions make that 0007's indexes do not serve.

-- Deleting a top-level comment deletes its replies with it.
create index comments_parent on ingest.comments (parent_id) where parent_id is not null;

-- Taking back an unread notification whose cause was undone (a like taken back, an unfollow).
create index notifications_unread_by_actor on ingest.notifications (account_id, actor_id, kind) where read_at is null;
