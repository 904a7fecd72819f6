-- Row-level-security audit, read from the catalog. `alchemi rls-audit`
-- prints these views; a DBA can query them directly:
--
--     SELECT * FROM alchemi.rls_gaps;          -- empty when isolation is whole
--     SELECT * FROM alchemi.rls_table_audit;   -- one row per table
--
-- They are owned by alchemi_owner, read only catalogs, and are granted to
-- alchemi_auditor and alchemi_admin (the startup gate), never to alchemi_app.

DROP VIEW IF EXISTS alchemi.rls_gaps, alchemi.rls_table_audit, alchemi.rls_expected_policy, alchemi.rls_role_audit,
    alchemi.rls_function_audit, alchemi.rls_relation_audit;

-- The exact policies each class must have for alchemi_app, as LIKE patterns
-- over the deparsed expressions.
CREATE VIEW alchemi.rls_expected_policy AS
SELECT * FROM (VALUES
    ('tenant', 'tenant_isolation', 'ALL',
        '(account_id = alchemi.current_account_id())', '(account_id = alchemi.current_account_id())'),
    ('tenant_platform', 'tenant_read', 'SELECT',
        '((account_id = alchemi.current_account_id()) OR (account_id = alchemi.platform_account_id()))', NULL),
    ('tenant_platform', 'tenant_insert', 'INSERT', NULL, '(account_id = alchemi.current_account_id())'),
    ('tenant_platform', 'tenant_update', 'UPDATE',
        '(account_id = alchemi.current_account_id())', '(account_id = alchemi.current_account_id())'),
    ('tenant_platform', 'tenant_delete', 'DELETE', '(account_id = alchemi.current_account_id())', NULL),
    ('tenant_readonly', 'tenant_read', 'SELECT', '(account_id = alchemi.current_account_id())', NULL),
    ('catalog', 'catalog_read', 'SELECT', '(account_id = alchemi.platform_account_id())', NULL),
    ('identity', 'membership_read', 'SELECT',
        '(EXISTS ( SELECT 1%"Alchemi\_AccountMembershipTable" m%WHERE ((m.account_id = alchemi.current_account_id()) AND (m.user_id = %"Alchemi\_UserTable".id))))',
        NULL)
) AS expected (class, name, cmd, using_pattern, check_pattern);

