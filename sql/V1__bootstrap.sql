-- Bootstrap: helper functions in the `alchemi` schema (which `migrate`
-- creates, owned by alchemi_owner, before this runs), the tenant helper,
-- the `updated_at` trigger function, and the account registry every other
-- table references.
--
-- Tables live in `public` under the names LiteLLM and Alchemi clients know.
-- Every table carries `account_id uuid NOT NULL`. Rows that belong to the
-- platform rather than to a tenant (global catalogs, platform-provided
-- models, roles, agents...) use the platform account, the nil UUID, so that
-- no key or policy ever has to deal with a NULL tenant.

-- The tenant of the current transaction, set by the application with
-- `SET LOCAL app.account_id = '<uuid>'`. Unset or empty means NULL: no rows
-- are visible and every write fails its policy check (fail closed).
-- LANGUAGE sql + STABLE + PARALLEL SAFE lets the planner inline it into an
-- index condition; Citus needs policies without subqueries, so policies call
-- this function directly.
CREATE FUNCTION alchemi.current_account_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.account_id', true), '')::uuid $$;

-- The account that owns platform rows (global catalogs and platform-provided
-- data that every tenant may read).
CREATE FUNCTION alchemi.platform_account_id() RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;

-- Keeps `updated_at` honest whoever writes the row.
CREATE FUNCTION alchemi.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE TABLE "Alchemi_AccountTable" (
    account_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
    account_name  text        NOT NULL,
    account_alias text,
    domain        text,
    status        text        NOT NULL DEFAULT 'active',
    metadata      jsonb       NOT NULL DEFAULT '{}',
    max_budget    float8,
    spend         float8      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id),
    -- Account names and login domains are the platform's namespace: only the
    -- super admin creates accounts, so a global uniqueness check leaks nothing
    -- to tenants.
    UNIQUE (account_name),
    UNIQUE (domain),
    CHECK (status IN ('active', 'suspended', 'platform'))
);
CREATE INDEX ON "Alchemi_AccountTable" (status);
CREATE INDEX ON "Alchemi_AccountTable" ((metadata ->> 'auth_org_id'))
    WHERE metadata ? 'auth_org_id';

INSERT INTO "Alchemi_AccountTable" (account_id, account_name, status)
VALUES (alchemi.platform_account_id(), 'platform', 'platform');
