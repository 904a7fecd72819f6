-- Virtual API keys (token is the hash of the key, never the raw key).
CREATE TABLE "LiteLLM_VerificationToken" (
    account_id             uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    token                  text        NOT NULL,
    key_name               text,
    key_alias              text,
    soft_budget_cooldown   bool        NOT NULL DEFAULT false,
    spend                  float8      NOT NULL DEFAULT 0,
    expires                timestamptz,
    models                 text[]      NOT NULL DEFAULT '{}',
    aliases                jsonb       NOT NULL DEFAULT '{}',
    config                 jsonb       NOT NULL DEFAULT '{}',
    router_settings        jsonb                DEFAULT '{}',
    user_id                text,
    team_id                text,
    permissions            jsonb       NOT NULL DEFAULT '{}',
    max_parallel_requests  int,
    metadata               jsonb       NOT NULL DEFAULT '{}',
    blocked                bool,
    tpm_limit              bigint,
    rpm_limit              bigint,
    max_budget             float8,
    budget_duration        text,
    budget_reset_at        timestamptz,
    allowed_cache_controls text[]      NOT NULL DEFAULT '{}',
    allowed_routes         text[]      NOT NULL DEFAULT '{}',
    policies               text[]      NOT NULL DEFAULT '{}',
    access_group_ids       text[]      NOT NULL DEFAULT '{}',
    model_spend            jsonb       NOT NULL DEFAULT '{}',
    model_max_budget       jsonb       NOT NULL DEFAULT '{}',
    budget_id              text,
    organization_id        text,
    object_permission_id   text,
    created_at             timestamptz          DEFAULT now(),
    created_by             text,
    updated_at             timestamptz          DEFAULT now(),
    updated_by             text,
    rotation_count         int                  DEFAULT 0,
    auto_rotate            bool                 DEFAULT false,
    rotation_interval      text,
    last_rotation_at       timestamptz,
    key_rotation_at        timestamptz,
    PRIMARY KEY (account_id, token),
    FOREIGN KEY (account_id, budget_id)
        REFERENCES "LiteLLM_BudgetTable" (account_id, budget_id) ON DELETE SET NULL (budget_id),
    FOREIGN KEY (account_id, organization_id)
        REFERENCES "LiteLLM_OrganizationTable" (account_id, organization_id) ON DELETE SET NULL (organization_id),
    FOREIGN KEY (account_id, object_permission_id)
        REFERENCES "LiteLLM_ObjectPermissionTable" (account_id, object_permission_id) ON DELETE SET NULL (object_permission_id)
);
-- Authentication looks the key up by its hash before the tenant is known.
CREATE INDEX ON "LiteLLM_VerificationToken" (token);
CREATE INDEX ON "LiteLLM_VerificationToken" (account_id, user_id, team_id);
CREATE INDEX ON "LiteLLM_VerificationToken" (account_id, team_id);
CREATE INDEX ON "LiteLLM_VerificationToken" (account_id, budget_reset_at, expires);
-- Not in the spec: key lists are ordered by creation time.
CREATE INDEX ON "LiteLLM_VerificationToken" (account_id, created_at);

