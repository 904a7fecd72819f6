-- LiteLLM guardrail definitions (guardrail_name unique per account).
CREATE TABLE "LiteLLM_GuardrailsTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    guardrail_id   text        NOT NULL DEFAULT gen_random_uuid()::text,
    guardrail_name text        NOT NULL,
    litellm_params jsonb       NOT NULL DEFAULT '{}',
    guardrail_info jsonb,
    team_id        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, guardrail_id),
    UNIQUE (account_id, guardrail_name)
);

-- LiteLLM guardrail policies (policy_name unique per account).
CREATE TABLE "LiteLLM_PolicyTable" (
    account_id        uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    policy_id         text        NOT NULL DEFAULT gen_random_uuid()::text,
    policy_name       text        NOT NULL,
    inherit           text,
    description       text,
    guardrails_add    text[]      NOT NULL DEFAULT '{}',
    guardrails_remove text[]      NOT NULL DEFAULT '{}',
    condition         jsonb                DEFAULT '{}',
    pipeline          jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    created_by        text,
    updated_by        text,
    PRIMARY KEY (account_id, policy_id),
    UNIQUE (account_id, policy_name)
);

-- Where a policy applies (teams, keys, models, tags); policy_name refers to a policy by name only.
CREATE TABLE "LiteLLM_PolicyAttachmentTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    attachment_id text        NOT NULL DEFAULT gen_random_uuid()::text,
    policy_name   text        NOT NULL,
    scope         text,
    teams         text[]      NOT NULL DEFAULT '{}',
    keys          text[]      NOT NULL DEFAULT '{}',
    models        text[]      NOT NULL DEFAULT '{}',
    tags          text[]      NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text,
    updated_by    text,
    PRIMARY KEY (account_id, attachment_id)
);

-- Per-account configuration of each built-in guard type.
CREATE TABLE "Alchemi_GuardrailsConfigTable" (
    account_id      uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id              text        NOT NULL DEFAULT gen_random_uuid()::text,
    guard_type      text        NOT NULL,
    enabled         bool        NOT NULL DEFAULT true,
    execution_order int         NOT NULL DEFAULT 1,
    action_on_fail  text        NOT NULL DEFAULT 'block',
    config          jsonb       NOT NULL DEFAULT '{}',
    version         int         NOT NULL DEFAULT 1,
    created_by      text,
    updated_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, guard_type)
);
CREATE INDEX ON "Alchemi_GuardrailsConfigTable" (account_id, enabled);

-- Custom regex patterns for guard types (system patterns under the platform account).
CREATE TABLE "Alchemi_GuardrailsCustomPatternTable" (
    account_id   uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id           text        NOT NULL DEFAULT gen_random_uuid()::text,
    guard_type   text        NOT NULL,
    pattern_name text        NOT NULL,
    pattern      text        NOT NULL,
    description  text,
    enabled      bool        NOT NULL DEFAULT true,
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "Alchemi_GuardrailsCustomPatternTable" (account_id, guard_type);

-- Log of guardrail checks and their outcome.
CREATE TABLE "Alchemi_GuardrailsAuditLogTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    guard_type    text        NOT NULL,
    action        text        NOT NULL,
    result        text        NOT NULL,
    request_data  jsonb,
    response_data jsonb,
    user_id       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "Alchemi_GuardrailsAuditLogTable" (account_id, guard_type);
CREATE INDEX ON "Alchemi_GuardrailsAuditLogTable" (account_id, created_at);
CREATE INDEX ON "Alchemi_GuardrailsAuditLogTable" (account_id, user_id);

-- LiteLLM A2A agents (agent_name unique per account).
CREATE TABLE "LiteLLM_AgentsTable" (
    account_id          uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    agent_id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    agent_name          text        NOT NULL,
    litellm_params      jsonb,
    agent_card_params   jsonb       NOT NULL DEFAULT '{}',
    agent_access_groups text[]      NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    created_by          text        NOT NULL,
    updated_by          text        NOT NULL,
    PRIMARY KEY (account_id, agent_id),
    UNIQUE (account_id, agent_name)
);

-- LiteLLM MCP server registrations (remote and stdio).
CREATE TABLE "LiteLLM_MCPServerTable" (
    account_id                   uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    server_id                    text        NOT NULL DEFAULT gen_random_uuid()::text,
    server_name                  text,
    alias                        text,
    description                  text,
    url                          text,
    transport                    text        NOT NULL DEFAULT 'sse',
    auth_type                    text,
    credentials                  jsonb                DEFAULT '{}',
    created_at                   timestamptz          DEFAULT now(),
    created_by                   text,
    updated_at                   timestamptz          DEFAULT now(),
    updated_by                   text,
    mcp_info                     jsonb                DEFAULT '{}',
    mcp_access_groups            text[]      NOT NULL DEFAULT '{}',
    allowed_tools                text[]      NOT NULL DEFAULT '{}',
    extra_headers                text[]      NOT NULL DEFAULT '{}',
    static_headers               jsonb                DEFAULT '{}',
    status                       text                 DEFAULT 'unknown',
    last_health_check            timestamptz,
    health_check_error           text,
    command                      text,
    args                         text[]      NOT NULL DEFAULT '{}',
    env                          jsonb                DEFAULT '{}',
    authorization_url            text,
    token_url                    text,
    registration_url             text,
    allow_all_keys               bool        NOT NULL DEFAULT false,
    available_on_public_internet bool        NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, server_id)
);

