-- Copilot workspaces and their product / analysis state.
CREATE TABLE "Alchemi_WorkspaceTable" (
    account_id             uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                     text        NOT NULL DEFAULT gen_random_uuid()::text,
    name                   text        NOT NULL,
    description            text,
    status                 text        NOT NULL DEFAULT 'ACTIVE',
    current_analysis_state text,
    is_mvp_ready           bool        NOT NULL DEFAULT false,
    product_info           jsonb       NOT NULL DEFAULT '{}',
    workspace_info         jsonb       NOT NULL DEFAULT '{}',
    analysis_data          jsonb       NOT NULL DEFAULT '{}',
    created_by             text,
    updated_by             text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "Alchemi_WorkspaceTable" (account_id, name);
CREATE INDEX ON "Alchemi_WorkspaceTable" (account_id, status);

-- Users of a workspace and their role in it.
CREATE TABLE "Alchemi_WorkspaceMemberTable" (
    account_id   uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id           text        NOT NULL DEFAULT gen_random_uuid()::text,
    workspace_id text        NOT NULL,
    user_id      text        NOT NULL,
    -- No FK to Alchemi_RoleTable: roles may be platform rows under another account id.
    role_id      text,
    status       text        NOT NULL DEFAULT 'ACTIVE',
    created_by   text,
    updated_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, workspace_id, user_id),
    FOREIGN KEY (account_id, workspace_id) REFERENCES "Alchemi_WorkspaceTable" (account_id, id) ON DELETE CASCADE
);
CREATE INDEX ON "Alchemi_WorkspaceMemberTable" (account_id, user_id);
CREATE INDEX ON "Alchemi_WorkspaceMemberTable" (account_id, workspace_id);
CREATE INDEX ON "Alchemi_WorkspaceMemberTable" (account_id, role_id);
CREATE INDEX ON "Alchemi_WorkspaceMemberTable" (account_id, status);

-- Threaded comments on workspace objects.
CREATE TABLE "Alchemi_DiscussionTable" (
    account_id         uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                 text        NOT NULL DEFAULT gen_random_uuid()::text,
    workspace_id       text,
    type               text        NOT NULL,
    content            text        NOT NULL,
    parent_object_type text,
    parent_object_id   text,
    parent_message_id  text,
    resolved           bool        NOT NULL DEFAULT false,
    resolved_at        timestamptz,
    resolved_by        text,
    mentions           text[]      NOT NULL DEFAULT '{}',
    attachments        text[]      NOT NULL DEFAULT '{}',
    reactions          jsonb       NOT NULL DEFAULT '[]',
    created_by         text,
    updated_by         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, workspace_id) REFERENCES "Alchemi_WorkspaceTable" (account_id, id) ON DELETE SET NULL (workspace_id)
);
CREATE INDEX ON "Alchemi_DiscussionTable" (account_id, workspace_id);
CREATE INDEX ON "Alchemi_DiscussionTable" (account_id, parent_object_type, parent_object_id);
CREATE INDEX ON "Alchemi_DiscussionTable" (account_id, parent_message_id);
CREATE INDEX ON "Alchemi_DiscussionTable" (account_id, resolved);

-- Support tickets raised by users.
CREATE TABLE "Alchemi_SupportTicketTable" (
    account_id      uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id              text        NOT NULL DEFAULT gen_random_uuid()::text,
    user_profile_id text,
    subject         text        NOT NULL,
    description     text        NOT NULL,
    status          text                 DEFAULT 'OPEN',
    priority        text        NOT NULL DEFAULT 'MEDIUM',
    assigned_to     text,
    created_by      text,
    updated_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "Alchemi_SupportTicketTable" (account_id, user_profile_id);
-- Serves both the spec's status and (account_id, status) indexes, which become identical.
CREATE INDEX ON "Alchemi_SupportTicketTable" (account_id, status);
CREATE INDEX ON "Alchemi_SupportTicketTable" (account_id, priority);
CREATE INDEX ON "Alchemi_SupportTicketTable" (account_id, assigned_to);

-- MVP (generated app) configurations of a workspace.
CREATE TABLE "Alchemi_MvpConfigTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    workspace_id  text,
    name          text        NOT NULL,
    description   text                 DEFAULT '',
    creation_type text        NOT NULL DEFAULT 'default',
    mvp_type      text        NOT NULL DEFAULT 'simple',
    framework     text        NOT NULL DEFAULT 'nextjs',
    commit_count  int         NOT NULL DEFAULT 0,
    connections   jsonb       NOT NULL DEFAULT '{}',
    base_versions jsonb       NOT NULL DEFAULT '[]',
    config        jsonb       NOT NULL DEFAULT '{}',
    access_token  text,
    created_by    text,
    updated_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, name),
    FOREIGN KEY (account_id, workspace_id) REFERENCES "Alchemi_WorkspaceTable" (account_id, id) ON DELETE SET NULL (workspace_id)
);

