-- Uploads are stored re-encoded from their pixels, so the stored file's hash is no longer the uploaded file's.
-- Shared hash banks hold hashes of original files: each post keeps the SHA-256 of what its author sent.
alter table ingest.posts add column upload_sha256 text check (upload_sha256 ~ '^[0-9a-f]{64}$');
-- Until now the stored file was the uploaded file.
update ingest.posts set upload_sha256 = media_sha256;
alter table ingest.posts alter column upload_sha256 set not null;
create index posts_upload_sha256 on ingest.posts (upload_sha256);
