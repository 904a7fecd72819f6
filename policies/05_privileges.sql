-- Schema and function privileges. Tables get theirs from apply_tenancy.
-- Nothing in `alchemi` is callable by PUBLIC; the roles get exactly what
-- policies and the doors need.

REVOKE ALL ON SCHEMA alchemi FROM PUBLIC;
GRANT USAGE ON SCHEMA alchemi TO alchemi_app, alchemi_admin, alchemi_auditor;

REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA alchemi FROM PUBLIC;
-- Policies run with the caller's privileges, so every role that is subject
-- to them must be able to call the helpers they use.
GRANT EXECUTE ON FUNCTION alchemi.current_account_id(), alchemi.platform_account_id()
    TO alchemi_app, alchemi_admin, alchemi_auditor;

REVOKE ALL ON ALL TABLES IN SCHEMA alchemi FROM PUBLIC, alchemi_app, alchemi_admin;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO alchemi_app, alchemi_admin;
-- The startup gate (as alchemi_admin) and DBAs read which schema version is in force.
GRANT SELECT ON alchemi.refinery_schema_history TO alchemi_admin, alchemi_auditor;