-- Old key hashes of rotated keys that stay valid until revoke_at (grace period).
-- account_id is not in the original: it is copied from the active key.
CREATE TABLE "LiteLLM_DeprecatedVerificationToken" (
    account_id      uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id              text        NOT NULL DEFAULT gen_random_uuid()::text,
    token           text        NOT NULL,
    active_token_id text        NOT NULL,
    revoke_at       timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, token),
    -- Not in the original (active_token_id had no FK): ties the old hash to its key and its tenant.
    FOREIGN KEY (account_id, active_token_id)
        REFERENCES "LiteLLM_VerificationToken" (account_id, token) ON DELETE CASCADE
);
-- Authentication looks the old hash up before the tenant is known, so this
-- index (the spec's (token, revoke_at)) does not lead with account_id.
CREATE INDEX ON "LiteLLM_DeprecatedVerificationToken" (token, revoke_at);
CREATE INDEX ON "LiteLLM_DeprecatedVerificationToken" (account_id, revoke_at);

-- Archive of deleted keys.
CREATE TABLE "LiteLLM_DeletedVerificationToken" (
    account_id             uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                     text        NOT NULL DEFAULT gen_random_uuid()::text,
    token                  text        NOT NULL,
    key_name               text,
    key_alias              text,
    soft_budget_cooldown   bool        NOT NULL DEFAULT false,
    spend                  float8      NOT NULL DEFAULT 0,
    expires                timestamptz,
    models                 text[]      NOT NULL DEFAULT '{}',
    aliases                jsonb       NOT NULL DEFAULT '{}',
    config                 jsonb       NOT NULL DEFAULT '{}',
    router_settings        jsonb                DEFAULT '{}',
    user_id                text,
    team_id                text,
    permissions            jsonb       NOT NULL DEFAULT '{}',
    max_parallel_requests  int,
    metadata               jsonb       NOT NULL DEFAULT '{}',
    blocked                bool,
    tpm_limit              bigint,
    rpm_limit              bigint,
    max_budget             float8,
    budget_duration        text,
    budget_reset_at        timestamptz,
    allowed_cache_controls text[]      NOT NULL DEFAULT '{}',
    allowed_routes         text[]      NOT NULL DEFAULT '{}',
    policies               text[]      NOT NULL DEFAULT '{}',
    access_group_ids       text[]      NOT NULL DEFAULT '{}',
    model_spend            jsonb       NOT NULL DEFAULT '{}',
    model_max_budget       jsonb       NOT NULL DEFAULT '{}',
    budget_id              text,
    organization_id        text,
    object_permission_id   text,
    created_at             timestamptz,
    created_by             text,
    updated_at             timestamptz          DEFAULT now(),
    updated_by             text,
    rotation_count         int                  DEFAULT 0,
    auto_rotate            bool                 DEFAULT false,
    rotation_interval      text,
    last_rotation_at       timestamptz,
    key_rotation_at        timestamptz,
    deleted_at             timestamptz NOT NULL DEFAULT now(),
    deleted_by             text,
    deleted_by_api_key     text,
    litellm_changed_by     text,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "LiteLLM_DeletedVerificationToken" (account_id, token);
CREATE INDEX ON "LiteLLM_DeletedVerificationToken" (account_id, deleted_at);
CREATE INDEX ON "LiteLLM_DeletedVerificationToken" (account_id, user_id);
CREATE INDEX ON "LiteLLM_DeletedVerificationToken" (account_id, team_id);
CREATE INDEX ON "LiteLLM_DeletedVerificationToken" (account_id, organization_id);
CREATE INDEX ON "LiteLLM_DeletedVerificationToken" (account_id, key_alias);
CREATE INDEX ON "LiteLLM_DeletedVerificationToken" (account_id, created_at);

-- Access tokens for API and client applications (token_hash is the hash of the token).
CREATE TABLE "Alchemi_AccessTokenTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    name          text        NOT NULL,
    workspace_ids text[]      NOT NULL DEFAULT '{}',
    token_hash    text        NOT NULL,
    client_id     text,
    scopes        text[]      NOT NULL DEFAULT '{}',
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked       bool        NOT NULL DEFAULT false,
    created_by    text,
    updated_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, token_hash)
);
-- Authentication looks the token up by its hash before the tenant is known.
CREATE INDEX ON "Alchemi_AccessTokenTable" (token_hash);
CREATE INDEX ON "Alchemi_AccessTokenTable" (account_id, client_id);
CREATE INDEX ON "Alchemi_AccessTokenTable" (account_id, revoked);
CREATE INDEX ON "Alchemi_AccessTokenTable" (account_id, expires_at);

