-- Datasets made before specs existed get a full spec (with a salt of their own) as version 1, so every dataset a run
-- can start has one: the plain columns stay its mirror.
update export.datasets
set spec = jsonb_build_object(
        'name', name,
        'description', description,
        'purpose', purpose,
        'license', 'CC-BY-4.0',
        'filters', jsonb_build_object('tags', '[]'::jsonb, 'from', null, 'to', null, 'includeSensitive', allow_sensitive,
                                      'minLabelConfidence', 0),
        'columns', null,
        'splits', jsonb_build_object('train', 0.8, 'validation', 0.1, 'test', 0.1),
        'salt', md5(id::text || random()::text || clock_timestamp()::text),
        'shardSizeMb', 500,
        'rowGroupMb', 100,
        'schedule', null),
    spec_version = 1,
    updated_by = created_by
where spec is null;

insert into export.dataset_specs (dataset_id, version, spec, created_at, created_by)
select id, spec_version, spec, updated_at, created_by from export.datasets d
where not exists (select 1 from export.dataset_specs s where s.dataset_id = d.id);
