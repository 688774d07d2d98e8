-- Timelines: the orders they read in, the tag timeline by time, perceptual distance for variations, and the trending
-- snapshots the ranking job writes.

-- Variations: a post published at most a day after an earlier post of its author's whose image is within PDQ distance
-- 31 of its own is collapsed into that post (the group's first, never itself a variation) and shown only through it.
-- Decided once, when the post is published, so a post's place in a timeline never changes under a reader's cursor.
alter table ingest.posts add column variation_of uuid references ingest.posts (id);

create index posts_variations on ingest.posts (variation_of, published_at, id) where variation_of is not null;

-- Public timeline, newest first; the author and remix link ride along, so a page is picked from the index alone and
-- only its own rows are read.
create index posts_timeline on ingest.posts (published_at desc, id desc) include (author_id, remix_of)
    where status = 'published' and deleted_at is null and variation_of is null;

-- Home (one probe per followed author, index only) and profiles.
create index posts_author_timeline on ingest.posts (author_id, published_at desc, id desc) include (remix_of)
    where status = 'published' and deleted_at is null and variation_of is null;

-- Every timeline leaves out suspended authors; the few suspended accounts are found without reading all accounts.
create index accounts_suspended on ingest.accounts (id) where suspended_at is not null;

-- An author's own pending posts, shown to them (marked pending) in their home timeline and on their profile.
create index posts_author_pending on ingest.posts (author_id, created_at desc, id desc)
    where status = 'pending' and deleted_at is null;

-- The tag timeline reads one tag newest first without sorting all its posts: the post's publication time is copied
-- here (null while the post is not public: pending, rejected, removed or deleted) and kept in step by triggers.
alter table ingest.post_tags add column published_at timestamptz;

update ingest.post_tags t
set published_at = p.published_at
from ingest.posts p
where p.id = t.post_id and p.status = 'published' and p.deleted_at is null;

create index post_tags_timeline on ingest.post_tags (tag, published_at desc, post_id desc) where published_at is not null;

create function ingest.post_tags_take_published_at() returns trigger
    language plpgsql as
$$
begin
    select case when p.status = 'published' and p.deleted_at is null then p.published_at end
    into new.published_at
    from ingest.posts p
    where p.id = new.post_id;
    return new;
end
$$;

create trigger post_tags_published_at before insert on ingest.post_tags
    for each row execute function ingest.post_tags_take_published_at();

create function ingest.post_tags_follow_post() returns trigger
    language plpgsql as
$$
begin
    update ingest.post_tags
    set published_at = case when new.status = 'published' and new.deleted_at is null then new.published_at end
    where post_id = new.id;
    return null;
end
$$;

create trigger posts_publication_to_tags after update of status, published_at, deleted_at on ingest.posts
    for each row
    when (old.status is distinct from new.status or old.published_at is distinct from new.published_at
          or old.deleted_at is distinct from new.deleted_at)
    execute function ingest.post_tags_follow_post();

-- Hamming distance between two 256-bit PDQ hashes; posts by one author within distance 31 inside a day are variations.
create function ingest.pdq_distance(a bytea, b bytea) returns integer
    language sql immutable strict parallel safe
    return bit_count(('x' || encode(a, 'hex'))::bit(256) # ('x' || encode(b, 'hex'))::bit(256));

create function ingest.posts_find_variation() returns trigger
    language plpgsql as
$$
begin
    new.variation_of := null;
    if new.status = 'published' and new.published_at is not null and new.deleted_at is null then
        select e.id into new.variation_of
        from ingest.media nm
        join ingest.posts e on e.author_id = new.author_id and e.id <> new.id and e.status = 'published'
            and e.deleted_at is null and e.variation_of is null
            and e.published_at >= new.published_at - interval '1 day' and (e.published_at, e.id) < (new.published_at, new.id)
        join ingest.media em on em.sha256 = e.media_sha256
        where nm.sha256 = new.media_sha256 and ingest.pdq_distance(nm.pdq_hash, em.pdq_hash) <= 31
        order by e.published_at, e.id
        limit 1;
    end if;
    return new;
end
$$;

create trigger posts_variation_on_insert before insert on ingest.posts
    for each row execute function ingest.posts_find_variation();

create trigger posts_variation_on_publish before update of status, published_at on ingest.posts
    for each row
    when (old.status is distinct from new.status or old.published_at is distinct from new.published_at)
    execute function ingest.posts_find_variation();

-- A deleted post's variations stand on their own again.
create function ingest.posts_release_variations() returns trigger
    language plpgsql as
$$
begin
    update ingest.posts set variation_of = null where variation_of = new.id;
    return null;
end
$$;

create trigger posts_release_variations after update of deleted_at on ingest.posts
    for each row
    when (old.deleted_at is null and new.deleted_at is not null)
    execute function ingest.posts_release_variations();

-- Each run of the trending job writes a new generation; readers page through one generation, so a recomputation
-- never moves items under a cursor. Old generations are kept a while for cursors still paging through them.
create table ingest.trending_generations (
    generation  bigint      generated always as identity primary key,
    computed_at timestamptz not null default now(),
    post_count  integer     not null
);

create table ingest.trending_posts (
    generation bigint           not null references ingest.trending_generations (generation) on delete cascade,
    rank       integer          not null check (rank >= 1),
    post_id    uuid             not null references ingest.posts (id),
    score      double precision not null,
    primary key (generation, rank)
);
