-- Tags are letters, digits and underscores of any script. Under the C locale the databases are created with, \w
-- knows only ASCII letters; ICU's root collation gives the regular expression Unicode's classes.
alter table ingest.post_tags drop constraint post_tags_tag_check;
alter table ingest.post_tags add constraint post_tags_tag_check check (tag ~ ('^[\w]{1,64}$' collate "und-x-icu"));

-- The tags the author gave apart from the caption's #tags, so an edited caption can re-derive posts.tags.
alter table ingest.posts add column given_tags text[] not null default '{}';