-- Model deployments of the proxy (platform-wide ones belong to the platform account).
CREATE TABLE "LiteLLM_ProxyModelTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    model_id       text        NOT NULL DEFAULT gen_random_uuid()::text,
    model_name     text        NOT NULL,
    litellm_params jsonb       NOT NULL,
    model_info     jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text        NOT NULL,
    updated_by     text        NOT NULL,
    PRIMARY KEY (account_id, model_id)
);

-- Named provider credentials (values encrypted).
CREATE TABLE "LiteLLM_CredentialsTable" (
    account_id        uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    credential_id     text        NOT NULL DEFAULT gen_random_uuid()::text,
    credential_name   text        NOT NULL,
    credential_values jsonb       NOT NULL,
    credential_info   jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    created_by        text        NOT NULL,
    updated_by        text        NOT NULL,
    PRIMARY KEY (account_id, credential_id),
    -- Unique per tenant, not globally as in the original.
    UNIQUE (account_id, credential_name)
);

-- Results of model health checks.
CREATE TABLE "LiteLLM_HealthCheckTable" (
    account_id       uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    health_check_id  text        NOT NULL DEFAULT gen_random_uuid()::text,
    model_name       text        NOT NULL,
    model_id         text,
    status           text        NOT NULL,
    healthy_count    int         NOT NULL DEFAULT 0,
    unhealthy_count  int         NOT NULL DEFAULT 0,
    error_message    text,
    response_time_ms float8,
    details          jsonb,
    checked_by       text,
    checked_at       timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, health_check_id)
);
CREATE INDEX ON "LiteLLM_HealthCheckTable" (account_id, model_name);
CREATE INDEX ON "LiteLLM_HealthCheckTable" (account_id, checked_at);
CREATE INDEX ON "LiteLLM_HealthCheckTable" (account_id, status);

-- LLM providers of the copilot configuration (platform ones belong to the platform account).
CREATE TABLE "Alchemi_ConfigProviderTable" (
    account_id       uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id               text        NOT NULL,
    name             text        NOT NULL,
    display_label    text,
    endpoint_env_var text,
    api_key_env_var  text,
    is_active        bool        NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);

-- LLM models of the copilot configuration, with their prices.
CREATE TABLE "Alchemi_ConfigModelTable" (
    account_id              uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                      text        NOT NULL,
    provider_id             text        NOT NULL,
    deployment_name         text        NOT NULL,
    display_name            text,
    capability              text,
    input_cost_per_million  float8      NOT NULL DEFAULT 0,
    output_cost_per_million float8      NOT NULL DEFAULT 0,
    content_capabilities    jsonb       NOT NULL DEFAULT '{}',
    extra_body              jsonb       NOT NULL DEFAULT '{}',
    sort_order              int         NOT NULL DEFAULT 0,
    is_active               bool        NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, provider_id)
        REFERENCES "Alchemi_ConfigProviderTable" (account_id, id) ON DELETE RESTRICT
);
CREATE INDEX ON "Alchemi_ConfigModelTable" (account_id, provider_id);
CREATE INDEX ON "Alchemi_ConfigModelTable" (account_id, is_active);
CREATE INDEX ON "Alchemi_ConfigModelTable" (account_id, capability);

-- Default copilot model. model_id names "Alchemi_ConfigModelTable".id; the spec
-- keeps this relationship logical, so there is no FK.
CREATE TABLE "Alchemi_ConfigDefaultModelTable" (
    account_id uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id         text        NOT NULL,
    model_id   text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);

-- Sandbox resource prices over time.
CREATE TABLE "Alchemi_ConfigSandboxPricingTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    resource_type  text        NOT NULL,
    unit           text        NOT NULL,
    cost_usd       float8      NOT NULL,
    description    text,
    effective_from timestamptz NOT NULL DEFAULT now(),
    effective_to   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "Alchemi_ConfigSandboxPricingTable" (account_id, resource_type);
CREATE INDEX ON "Alchemi_ConfigSandboxPricingTable" (account_id, effective_to);
