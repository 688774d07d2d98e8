-- A dataset says what it is for: its CAWG purpose (the consent its authors must have given, already a column) and
-- whether posts moderation marked sensitive may go in. Without a word, they stay out.
alter table export.datasets add column allow_sensitive boolean not null default false;

comment on column export.datasets.purpose is
    'The CAWG purpose authors must consent to: a cawg.ai_generative_training dataset needs that grant, not only cawg.ai_training.';

alter table export.datasets add constraint datasets_purpose_check
    check (purpose in ('cawg.data_mining', 'cawg.ai_inference', 'cawg.ai_training', 'cawg.ai_generative_training'));
