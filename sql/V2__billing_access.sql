-- Shared budget and rate-limit objects referenced by orgs, keys, end users, tags and memberships.
CREATE TABLE "LiteLLM_BudgetTable" (
    account_id            uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    budget_id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    max_budget            float8,
    soft_budget           float8,
    max_parallel_requests int,
    tpm_limit             bigint,
    rpm_limit             bigint,
    model_max_budget      jsonb,
    budget_duration       text,
    budget_reset_at       timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    created_by            text        NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            text        NOT NULL,
    PRIMARY KEY (account_id, budget_id)
);

-- Request tags with their allowed models, spend and optional budget.
CREATE TABLE "LiteLLM_TagTable" (
    account_id  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    tag_name    text        NOT NULL,
    description text,
    models      text[]      NOT NULL DEFAULT '{}',
    model_info  jsonb,
    spend       float8      NOT NULL DEFAULT 0,
    budget_id   text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, tag_name),
    FOREIGN KEY (account_id, budget_id) REFERENCES "LiteLLM_BudgetTable" (account_id, budget_id) ON DELETE SET NULL (budget_id)
);

-- Platform catalog of subscription plans.
CREATE TABLE "Alchemi_SubscriptionPlanTable" (
    account_id    uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    plan_name     text        NOT NULL,
    display_name  text,
    description   text,
    price_monthly float8,
    price_yearly  float8,
    currency      text        NOT NULL DEFAULT 'USD',
    features      jsonb       NOT NULL DEFAULT '{}',
    limits        jsonb       NOT NULL DEFAULT '{}',
    is_active     bool        NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ON "Alchemi_SubscriptionPlanTable" (account_id);
CREATE INDEX ON "Alchemi_SubscriptionPlanTable" (is_active);
CREATE INDEX ON "Alchemi_SubscriptionPlanTable" (plan_name);

-- An account's subscription to a plan.
-- The spec's account_id FK is ON DELETE SET NULL; account_id is NOT NULL here, so it cascades (tenant rule).
CREATE TABLE "Alchemi_SubscriptionTable" (
    account_id             uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                     text        NOT NULL DEFAULT gen_random_uuid()::text,
    plan_id                text        NOT NULL REFERENCES "Alchemi_SubscriptionPlanTable" (id) ON DELETE RESTRICT,
    system_subscription_id text,
    quantity               int         NOT NULL DEFAULT 1,
    start_date             timestamptz NOT NULL,
    end_date               timestamptz,
    is_active              bool        NOT NULL DEFAULT true,
    razorpay_response      jsonb,
    created_by             text,
    updated_by             text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "Alchemi_SubscriptionTable" (account_id, plan_id);
CREATE INDEX ON "Alchemi_SubscriptionTable" (account_id, is_active);
CREATE INDEX ON "Alchemi_SubscriptionTable" (account_id, system_subscription_id);

-- Per-account usage quotas (included, used, overage, rollover) for a billing period.
CREATE TABLE "Alchemi_AccountQuotaTable" (
    account_id             uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                     text        NOT NULL DEFAULT gen_random_uuid()::text,
    subscription_id        text,
    product_code           text,
    feature_code           text,
    unit                   text        NOT NULL DEFAULT 'credits',
    included               float8      NOT NULL DEFAULT 0,
    used                   float8      NOT NULL DEFAULT 0,
    overage_used           float8      NOT NULL DEFAULT 0,
    overage_limit          float8      NOT NULL DEFAULT 0,
    reset_policy           text        NOT NULL DEFAULT 'MONTHLY',
    rollover_enabled       bool        NOT NULL DEFAULT false,
    rollover_cap           float8      NOT NULL DEFAULT 0,
    rollover_from_previous float8      NOT NULL DEFAULT 0,
    period_start           timestamptz NOT NULL,
    period_end             timestamptz NOT NULL,
    is_active              bool        NOT NULL DEFAULT true,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, subscription_id) REFERENCES "Alchemi_SubscriptionTable" (account_id, id) ON DELETE SET NULL (subscription_id)
);
CREATE INDEX ON "Alchemi_AccountQuotaTable" (account_id, subscription_id);
-- The spec's unit index becomes (account_id, unit), a prefix of (account_id, unit, is_active) below: not created.
CREATE INDEX ON "Alchemi_AccountQuotaTable" (account_id, product_code);
CREATE INDEX ON "Alchemi_AccountQuotaTable" (account_id, is_active);
CREATE INDEX ON "Alchemi_AccountQuotaTable" (account_id, unit, is_active);

-- How an account distributes its credits across scopes.
CREATE TABLE "Alchemi_BudgetPlanTable" (
    account_id   uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id           text        NOT NULL DEFAULT gen_random_uuid()::text,
    name         text        NOT NULL DEFAULT 'Default Plan',
    is_active    bool        NOT NULL DEFAULT true,
    distribution jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "Alchemi_BudgetPlanTable" (account_id, is_active);

-- Credit allocations and usage per scope (e.g. team, user) and budget cycle.
CREATE TABLE "Alchemi_CreditBudgetTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    budget_plan_id text,
    scope_type     text        NOT NULL,
    scope_id       text        NOT NULL,
    allocated      float8      NOT NULL DEFAULT 0,
    limit_amount   float8      NOT NULL DEFAULT 0,
    overflow_cap   float8,
    used           float8      NOT NULL DEFAULT 0,
    overflow_used  float8      NOT NULL DEFAULT 0,
    cycle_start    timestamptz NOT NULL,
    cycle_end      timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, scope_type, scope_id, cycle_start),
    FOREIGN KEY (account_id, budget_plan_id) REFERENCES "Alchemi_BudgetPlanTable" (account_id, id) ON DELETE SET NULL (budget_plan_id)
);
-- The spec's (scope_type, scope_id) index becomes a prefix of the UNIQUE above: not created.
CREATE INDEX ON "Alchemi_CreditBudgetTable" (account_id, cycle_start, cycle_end);

