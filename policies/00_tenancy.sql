-- Tenancy classes. `alchemi.apply_tenancy(table, class)` makes a table's
-- row-level security, policies and grants exactly what its class says, and
-- records the class in the table's comment so `alchemi rls-audit` can check
-- the catalog against it. Re-running it is harmless: every policy on the
-- table is dropped and recreated inside the same transaction.
--
-- Classes (the policy names are part of the contract the audit checks):
--   tenant           one FOR ALL policy `tenant_isolation`: a row is read and
--                    written only by its own account.
--   tenant_platform  tenants read their own rows and the platform account's
--                    rows (`tenant_read`), and write only their own
--                    (`tenant_insert`, `tenant_update`, `tenant_delete`).
--   tenant_readonly  tenants read their own rows (`tenant_read`); only the
--                    super admin writes (no write privilege for the app role).
--   catalog          global catalog owned by the platform account: readable
--                    by every tenant (`catalog_read`), written by the super admin.
--   identity         shared user identity: a tenant sees a user only through
--                    a membership in its own account (`membership_read`).
--   internal         platform bookkeeping: no tenant access at all.
--
-- Every class: ENABLE and FORCE row level security, no privileges for
-- PUBLIC, never TRUNCATE/REFERENCES/TRIGGER for the app role, full DML for
-- `alchemi_admin`. Where `alchemi_admin` could not be given BYPASSRLS
-- (managed PostgreSQL without a superuser), an `admin_all` policy for that
-- role alone gives it the same reach.

CREATE OR REPLACE PROCEDURE alchemi.apply_tenancy(tbl regclass, class text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
DECLARE
    own      constant text := 'account_id = alchemi.current_account_id()';
    platform constant text := 'account_id = alchemi.platform_account_id()';
    old_policy name;
BEGIN
    IF class NOT IN ('tenant', 'tenant_platform', 'tenant_readonly', 'catalog', 'identity', 'internal') THEN
        RAISE EXCEPTION 'unknown tenancy class % for %', class, tbl;
    END IF;

    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    FOR old_policy IN SELECT polname FROM pg_policy WHERE polrelid = tbl LOOP
        EXECUTE format('DROP POLICY %I ON %s', old_policy, tbl);
    END LOOP;
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, alchemi_app, alchemi_admin, alchemi_auditor', tbl);

    CASE class
    WHEN 'tenant' THEN
        EXECUTE format('CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO alchemi_app USING (%s) WITH CHECK (%s)', tbl, own, own);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO alchemi_app', tbl);
    WHEN 'tenant_platform' THEN
        EXECUTE format('CREATE POLICY tenant_read ON %s AS PERMISSIVE FOR SELECT TO alchemi_app USING (%s OR %s)', tbl, own, platform);
        EXECUTE format('CREATE POLICY tenant_insert ON %s AS PERMISSIVE FOR INSERT TO alchemi_app WITH CHECK (%s)', tbl, own);
        EXECUTE format('CREATE POLICY tenant_update ON %s AS PERMISSIVE FOR UPDATE TO alchemi_app USING (%s) WITH CHECK (%s)', tbl, own, own);
        EXECUTE format('CREATE POLICY tenant_delete ON %s AS PERMISSIVE FOR DELETE TO alchemi_app USING (%s)', tbl, own);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO alchemi_app', tbl);
    WHEN 'tenant_readonly' THEN
        EXECUTE format('CREATE POLICY tenant_read ON %s AS PERMISSIVE FOR SELECT TO alchemi_app USING (%s)', tbl, own);
        EXECUTE format('GRANT SELECT ON %s TO alchemi_app', tbl);
    WHEN 'catalog' THEN
        EXECUTE format('CREATE POLICY catalog_read ON %s AS PERMISSIVE FOR SELECT TO alchemi_app USING (%s)', tbl, platform);
        EXECUTE format('GRANT SELECT ON %s TO alchemi_app', tbl);
    WHEN 'identity' THEN
        EXECUTE format(
            'CREATE POLICY membership_read ON %s AS PERMISSIVE FOR SELECT TO alchemi_app USING ('
            'EXISTS (SELECT 1 FROM public."Alchemi_AccountMembershipTable" m '
            'WHERE m.account_id = alchemi.current_account_id() AND m.user_id = %s.id))', tbl, tbl);
        EXECUTE format('GRANT SELECT ON %s TO alchemi_app', tbl);
    WHEN 'internal' THEN
        NULL;
    END CASE;

    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO alchemi_admin', tbl);
    IF NOT (SELECT rolbypassrls FROM pg_roles WHERE rolname = 'alchemi_admin') THEN
        EXECUTE format('CREATE POLICY admin_all ON %s AS PERMISSIVE FOR ALL TO alchemi_admin USING (true) WITH CHECK (true)', tbl);
    END IF;
    EXECUTE format('COMMENT ON TABLE %s IS %L', tbl, 'tenancy: ' || class);
END
$proc$;
