-- One row per proxied request: tokens, cost, timing and the request/response.
CREATE TABLE "LiteLLM_SpendLogs" (
    account_id                uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    request_id                text        NOT NULL,
    call_type                 text        NOT NULL,
    api_key                   text        NOT NULL DEFAULT '',
    spend                     float8      NOT NULL DEFAULT 0,
    total_tokens              int         NOT NULL DEFAULT 0,
    prompt_tokens             int         NOT NULL DEFAULT 0,
    completion_tokens         int         NOT NULL DEFAULT 0,
    "startTime"               timestamptz NOT NULL,
    "endTime"                 timestamptz NOT NULL,
    "completionStartTime"     timestamptz,
    model                     text        NOT NULL DEFAULT '',
    model_id                  text                 DEFAULT '',
    model_group               text                 DEFAULT '',
    custom_llm_provider       text                 DEFAULT '',
    api_base                  text                 DEFAULT '',
    "user"                    text                 DEFAULT '',
    metadata                  jsonb                DEFAULT '{}',
    cache_hit                 text                 DEFAULT '',
    cache_key                 text                 DEFAULT '',
    request_tags              jsonb                DEFAULT '[]',
    team_id                   text,
    organization_id           text,
    end_user                  text,
    requester_ip_address      text,
    messages                  jsonb                DEFAULT '{}',
    response                  jsonb                DEFAULT '{}',
    session_id                text,
    status                    text,
    mcp_namespaced_tool_name  text,
    agent_id                  text,
    proxy_server_request      jsonb                DEFAULT '{}',
    PRIMARY KEY (account_id, request_id)
);
CREATE INDEX ON "LiteLLM_SpendLogs" (account_id, "startTime");
CREATE INDEX ON "LiteLLM_SpendLogs" (account_id, end_user);
CREATE INDEX ON "LiteLLM_SpendLogs" (account_id, session_id);
-- Not in the spec: the spend report filters by key, team, user and model over a time range.
CREATE INDEX ON "LiteLLM_SpendLogs" (account_id, api_key, "startTime");
CREATE INDEX ON "LiteLLM_SpendLogs" (account_id, team_id, "startTime");
CREATE INDEX ON "LiteLLM_SpendLogs" (account_id, "user", "startTime");
CREATE INDEX ON "LiteLLM_SpendLogs" (account_id, model, "startTime");

-- Daily spend and token totals per user, key, model, provider, MCP tool and endpoint.
CREATE TABLE "LiteLLM_DailyUserSpend" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                          text        NOT NULL DEFAULT gen_random_uuid()::text,
    user_id                     text,
    date                        text        NOT NULL,
    api_key                     text        NOT NULL,
    model                       text,
    model_group                 text,
    custom_llm_provider         text,
    mcp_namespaced_tool_name    text,
    endpoint                    text,
    prompt_tokens               bigint      NOT NULL DEFAULT 0,
    completion_tokens           bigint      NOT NULL DEFAULT 0,
    cache_read_input_tokens     bigint      NOT NULL DEFAULT 0,
    cache_creation_input_tokens bigint      NOT NULL DEFAULT 0,
    spend                       float8      NOT NULL DEFAULT 0,
    api_requests                bigint      NOT NULL DEFAULT 0,
    successful_requests         bigint      NOT NULL DEFAULT 0,
    failed_requests             bigint      NOT NULL DEFAULT 0,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    -- The upsert key; NULLS NOT DISTINCT so that ON CONFLICT matches rows with NULL columns.
    UNIQUE NULLS NOT DISTINCT (account_id, user_id, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint)
);
-- The spec's index on user_id is served by the upsert key, which starts with (account_id, user_id, date).
CREATE INDEX ON "LiteLLM_DailyUserSpend" (account_id, date);
CREATE INDEX ON "LiteLLM_DailyUserSpend" (account_id, api_key);
CREATE INDEX ON "LiteLLM_DailyUserSpend" (account_id, model);
CREATE INDEX ON "LiteLLM_DailyUserSpend" (account_id, mcp_namespaced_tool_name);
CREATE INDEX ON "LiteLLM_DailyUserSpend" (account_id, endpoint);

-- Daily spend and token totals per organization, key, model, provider, MCP tool and endpoint.
CREATE TABLE "LiteLLM_DailyOrganizationSpend" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                          text        NOT NULL DEFAULT gen_random_uuid()::text,
    organization_id             text,
    date                        text        NOT NULL,
    api_key                     text        NOT NULL,
    model                       text,
    model_group                 text,
    custom_llm_provider         text,
    mcp_namespaced_tool_name    text,
    endpoint                    text,
    prompt_tokens               bigint      NOT NULL DEFAULT 0,
    completion_tokens           bigint      NOT NULL DEFAULT 0,
    cache_read_input_tokens     bigint      NOT NULL DEFAULT 0,
    cache_creation_input_tokens bigint      NOT NULL DEFAULT 0,
    spend                       float8      NOT NULL DEFAULT 0,
    api_requests                bigint      NOT NULL DEFAULT 0,
    successful_requests         bigint      NOT NULL DEFAULT 0,
    failed_requests             bigint      NOT NULL DEFAULT 0,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    -- The upsert key; NULLS NOT DISTINCT so that ON CONFLICT matches rows with NULL columns.
    UNIQUE NULLS NOT DISTINCT (account_id, organization_id, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint)
);
-- The spec's index on organization_id is served by the upsert key, which starts with (account_id, organization_id, date).
CREATE INDEX ON "LiteLLM_DailyOrganizationSpend" (account_id, date);
CREATE INDEX ON "LiteLLM_DailyOrganizationSpend" (account_id, api_key);
CREATE INDEX ON "LiteLLM_DailyOrganizationSpend" (account_id, model);
CREATE INDEX ON "LiteLLM_DailyOrganizationSpend" (account_id, mcp_namespaced_tool_name);
CREATE INDEX ON "LiteLLM_DailyOrganizationSpend" (account_id, endpoint);