-- Grant bundles (MCP servers, tools, vector stores, agents) referenced by orgs, teams, users and keys.
CREATE TABLE "LiteLLM_ObjectPermissionTable" (
    account_id           uuid   NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    object_permission_id text   NOT NULL DEFAULT gen_random_uuid()::text,
    mcp_servers          text[] NOT NULL DEFAULT '{}',
    mcp_access_groups    text[] NOT NULL DEFAULT '{}',
    mcp_tool_permissions jsonb,
    vector_stores        text[] NOT NULL DEFAULT '{}',
    agents               text[] NOT NULL DEFAULT '{}',
    agent_access_groups  text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (account_id, object_permission_id)
);

-- Named access groups of models, MCP servers and agents assigned to teams and keys.
CREATE TABLE "LiteLLM_AccessGroupTable" (
    account_id            uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    access_group_id       text        NOT NULL DEFAULT gen_random_uuid()::text,
    access_group_name     text        NOT NULL,
    description           text,
    access_model_names    text[]      NOT NULL DEFAULT '{}',
    access_mcp_server_ids text[]      NOT NULL DEFAULT '{}',
    access_agent_ids      text[]      NOT NULL DEFAULT '{}',
    assigned_team_ids     text[]      NOT NULL DEFAULT '{}',
    assigned_key_ids      text[]      NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    created_by            text,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            text,
    PRIMARY KEY (account_id, access_group_id),
    UNIQUE (account_id, access_group_name)
);

-- CASL roles; platform-provided roles belong to the platform account.
CREATE TABLE "Alchemi_RoleTable" (
    account_id uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id         text        NOT NULL DEFAULT gen_random_uuid()::text,
    name       text        NOT NULL,
    type       text,
    provider   text        NOT NULL DEFAULT 'PLATFORM',
    is_default bool        NOT NULL DEFAULT false,
    is_deleted bool        NOT NULL DEFAULT false,
    created_by text,
    updated_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, name)
);
CREATE INDEX ON "Alchemi_RoleTable" (account_id, provider);
CREATE INDEX ON "Alchemi_RoleTable" (account_id, is_default);

-- Platform catalog of CASL permissions (subject, action, fields, conditions).
CREATE TABLE "Alchemi_PermissionTable" (
    account_id           uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    id                   text        NOT NULL DEFAULT gen_random_uuid()::text,
    name                 text        NOT NULL,
    description          text,
    subject              text        NOT NULL,
    action               text        NOT NULL,
    is_system_permission bool        NOT NULL DEFAULT false,
    fields               text[]      NOT NULL DEFAULT '{}',
    conditions           text,
    created_by           text,
    updated_by           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ON "Alchemi_PermissionTable" (account_id);
CREATE INDEX ON "Alchemi_PermissionTable" (subject);
CREATE INDEX ON "Alchemi_PermissionTable" (action);
CREATE INDEX ON "Alchemi_PermissionTable" (name);
CREATE INDEX ON "Alchemi_PermissionTable" (subject, action);

-- Permissions granted to a role; account_id is the role's account.
CREATE TABLE "Alchemi_RolePermissionTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    role_id       text        NOT NULL,
    permission_id text        NOT NULL REFERENCES "Alchemi_PermissionTable" (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, role_id, permission_id),
    FOREIGN KEY (account_id, role_id) REFERENCES "Alchemi_RoleTable" (account_id, id) ON DELETE CASCADE
);
-- The spec's role_id index becomes a prefix of the UNIQUE above: not created.
CREATE INDEX ON "Alchemi_RolePermissionTable" (account_id, permission_id);