-- Connections (data sources, services) used by a workspace or an MVP version.
CREATE TABLE "Alchemi_ConnectionTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    workspace_id   text,
    name           text        NOT NULL,
    type           text        NOT NULL,
    status         text        NOT NULL DEFAULT 'ACTIVE',
    config         jsonb       NOT NULL DEFAULT '{}',
    mvp_version_id text,
    created_by     text,
    updated_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, workspace_id) REFERENCES "Alchemi_WorkspaceTable" (account_id, id) ON DELETE SET NULL (workspace_id)
);
CREATE INDEX ON "Alchemi_ConnectionTable" (account_id, type);
CREATE INDEX ON "Alchemi_ConnectionTable" (account_id, status);

-- Composio integration connections of a workspace or user; workspace_id has no FK.
CREATE TABLE "Alchemi_IntegrationConnectionTable" (
    account_id                    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                            text        NOT NULL DEFAULT gen_random_uuid()::text,
    workspace_id                  text        NOT NULL,
    user_id                       text,
    connection_level              text        NOT NULL DEFAULT 'WORKSPACE',
    name                          text        NOT NULL,
    description_for_agent         text,
    integration_type              text        NOT NULL,
    app_name                      text        NOT NULL,
    composio_entity_id            text        NOT NULL,
    composio_connected_account_id text,
    status                        text        NOT NULL DEFAULT 'active',
    connected_at                  timestamptz NOT NULL DEFAULT now(),
    connected_by_user_id          text        NOT NULL,
    updated_at                    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE NULLS NOT DISTINCT (account_id, workspace_id, app_name, user_id)
);
CREATE INDEX ON "Alchemi_IntegrationConnectionTable" (account_id, workspace_id);
CREATE INDEX ON "Alchemi_IntegrationConnectionTable" (account_id, user_id);
CREATE INDEX ON "Alchemi_IntegrationConnectionTable" (account_id, composio_entity_id);
CREATE INDEX ON "Alchemi_IntegrationConnectionTable" (account_id, status);

-- Global catalog of available integrations (Composio toolkits).
CREATE TABLE "Alchemi_IntegrationsDefTable" (
    account_id     uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    id             text        NOT NULL,
    name           text        NOT NULL,
    description    text,
    toolkit        text        NOT NULL,
    auth_config_id text        NOT NULL,
    icon           text,
    color          text,
    bg_color       text,
    enabled        bool        NOT NULL DEFAULT true,
    display_order  int         NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ON "Alchemi_IntegrationsDefTable" (toolkit);
CREATE INDEX ON "Alchemi_IntegrationsDefTable" (enabled);
CREATE INDEX ON "Alchemi_IntegrationsDefTable" (account_id);

-- Account-level connections (mcp, openapi, integration) offered to agents.
CREATE TABLE "Alchemi_AccountConnectionTable" (
    account_id            uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                    text        NOT NULL DEFAULT gen_random_uuid()::text,
    connection_type       text        NOT NULL,
    name                  text        NOT NULL,
    description           text,
    description_for_agent text,
    connection_data       jsonb       NOT NULL DEFAULT '{}',
    is_active             bool        NOT NULL DEFAULT true,
    is_default            bool        NOT NULL DEFAULT false,
    metadata              jsonb       NOT NULL DEFAULT '{}',
    created_by            text,
    updated_by            text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, name)
);
CREATE INDEX ON "Alchemi_AccountConnectionTable" (account_id, connection_type);

-- MCP server configurations of a workspace or an MVP version.
CREATE TABLE "Alchemi_McpConfigTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    workspace_id   text,
    name           text        NOT NULL,
    server_name    text        NOT NULL,
    config         jsonb       NOT NULL DEFAULT '{}',
    is_active      bool        NOT NULL DEFAULT true,
    mvp_version_id text,
    created_by     text,
    updated_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, workspace_id) REFERENCES "Alchemi_WorkspaceTable" (account_id, id) ON DELETE SET NULL (workspace_id),
    FOREIGN KEY (account_id, mvp_version_id) REFERENCES "Alchemi_MvpConfigTable" (account_id, id) ON DELETE SET NULL (mvp_version_id)
);
CREATE INDEX ON "Alchemi_McpConfigTable" (account_id, workspace_id);
CREATE INDEX ON "Alchemi_McpConfigTable" (account_id, is_active);
CREATE INDEX ON "Alchemi_McpConfigTable" (account_id, server_name);

-- Circular (MvpConfig <-> Connection) and self references, added once all tables exist.
ALTER TABLE "Alchemi_ConnectionTable"
    ADD FOREIGN KEY (account_id, mvp_version_id) REFERENCES "Alchemi_MvpConfigTable" (account_id, id) ON DELETE SET NULL (mvp_version_id);
ALTER TABLE "Alchemi_DiscussionTable"
    ADD FOREIGN KEY (account_id, parent_message_id) REFERENCES "Alchemi_DiscussionTable" (account_id, id) ON DELETE SET NULL (parent_message_id);