-- Daily spend and token totals per end user (customer), key, model, provider, MCP tool and endpoint.
CREATE TABLE "LiteLLM_DailyEndUserSpend" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                          text        NOT NULL DEFAULT gen_random_uuid()::text,
    end_user_id                 text,
    date                        text        NOT NULL,
    api_key                     text        NOT NULL,
    model                       text,
    model_group                 text,
    custom_llm_provider         text,
    mcp_namespaced_tool_name    text,
    endpoint                    text,
    prompt_tokens               bigint      NOT NULL DEFAULT 0,
    completion_tokens           bigint      NOT NULL DEFAULT 0,
    cache_read_input_tokens     bigint      NOT NULL DEFAULT 0,
    cache_creation_input_tokens bigint      NOT NULL DEFAULT 0,
    spend                       float8      NOT NULL DEFAULT 0,
    api_requests                bigint      NOT NULL DEFAULT 0,
    successful_requests         bigint      NOT NULL DEFAULT 0,
    failed_requests             bigint      NOT NULL DEFAULT 0,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    -- The upsert key; NULLS NOT DISTINCT so that ON CONFLICT matches rows with NULL columns.
    UNIQUE NULLS NOT DISTINCT (account_id, end_user_id, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint)
);
-- The spec's index on end_user_id is served by the upsert key, which starts with (account_id, end_user_id, date).
CREATE INDEX ON "LiteLLM_DailyEndUserSpend" (account_id, date);
CREATE INDEX ON "LiteLLM_DailyEndUserSpend" (account_id, api_key);
CREATE INDEX ON "LiteLLM_DailyEndUserSpend" (account_id, model);
CREATE INDEX ON "LiteLLM_DailyEndUserSpend" (account_id, mcp_namespaced_tool_name);
CREATE INDEX ON "LiteLLM_DailyEndUserSpend" (account_id, endpoint);

-- Daily spend and token totals per agent, key, model, provider, MCP tool and endpoint.
CREATE TABLE "LiteLLM_DailyAgentSpend" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                          text        NOT NULL DEFAULT gen_random_uuid()::text,
    agent_id                    text,
    date                        text        NOT NULL,
    api_key                     text        NOT NULL,
    model                       text,
    model_group                 text,
    custom_llm_provider         text,
    mcp_namespaced_tool_name    text,
    endpoint                    text,
    prompt_tokens               bigint      NOT NULL DEFAULT 0,
    completion_tokens           bigint      NOT NULL DEFAULT 0,
    cache_read_input_tokens     bigint      NOT NULL DEFAULT 0,
    cache_creation_input_tokens bigint      NOT NULL DEFAULT 0,
    spend                       float8      NOT NULL DEFAULT 0,
    api_requests                bigint      NOT NULL DEFAULT 0,
    successful_requests         bigint      NOT NULL DEFAULT 0,
    failed_requests             bigint      NOT NULL DEFAULT 0,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    -- The upsert key; NULLS NOT DISTINCT so that ON CONFLICT matches rows with NULL columns.
    UNIQUE NULLS NOT DISTINCT (account_id, agent_id, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint)
);
-- The spec's index on agent_id is served by the upsert key, which starts with (account_id, agent_id, date).
CREATE INDEX ON "LiteLLM_DailyAgentSpend" (account_id, date);
CREATE INDEX ON "LiteLLM_DailyAgentSpend" (account_id, api_key);
CREATE INDEX ON "LiteLLM_DailyAgentSpend" (account_id, model);
CREATE INDEX ON "LiteLLM_DailyAgentSpend" (account_id, mcp_namespaced_tool_name);
CREATE INDEX ON "LiteLLM_DailyAgentSpend" (account_id, endpoint);

