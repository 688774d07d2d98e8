-- A staged row's data is written once and read back whole, never queried inside: UTF-8 JSON bytes, not jsonb, which
-- PostgreSQL parsed on COPY and printed again on every read (2.4 s of its CPU to write 20k rows' shards). Its shard is
-- not stored either: it is the run_shards row whose seq range holds it, so planning no longer rewrites every staged row
-- to name it.
alter table export.run_rows
    alter column row_data type bytea using convert_to(row_data::text, 'UTF8'),
    drop column shard;