CREATE VIEW alchemi.rls_table_audit AS
WITH tbl AS (
    SELECT c.oid,
           c.relname::text AS table_name,
           substring(obj_description(c.oid, 'pg_class') FROM '^tenancy: ([a-z_]+)$') AS class,
           c.relrowsecurity AS rls_enabled,
           c.relforcerowsecurity AS rls_forced,
           pg_get_userbyid(c.relowner)::text AS owner,
           EXISTS (SELECT 1 FROM aclexplode(c.relacl) x WHERE x.grantee = 0) AS public_access,
           a.attnum AS account_attnum,
           a.atttypid = 'uuid'::regtype AS account_is_uuid,
           a.attnotnull AS account_not_null
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'account_id' AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
),
pol AS (
    SELECT p.polrelid AS oid,
           p.polname::text AS name,
           CASE p.polcmd WHEN '*' THEN 'ALL' WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                         WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' END AS cmd,
           p.polpermissive AS permissive,
           ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
                   FROM unnest(p.polroles) AS r ORDER BY 1) AS roles,
           pg_get_expr(p.polqual, p.polrelid) AS using_expr,
           pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
      FROM pg_policy p
),
admin_mode AS (
    SELECT coalesce((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'alchemi_admin'), false) AS bypass
),
policy_gap AS (
    -- alchemi_app policies that are not exactly the class's
    SELECT t.oid, format('policy %s (%s) is not what class %s prescribes', p.name, p.cmd, t.class) AS gap
      FROM tbl t JOIN pol p ON p.oid = t.oid
     WHERE p.roles = ARRAY['alchemi_app']
       AND NOT EXISTS (
           SELECT 1 FROM alchemi.rls_expected_policy e
            WHERE e.class = t.class AND e.name = p.name AND e.cmd = p.cmd AND p.permissive
              AND coalesce(p.using_expr, '') LIKE coalesce(e.using_pattern, '')
              AND coalesce(p.check_expr, '') LIKE coalesce(e.check_pattern, ''))
    UNION ALL
    -- policies the class prescribes that are missing
    SELECT t.oid, format('policy %s (%s) is missing', e.name, e.cmd)
      FROM tbl t JOIN alchemi.rls_expected_policy e ON e.class = t.class
     WHERE NOT EXISTS (SELECT 1 FROM pol p WHERE p.oid = t.oid AND p.name = e.name AND p.roles = ARRAY['alchemi_app'])
    UNION ALL
    -- policies for any other role, except the two sanctioned kinds
    SELECT t.oid, format('unexpected policy %s for %s', p.name, array_to_string(p.roles, ','))
      FROM tbl t JOIN pol p ON p.oid = t.oid, admin_mode m
     WHERE p.roles <> ARRAY['alchemi_app']
       AND NOT (p.name = 'door_lookup' AND p.cmd = 'SELECT' AND p.roles = ARRAY['alchemi_owner'])
       AND NOT (p.name = 'door_spend' AND p.cmd = 'UPDATE' AND p.roles = ARRAY['alchemi_owner']
                AND t.table_name = 'Alchemi_AccountTable')
       AND NOT (p.name = 'admin_all' AND p.cmd = 'ALL' AND p.roles = ARRAY['alchemi_admin'] AND NOT m.bypass)
    UNION ALL
    SELECT t.oid, 'alchemi_admin has no BYPASSRLS and no admin_all policy'
      FROM tbl t, admin_mode m
     WHERE NOT m.bypass
       AND NOT EXISTS (SELECT 1 FROM pol p WHERE p.oid = t.oid AND p.name = 'admin_all')
),
privilege AS (
    SELECT t.oid,
           ARRAY(SELECT priv FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS priv
                  WHERE has_table_privilege('alchemi_app', t.oid, priv)) AS app_privileges
      FROM tbl t
),
fk_gap AS (
    SELECT t.oid, format('foreign key %s to %s does not carry account_id on both sides', con.conname, parent.table_name) AS gap
      FROM tbl t
      JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype = 'f'
      JOIN tbl parent ON parent.oid = con.confrelid
     WHERE t.class LIKE 'tenant%' AND parent.class LIKE 'tenant%'
       AND (array_position(con.conkey, t.account_attnum) IS NULL
            OR array_position(con.conkey, t.account_attnum) IS DISTINCT FROM array_position(con.confkey, parent.account_attnum))
    UNION ALL
    SELECT t.oid, format('global table references tenant table %s through %s', parent.table_name, con.conname)
      FROM tbl t
      JOIN pg_constraint con ON con.conrelid = t.oid AND con.contype = 'f'
      JOIN tbl parent ON parent.oid = con.confrelid
     WHERE t.class NOT LIKE 'tenant%' AND parent.class LIKE 'tenant%' AND parent.table_name <> 'Alchemi_AccountTable'
),
unique_gap AS (
    SELECT t.oid, format('unique index %s does not include account_id', i.indexrelid::regclass) AS gap
      FROM tbl t
      JOIN pg_index i ON i.indrelid = t.oid AND i.indisunique
     WHERE t.class LIKE 'tenant%' AND t.table_name <> 'Alchemi_AccountTable'
       AND NOT (t.account_attnum = ANY (i.indkey::int2[]))
),
gaps AS (
    SELECT t.oid, g.gap
      FROM tbl t
      JOIN privilege pr ON pr.oid = t.oid
     CROSS JOIN LATERAL (VALUES
        (CASE WHEN t.class IS NULL THEN 'no tenancy class (apply_tenancy was never run on it)' END),
        (CASE WHEN NOT t.rls_enabled THEN 'row level security is not enabled' END),
        (CASE WHEN NOT t.rls_forced THEN 'row level security is not forced' END),
        (CASE WHEN t.account_attnum IS NULL THEN 'no account_id column'
              WHEN NOT t.account_is_uuid THEN 'account_id is not uuid'
              WHEN NOT t.account_not_null THEN 'account_id is nullable' END),
        (CASE WHEN t.account_attnum IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM pg_index i WHERE i.indrelid = t.oid AND i.indkey[0] = t.account_attnum)
              THEN 'no index leads with account_id' END),
        (CASE WHEN t.owner <> 'alchemi_owner' THEN format('owned by %s, not alchemi_owner', t.owner) END),
        (CASE WHEN t.public_access THEN 'PUBLIC has privileges' END),
        (CASE WHEN pr.app_privileges && ARRAY['TRUNCATE', 'REFERENCES', 'TRIGGER']
              THEN 'alchemi_app holds TRUNCATE, REFERENCES or TRIGGER' END),
        (CASE WHEN t.class IS NOT NULL AND pr.app_privileges IS DISTINCT FROM (CASE
                  WHEN t.class IN ('tenant', 'tenant_platform') THEN ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']
                  WHEN t.class IN ('tenant_readonly', 'catalog', 'identity') THEN ARRAY['SELECT']
                  ELSE ARRAY[]::text[] END)
              THEN format('alchemi_app privileges {%s} do not match class %s', array_to_string(pr.app_privileges, ','), t.class) END)
     ) AS g (gap)
     WHERE g.gap IS NOT NULL
    UNION ALL SELECT oid, gap FROM policy_gap
    UNION ALL SELECT oid, gap FROM fk_gap
    UNION ALL SELECT oid, gap FROM unique_gap
)
SELECT t.table_name,
       t.class,
       t.rls_enabled,
       t.rls_forced,
       t.account_attnum IS NOT NULL AND t.account_not_null AS account_id_not_null,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = t.oid AND i.indkey[0] = t.account_attnum) AS account_id_indexed,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'name', p.name, 'command', p.cmd, 'roles', to_jsonb(p.roles),
                        'using', p.using_expr, 'with_check', p.check_expr) ORDER BY p.name)
                   FROM pol p WHERE p.oid = t.oid), '[]'::jsonb) AS policies,
       pr.app_privileges,
       ARRAY(SELECT g.gap FROM gaps g WHERE g.oid = t.oid ORDER BY 1) AS gaps
  FROM tbl t
  JOIN privilege pr ON pr.oid = t.oid;

