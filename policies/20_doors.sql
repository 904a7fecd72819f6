-- The only cross-tenant doors: SECURITY DEFINER functions owned by
-- alchemi_owner, with a pinned search_path, EXECUTE revoked from PUBLIC and
-- granted to alchemi_app. They run before a tenant is known and return only
-- what that step needs; everything else happens in a tenant transaction.
--
-- The owner is subject to FORCEd row-level security like everyone else, so
-- each table a door reads carries a `door_lookup` SELECT policy for
-- alchemi_owner (a NOLOGIN role nobody connects as).

DO $$
DECLARE
    door_table text;
BEGIN
    FOREACH door_table IN ARRAY ARRAY[
        'Alchemi_AccountTable', 'Alchemi_AccountSSOConfig', 'Alchemi_AccountAdminTable',
        'LiteLLM_UserTable', 'LiteLLM_VerificationToken', 'LiteLLM_DeprecatedVerificationToken']
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS door_lookup ON public.%I', door_table);
        EXECUTE format('CREATE POLICY door_lookup ON public.%I AS PERMISSIVE FOR SELECT TO alchemi_owner USING (true)', door_table);
    END LOOP;
END
$$;

-- Virtual key → its account. Takes the sha256 hex of the presented key;
-- answers the account and the hash of the key in force (a rotated key's old
-- hash maps to its successor until `revoke_at`). Suspended accounts answer
-- nothing, so their keys stop at the door.
CREATE OR REPLACE FUNCTION alchemi.key_owner(token_hash text)
RETURNS TABLE (account_id uuid, token text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT k.account_id, k.token
      FROM public."LiteLLM_VerificationToken" k
      JOIN public."Alchemi_AccountTable" a ON a.account_id = k.account_id
     WHERE k.token = token_hash AND a.status = 'active'
    UNION ALL
    SELECT d.account_id, d.active_token_id
      FROM public."LiteLLM_DeprecatedVerificationToken" d
      JOIN public."Alchemi_AccountTable" a ON a.account_id = d.account_id
     WHERE d.token = token_hash AND d.revoke_at > now() AND a.status = 'active'
    LIMIT 1
$$;

-- Login email → the account it signs in to, and whether that account uses
-- SSO. The email's domain decides first, then an account-admin entry, then
-- a user entry; an email that matches several accounts at the same step
-- answers nothing (the caller asks for a password and checks each).
CREATE OR REPLACE FUNCTION alchemi.login_account(email text)
RETURNS TABLE (account_id uuid, sso_enabled boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH candidate AS (
        SELECT a.account_id, 1 AS step
          FROM public."Alchemi_AccountTable" a
         WHERE a.domain = lower(split_part(email, '@', 2)) AND a.status = 'active'
        UNION
        SELECT m.account_id, 2
          FROM public."Alchemi_AccountAdminTable" m
          JOIN public."Alchemi_AccountTable" a ON a.account_id = m.account_id
         WHERE lower(m.user_email) = lower(email) AND a.status = 'active'
        UNION
        SELECT u.account_id, 3
          FROM public."LiteLLM_UserTable" u
          JOIN public."Alchemi_AccountTable" a ON a.account_id = u.account_id
         WHERE lower(u.user_email) = lower(email) AND a.status = 'active'
    ), first_step AS (
        SELECT c.account_id FROM candidate c
         WHERE c.step = (SELECT min(step) FROM candidate)
    )
    SELECT f.account_id, coalesce(s.enabled, false)
      FROM first_step f
      LEFT JOIN public."Alchemi_AccountSSOConfig" s ON s.account_id = f.account_id
     WHERE (SELECT count(*) FROM first_step) = 1
$$;

-- Spend → the current account's running total. The registry is read-only to
-- tenants; this adds to the row of the transaction's own account and nothing
-- else (the spend writer calls it in the same transaction as the spend logs).
DROP POLICY IF EXISTS door_spend ON public."Alchemi_AccountTable";
CREATE POLICY door_spend ON public."Alchemi_AccountTable" AS PERMISSIVE FOR UPDATE TO alchemi_owner
    USING (true) WITH CHECK (true);
CREATE OR REPLACE FUNCTION alchemi.add_account_spend(amount float8)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE public."Alchemi_AccountTable"
       SET spend = spend + greatest(amount, 0)
     WHERE account_id = alchemi.current_account_id()
$$;

REVOKE EXECUTE ON FUNCTION alchemi.key_owner(text), alchemi.login_account(text), alchemi.add_account_spend(float8)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alchemi.key_owner(text), alchemi.login_account(text), alchemi.add_account_spend(float8)
    TO alchemi_app;
