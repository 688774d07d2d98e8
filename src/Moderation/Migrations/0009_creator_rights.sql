-- Creators' opt-outs at scan: the creator-rights check scores 1 in category name, style or work when a post holds a
-- verified opt-out (see Checks/CreatorRightsCheck.cs). The default policy holds such a post for a person, ahead of
-- "clean" (which would otherwise publish it): a threshold of 1 ("matched") and a rule "creator-rights" placed just
-- before "reported".
--
-- An active version never changes once it has decided something. So the shipped default (version 1) gains the rule
-- in place only while it is active and has decided nothing yet (a fresh install); anywhere else the rule arrives in a
-- new draft based on the active version, for an admin to review and activate on the Policies page.
do $migration$
declare
    rule constant jsonb := $rule$
    {
      "id": "creator-rights",
      "description": "The post names a creator who opted out (name, alias or style), or is a copy of a work they registered.",
      "when": { "any": [
        { "signal": { "source": "creator-rights", "category": "name", "min": "threshold" } },
        { "signal": { "source": "creator-rights", "category": "style", "min": "threshold" } },
        { "signal": { "source": "creator-rights", "category": "work", "min": "threshold" } }
      ] },
      "then": { "action": "hold", "queue": "general", "priority": 55 }
    }
    $rule$;
    active_version integer;
    active_document jsonb;
    position integer;
    amended jsonb;
begin
    select version, document into active_version, active_document from moderation.policy_versions where state = 'active';
    if active_version is null or active_document -> 'rules' @> jsonb_build_array(jsonb_build_object('id', 'creator-rights')) then
        return;
    end if;

    -- Before "reported" when there is one, else first: a match is held whatever else the rules would decide.
    select coalesce(min(r.index) - 1, 0) into position
    from jsonb_array_elements(active_document -> 'rules') with ordinality as r (value, index)
    where r.value ->> 'id' = 'reported';
    amended := jsonb_insert(jsonb_set(active_document, '{thresholds,creator-rights/*}', '1'), array['rules', position::text], rule);

    if active_version = 1 and not exists (select from moderation.decisions where policy_version = 1) then
        update moderation.policy_versions set document = amended, updated_at = now() where version = 1;
    else
        insert into moderation.policy_versions (version, state, document, description, based_on, created_by)
        select max(version) + 1, 'draft', amended,
               'Adds the creator-rights rule (creators'' opt-outs hold a post for a person) to v' || active_version || '.',
               active_version, 'system:migration'
        from moderation.policy_versions;
    end if;
end
$migration$;
