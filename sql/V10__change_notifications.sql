-- Change notifications for the gateway's in-memory caches (keys, teams,
-- accounts, deployments, router settings). Every instance LISTENs on
-- `alchemi_changes`; a payload names the table, the account and, for keys,
-- the key hashes touched. Changes that only move spend counters are not
-- announced: the caches do not hold spend as truth.

CREATE FUNCTION alchemi.notify_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
    quiet   text[] := ARRAY['spend', 'model_spend', 'updated_at', 'last_active_at'];
BEGIN
    IF TG_OP = 'UPDATE' AND (old_row - quiet) = (new_row - quiet) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('alchemi_changes', json_build_object(
        'table', TG_TABLE_NAME,
        'account_id', coalesce(new_row ->> 'account_id', old_row ->> 'account_id'),
        'tokens', array_remove(ARRAY[new_row ->> 'token', old_row ->> 'token'], NULL)
    )::text);
    RETURN NULL;
END
$$;

DO $$
DECLARE
    watched text;
BEGIN
    FOREACH watched IN ARRAY ARRAY[
        'LiteLLM_VerificationToken', 'LiteLLM_DeprecatedVerificationToken', 'LiteLLM_TeamTable',
        'LiteLLM_UserTable', 'LiteLLM_OrganizationTable', 'LiteLLM_EndUserTable', 'LiteLLM_BudgetTable',
        'LiteLLM_TeamMembership', 'Alchemi_AccountTable', 'LiteLLM_ProxyModelTable', 'LiteLLM_Config',
        'LiteLLM_CredentialsTable', 'LiteLLM_AccessGroupTable']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON public.%I '
            'FOR EACH ROW EXECUTE FUNCTION alchemi.notify_change()', watched);
    END LOOP;
END
$$;