CREATE VIEW alchemi.rls_role_audit AS
WITH RECURSIVE expected (rolname) AS (
    VALUES ('alchemi_owner'), ('alchemi_app'), ('alchemi_admin'), ('alchemi_auditor')
),
app_reach (oid) AS (
    SELECT oid FROM pg_roles WHERE rolname = 'alchemi_app'
    UNION
    SELECT m.roleid FROM pg_auth_members m JOIN app_reach r ON m.member = r.oid
),
role AS (
    SELECT e.rolname, r.oid, r.rolsuper, r.rolbypassrls, r.rolcanlogin, r.rolcreaterole, r.rolcreatedb
      FROM expected e LEFT JOIN pg_roles r ON r.rolname = e.rolname
    UNION ALL
    SELECT r.rolname, r.oid, r.rolsuper, r.rolbypassrls, r.rolcanlogin, r.rolcreaterole, r.rolcreatedb
      FROM pg_roles r
     WHERE (r.rolsuper OR r.rolbypassrls) AND r.rolname NOT LIKE 'pg\_%'
       AND r.rolname NOT IN (SELECT rolname FROM expected)
)
SELECT r.rolname::text AS role_name,
       coalesce(r.rolsuper, false) AS superuser,
       coalesce(r.rolbypassrls, false) AS bypass_rls,
       coalesce(r.rolcanlogin, false) AS can_login,
       ARRAY(SELECT pg_get_userbyid(m.roleid)::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1) AS member_of,
       array_remove(ARRAY[
           CASE WHEN r.oid IS NULL AND r.rolname IN (SELECT rolname FROM expected) THEN 'role is missing' END,
           CASE WHEN r.rolname = 'alchemi_app' AND (r.rolsuper OR r.rolbypassrls) THEN 'app role bypasses row level security' END,
           CASE WHEN r.rolname = 'alchemi_app' AND (r.rolcreaterole OR r.rolcreatedb) THEN 'app role can create roles or databases' END,
           CASE WHEN r.rolname = 'alchemi_app' AND EXISTS (
                    SELECT 1 FROM app_reach x JOIN pg_roles y ON y.oid = x.oid
                     WHERE y.rolname <> 'alchemi_app'
                       AND (y.rolsuper OR y.rolbypassrls OR y.rolname IN ('alchemi_owner', 'alchemi_admin')))
                THEN 'app role can reach a bypassing or owning role through membership' END,
           CASE WHEN r.rolname = 'alchemi_app' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid)
                THEN 'app role owns relations' END,
           CASE WHEN r.rolname IN ('alchemi_admin', 'alchemi_owner', 'alchemi_auditor') AND r.rolsuper THEN 'role is superuser' END,
           CASE WHEN r.rolname IN ('alchemi_owner', 'alchemi_auditor') AND r.rolbypassrls THEN 'role bypasses row level security' END,
           CASE WHEN r.rolname = 'alchemi_owner' AND r.rolcanlogin THEN 'owner role can log in' END
       ], NULL) AS gaps
  FROM role r;

