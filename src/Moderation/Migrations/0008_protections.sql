-- Protections no outside service gives: the terms about children that the minor-safety check looks for, and the
-- requests reviewers make to see an image the minor-safety queue hides from them.

-- Terms and phrases about children, matched as whole words after normalisation (letter case, diacritics, punctuation
-- and whitespace, as the prompt blocklist). `language` says where a term comes from, for the staff who extend the
-- list; every term is matched in every text, so a term must not be an everyday word in another language ("kind" in
-- German is "kind" in English, "son" is "are" in Spanish). Ages under 18 written as numbers are matched by the check
-- itself ("12 years old", "12yo", "12 años"...), not listed here.
create table moderation.minor_safety_terms (
    id         bigint      generated always as identity primary key,
    term       text        not null check (length(term) between 1 and 200),
    normalized text        not null unique check (normalized ~ '^[^ ]+( [^ ]+)*$'),
    language   text        not null check (language ~ '^[a-z]{2}(,[a-z]{2})*$'),
    added_by   text        not null,
    added_at   timestamptz not null default now()
);

insert into moderation.minor_safety_terms (term, normalized, language, added_by)
select t.term, t.normalized, t.language, 'migration 0008'
from (values
    -- English, and the euphemisms and code words used to find or sell such material
    ('child', 'child', 'en'), ('children', 'children', 'en'), ('kid', 'kid', 'en'), ('kids', 'kids', 'en'),
    ('kiddie', 'kiddie', 'en'), ('kiddy', 'kiddy', 'en'), ('little girl', 'little girl', 'en'),
    ('little boy', 'little boy', 'en'), ('young girl', 'young girl', 'en'), ('young boy', 'young boy', 'en'),
    ('minor', 'minor', 'en'), ('minors', 'minors', 'en'), ('underage', 'underage', 'en'), ('under age', 'under age', 'en'),
    ('under-18', 'under 18', 'en'), ('u18', 'u18', 'en'), ('preteen', 'preteen', 'en'), ('pre-teen', 'pre teen', 'en'),
    ('teen', 'teen', 'en'), ('teens', 'teens', 'en'), ('teenager', 'teenager', 'en'), ('young teen', 'young teen', 'en'),
    ('tween', 'tween', 'en'), ('toddler', 'toddler', 'en'), ('infant', 'infant', 'en'), ('baby', 'baby', 'en'),
    ('schoolgirl', 'schoolgirl', 'en'), ('schoolboy', 'schoolboy', 'en'), ('school girl', 'school girl', 'en'),
    ('school boy', 'school boy', 'en'), ('elementary school', 'elementary school', 'en'), ('middle school', 'middle school', 'en'),
    ('pubescent', 'pubescent', 'en'), ('prepubescent', 'prepubescent', 'en'), ('barely legal', 'barely legal', 'en'),
    ('jailbait', 'jailbait', 'en'), ('loli', 'loli', 'en'), ('lolis', 'lolis', 'en'), ('lolicon', 'lolicon', 'en'),
    ('lolita', 'lolita', 'en'), ('shota', 'shota', 'en'), ('shotacon', 'shotacon', 'en'), ('nymphet', 'nymphet', 'en'),
    ('cunny', 'cunny', 'en'), ('pthc', 'pthc', 'en'), ('cp', 'cp', 'en'), ('little one', 'little one', 'en'),
    -- Spanish
    ('niño', 'nino', 'es'), ('niña', 'nina', 'es'), ('niños', 'ninos', 'es'), ('niñas', 'ninas', 'es'), ('nene', 'nene', 'es'),
    ('nena', 'nena', 'es'), ('menor', 'menor', 'es'), ('menores', 'menores', 'es,pt'), ('menor de edad', 'menor de edad', 'es'),
    ('adolescente', 'adolescente', 'es,fr,pt,it'), ('adolescentes', 'adolescentes', 'es,fr,pt'), ('colegiala', 'colegiala', 'es'),
    ('colegial', 'colegial', 'es'), ('jovencita', 'jovencita', 'es'), ('chiquilla', 'chiquilla', 'es'), ('bebé', 'bebe', 'es,fr,pt'),
    ('infantil', 'infantil', 'es,pt'),
    -- French
    ('enfant', 'enfant', 'fr'), ('enfants', 'enfants', 'fr'), ('fillette', 'fillette', 'fr'), ('petite fille', 'petite fille', 'fr'),
    ('petit garçon', 'petit garcon', 'fr'), ('gamin', 'gamin', 'fr'), ('gamine', 'gamine', 'fr'), ('mineur', 'mineur', 'fr'),
    ('mineure', 'mineure', 'fr'), ('mineurs', 'mineurs', 'fr'), ('adolescent', 'adolescent', 'fr'), ('écolière', 'ecoliere', 'fr'),
    ('écolier', 'ecolier', 'fr'), ('collégienne', 'collegienne', 'fr'),
    -- German
    ('Kleinkind', 'kleinkind', 'de'), ('kleines Kind', 'kleines kind', 'de'), ('Kinder', 'kinder', 'de'),
    ('kleines Mädchen', 'kleines madchen', 'de'), ('junges Mädchen', 'junges madchen', 'de'), ('kleiner Junge', 'kleiner junge', 'de'),
    ('minderjährig', 'minderjahrig', 'de'), ('Minderjährige', 'minderjahrige', 'de'), ('Jugendliche', 'jugendliche', 'de'),
    ('Schulmädchen', 'schulmadchen', 'de'), ('Schuljunge', 'schuljunge', 'de'), ('Kinderporno', 'kinderporno', 'de'),
    -- Portuguese
    ('criança', 'crianca', 'pt'), ('crianças', 'criancas', 'pt'), ('menino', 'menino', 'pt'), ('menina', 'menina', 'pt'),
    ('meninos', 'meninos', 'pt'), ('meninas', 'meninas', 'pt'), ('menor de idade', 'menor de idade', 'pt'),
    ('garotinha', 'garotinha', 'pt'), ('garotinho', 'garotinho', 'pt'), ('novinha', 'novinha', 'pt'), ('novinho', 'novinho', 'pt'),
    -- Italian
    ('bambino', 'bambino', 'it'), ('bambina', 'bambina', 'it'), ('bambini', 'bambini', 'it'), ('bambine', 'bambine', 'it'),
    ('ragazzina', 'ragazzina', 'it'), ('ragazzino', 'ragazzino', 'it'), ('minorenne', 'minorenne', 'it'),
    ('minorenni', 'minorenni', 'it'), ('scolaretta', 'scolaretta', 'it'), ('bimba', 'bimba', 'it')
) as t (term, normalized, language);

-- A reviewer of the minor-safety queue sees the signals and the text, not the image, until they ask to see it and say
-- why. The request is kept here (and in the audit log); the staff media endpoint serves such a post's image only to a
-- reviewer who has asked.
create table moderation.image_reveals (
    id          bigint      generated always as identity primary key,
    task_id     uuid        not null references moderation.review_tasks (id),
    post_id     uuid        not null references ingest.posts (id),
    reviewer_id uuid        not null references ingest.accounts (id),
    reason      text        not null check (length(reason) between 1 and 500),
    created_at  timestamptz not null default now()
);

create index image_reveals_task on moderation.image_reveals (task_id, reviewer_id);

create trigger image_reveals_append_only before update or delete on moderation.image_reveals
    for each row execute function ingest.reject_change();