-- LiteLLM search tool configurations (search_tool_name unique per account).
CREATE TABLE "LiteLLM_SearchToolsTable" (
    account_id       uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    search_tool_id   text        NOT NULL DEFAULT gen_random_uuid()::text,
    search_tool_name text        NOT NULL,
    litellm_params   jsonb       NOT NULL DEFAULT '{}',
    search_tool_info jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, search_tool_id),
    UNIQUE (account_id, search_tool_name)
);

-- LiteLLM versioned prompts ((prompt_id, version) unique per account).
CREATE TABLE "LiteLLM_PromptTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    prompt_id      text        NOT NULL,
    version        int         NOT NULL DEFAULT 1,
    litellm_params jsonb       NOT NULL DEFAULT '{}',
    prompt_info    jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, prompt_id, version)
);
CREATE INDEX ON "LiteLLM_PromptTable" (account_id, prompt_id);

-- LiteLLM skills (instructions plus an optional zipped file).
CREATE TABLE "LiteLLM_SkillsTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    skill_id       text        NOT NULL DEFAULT gen_random_uuid()::text,
    display_title  text,
    description    text,
    instructions   text,
    source         text        NOT NULL DEFAULT 'custom',
    latest_version text,
    file_content   bytea,
    file_name      text,
    file_type      text,
    metadata       jsonb                DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text,
    updated_by     text,
    PRIMARY KEY (account_id, skill_id)
);

-- Copilot agent definitions (platform agents under the platform account).
CREATE TABLE "Alchemi_AgentDefTable" (
    account_id            uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    agent_id              text        NOT NULL,
    name                  text        NOT NULL,
    description           text,
    prompt                text,
    page                  text,
    categories            jsonb       NOT NULL DEFAULT '{}',
    tags                  text[]      NOT NULL DEFAULT '{}',
    builtin_tools         text[]      NOT NULL DEFAULT '{}',
    tools_mcp_ids         text[]      NOT NULL DEFAULT '{}',
    tools_openapi_ids     text[]      NOT NULL DEFAULT '{}',
    links                 jsonb       NOT NULL DEFAULT '{}',
    is_singleton          bool        NOT NULL DEFAULT false,
    is_non_conversational bool        NOT NULL DEFAULT false,
    status                text        NOT NULL DEFAULT 'active',
    availability          text[]      NOT NULL DEFAULT '{platform}',
    provider              text        NOT NULL DEFAULT 'PLATFORM',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, agent_id)
);
CREATE INDEX ON "Alchemi_AgentDefTable" (account_id, name);
CREATE INDEX ON "Alchemi_AgentDefTable" (account_id, page);
CREATE INDEX ON "Alchemi_AgentDefTable" (account_id, status);
CREATE INDEX ON "Alchemi_AgentDefTable" (account_id, provider);

-- Named groups of copilot agents (group_code unique per account).
CREATE TABLE "Alchemi_AgentGroupTable" (
    account_id  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id          text        NOT NULL DEFAULT gen_random_uuid()::text,
    group_code  text        NOT NULL,
    name        text        NOT NULL,
    description text,
    group_type  text        NOT NULL,
    metadata    jsonb       NOT NULL DEFAULT '{}',
    status      text        NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    -- Also serves the spec's group_code index, which would be identical.
    UNIQUE (account_id, group_code)
);
CREATE INDEX ON "Alchemi_AgentGroupTable" (account_id, group_type);
CREATE INDEX ON "Alchemi_AgentGroupTable" (account_id, status);

-- Membership of agents in agent groups, with display order.
CREATE TABLE "Alchemi_AgentGroupMemberTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    group_id      text        NOT NULL,
    agent_id      text        NOT NULL,
    display_order int         NOT NULL DEFAULT 0,
    metadata      jsonb       NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, group_id, agent_id),
    FOREIGN KEY (account_id, group_id) REFERENCES "Alchemi_AgentGroupTable" (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, agent_id) REFERENCES "Alchemi_AgentDefTable" (account_id, agent_id) ON DELETE CASCADE
);

-- Marketplace listings of copilot agents.
CREATE TABLE "Alchemi_AgentMarketplaceTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    agent_id       text        NOT NULL,
    listing_status text        NOT NULL DEFAULT 'draft',
    listing_data   jsonb       NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, agent_id) REFERENCES "Alchemi_AgentDefTable" (account_id, agent_id) ON DELETE RESTRICT
);
CREATE INDEX ON "Alchemi_AgentMarketplaceTable" (account_id, agent_id);
CREATE INDEX ON "Alchemi_AgentMarketplaceTable" (account_id, listing_status);