CREATE VIEW alchemi.rls_function_audit AS
SELECT p.oid::regprocedure::text AS function_name,
       CASE WHEN p.prosecdef THEN 'security definer' ELSE 'policy helper' END AS kind,
       pg_get_userbyid(p.proowner)::text AS owner,
       EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) s WHERE s LIKE 'search\_path=%') AS search_path_pinned,
       has_function_privilege('alchemi_app', p.oid, 'EXECUTE') AS app_can_execute,
       EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE') AS public_can_execute,
       array_remove(ARRAY[
           CASE WHEN pg_get_userbyid(p.proowner) <> 'alchemi_owner' THEN 'not owned by alchemi_owner' END,
           CASE WHEN p.prosecdef AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) s WHERE s LIKE 'search\_path=%')
                THEN 'search_path is not pinned' END,
           CASE WHEN EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                              WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
                THEN 'PUBLIC can execute' END,
           CASE WHEN NOT p.prosecdef AND (p.provolatile = 'v' OR p.proparallel <> 's')
                THEN 'policy helper is not STABLE and PARALLEL SAFE' END
       ], NULL) AS gaps
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('alchemi', 'public')
   AND (p.prosecdef OR p.oid IN (
        SELECT d.refobjid FROM pg_depend d
         WHERE d.classid = 'pg_policy'::regclass AND d.refclassid = 'pg_proc'::regclass));

CREATE VIEW alchemi.rls_relation_audit AS
SELECT c.oid::regclass::text AS relation_name,
       CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                      ELSE 'partition' END AS kind,
       CASE WHEN c.relkind = 'v' THEN 'view readable by alchemi_app without security_invoker'
            WHEN c.relkind IN ('m', 'f') THEN 'relation without row level security readable by alchemi_app'
            ELSE 'partition reachable by alchemi_app without its own forced row level security' END AS gap
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('public', 'alchemi')
   AND has_table_privilege('alchemi_app', c.oid, 'SELECT')
   AND (c.relkind IN ('m', 'f')
        OR (c.relkind = 'v' AND NOT coalesce(c.reloptions::text[] &&
               ARRAY['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false))
        OR (c.relispartition AND NOT (c.relrowsecurity AND c.relforcerowsecurity)))
UNION ALL
SELECT 'alchemi_app', 'role setting', 'citus.propagate_set_commands is not local for alchemi_app'
 WHERE EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')
   AND NOT EXISTS (
       SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
        WHERE r.rolname = 'alchemi_app' AND 'citus.propagate_set_commands=local' = ANY (s.setconfig));

CREATE VIEW alchemi.rls_gaps AS
SELECT 'table' AS kind, table_name AS object, unnest(gaps) AS gap FROM alchemi.rls_table_audit
UNION ALL
SELECT 'role', role_name, unnest(gaps) FROM alchemi.rls_role_audit
UNION ALL
SELECT 'function', function_name, unnest(gaps) FROM alchemi.rls_function_audit
UNION ALL
SELECT kind, relation_name, gap FROM alchemi.rls_relation_audit;

REVOKE ALL ON alchemi.rls_expected_policy, alchemi.rls_table_audit, alchemi.rls_role_audit,
    alchemi.rls_function_audit, alchemi.rls_relation_audit, alchemi.rls_gaps FROM PUBLIC;
GRANT SELECT ON alchemi.rls_expected_policy, alchemi.rls_table_audit, alchemi.rls_role_audit,
    alchemi.rls_function_audit, alchemi.rls_relation_audit, alchemi.rls_gaps TO alchemi_auditor, alchemi_admin;