-- Daily spend and token totals per team, key, model, provider, MCP tool and endpoint.
CREATE TABLE "LiteLLM_DailyTeamSpend" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                          text        NOT NULL DEFAULT gen_random_uuid()::text,
    team_id                     text,
    date                        text        NOT NULL,
    api_key                     text        NOT NULL,
    model                       text,
    model_group                 text,
    custom_llm_provider         text,
    mcp_namespaced_tool_name    text,
    endpoint                    text,
    prompt_tokens               bigint      NOT NULL DEFAULT 0,
    completion_tokens           bigint      NOT NULL DEFAULT 0,
    cache_read_input_tokens     bigint      NOT NULL DEFAULT 0,
    cache_creation_input_tokens bigint      NOT NULL DEFAULT 0,
    spend                       float8      NOT NULL DEFAULT 0,
    api_requests                bigint      NOT NULL DEFAULT 0,
    successful_requests         bigint      NOT NULL DEFAULT 0,
    failed_requests             bigint      NOT NULL DEFAULT 0,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    -- The upsert key; NULLS NOT DISTINCT so that ON CONFLICT matches rows with NULL columns.
    UNIQUE NULLS NOT DISTINCT (account_id, team_id, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint)
);
-- The spec's index on team_id is served by the upsert key, which starts with (account_id, team_id, date).
CREATE INDEX ON "LiteLLM_DailyTeamSpend" (account_id, date);
CREATE INDEX ON "LiteLLM_DailyTeamSpend" (account_id, api_key);
CREATE INDEX ON "LiteLLM_DailyTeamSpend" (account_id, model);
CREATE INDEX ON "LiteLLM_DailyTeamSpend" (account_id, mcp_namespaced_tool_name);
CREATE INDEX ON "LiteLLM_DailyTeamSpend" (account_id, endpoint);

-- Daily spend and token totals per tag, key, model, provider, MCP tool and endpoint.
CREATE TABLE "LiteLLM_DailyTagSpend" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                          text        NOT NULL DEFAULT gen_random_uuid()::text,
    tag                         text,
    date                        text        NOT NULL,
    api_key                     text        NOT NULL,
    model                       text,
    model_group                 text,
    custom_llm_provider         text,
    mcp_namespaced_tool_name    text,
    endpoint                    text,
    prompt_tokens               bigint      NOT NULL DEFAULT 0,
    completion_tokens           bigint      NOT NULL DEFAULT 0,
    cache_read_input_tokens     bigint      NOT NULL DEFAULT 0,
    cache_creation_input_tokens bigint      NOT NULL DEFAULT 0,
    spend                       float8      NOT NULL DEFAULT 0,
    api_requests                bigint      NOT NULL DEFAULT 0,
    successful_requests         bigint      NOT NULL DEFAULT 0,
    failed_requests             bigint      NOT NULL DEFAULT 0,
    request_id                  text,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    -- The upsert key; NULLS NOT DISTINCT so that ON CONFLICT matches rows with NULL columns.
    UNIQUE NULLS NOT DISTINCT (account_id, tag, date, api_key, model, custom_llm_provider, mcp_namespaced_tool_name, endpoint)
);
-- The spec's index on tag is served by the upsert key, which starts with (account_id, tag, date).
CREATE INDEX ON "LiteLLM_DailyTagSpend" (account_id, date);
CREATE INDEX ON "LiteLLM_DailyTagSpend" (account_id, api_key);
CREATE INDEX ON "LiteLLM_DailyTagSpend" (account_id, model);
CREATE INDEX ON "LiteLLM_DailyTagSpend" (account_id, mcp_namespaced_tool_name);
CREATE INDEX ON "LiteLLM_DailyTagSpend" (account_id, endpoint);

-- Failed LLM calls with the exception raised.
CREATE TABLE "LiteLLM_ErrorLogs" (
    account_id         uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    request_id         text        NOT NULL DEFAULT gen_random_uuid()::text,
    "startTime"        timestamptz NOT NULL,
    "endTime"          timestamptz NOT NULL,
    api_base           text        NOT NULL DEFAULT '',
    model_group        text        NOT NULL DEFAULT '',
    litellm_model_name text        NOT NULL DEFAULT '',
    model_id           text        NOT NULL DEFAULT '',
    request_kwargs     jsonb       NOT NULL DEFAULT '{}',
    exception_type     text        NOT NULL DEFAULT '',
    exception_string   text        NOT NULL DEFAULT '',
    status_code        text        NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, request_id)
);

-- Copilot usage cost per workspace, user, model and tool call.
CREATE TABLE "Alchemi_CostTrackingTable" (
    account_id        uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                int         GENERATED BY DEFAULT AS IDENTITY,
    workspace_id      text        NOT NULL,
    user_id           text        NOT NULL,
    model             text        NOT NULL,
    tool              text        NOT NULL,
    cost              float8      NOT NULL,
    prompt_tokens     int,
    completion_tokens int,
    total_tokens      int,
    metadata          jsonb,
    thread_id         text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
-- The spec's index on workspace_id is served by the two below, which start with (account_id, workspace_id).
CREATE INDEX ON "Alchemi_CostTrackingTable" (account_id, workspace_id, user_id);
CREATE INDEX ON "Alchemi_CostTrackingTable" (account_id, workspace_id, created_at);
CREATE INDEX ON "Alchemi_CostTrackingTable" (account_id, user_id);
CREATE INDEX ON "Alchemi_CostTrackingTable" (account_id, created_at);
CREATE INDEX ON "Alchemi_CostTrackingTable" (account_id, thread_id);
