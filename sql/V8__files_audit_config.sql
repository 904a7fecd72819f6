CREATE TYPE "JobStatus" AS ENUM ('ACTIVE', 'INACTIVE');

-- Files uploaded through the proxy, with their per-deployment file ids.
-- account_id is new (the original has none); unified_file_id is unique per tenant.
CREATE TABLE "LiteLLM_ManagedFileTable" (
    account_id          uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                  text        NOT NULL DEFAULT gen_random_uuid()::text,
    unified_file_id     text        NOT NULL,
    file_object         jsonb,
    model_mappings      jsonb       NOT NULL DEFAULT '{}',
    flat_model_file_ids text[]      NOT NULL DEFAULT '{}',
    storage_backend     text,
    storage_url         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          text,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          text,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, unified_file_id)
);

-- Batch and fine-tune jobs created through the proxy.
-- account_id is new (the original has none); both object ids are unique per tenant.
CREATE TABLE "LiteLLM_ManagedObjectTable" (
    account_id        uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                text        NOT NULL DEFAULT gen_random_uuid()::text,
    unified_object_id text        NOT NULL,
    model_object_id   text        NOT NULL,
    file_object       jsonb       NOT NULL DEFAULT '{}',
    file_purpose      text        NOT NULL,
    status            text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by        text,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, unified_object_id),
    UNIQUE (account_id, model_object_id)
);

-- Vector store resources created through the proxy, with their per-deployment ids.
-- account_id is new (the original has none); unified_resource_id is unique per tenant.
CREATE TABLE "LiteLLM_ManagedVectorStoreTable" (
    account_id              uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                      text        NOT NULL DEFAULT gen_random_uuid()::text,
    unified_resource_id     text        NOT NULL,
    resource_object         jsonb,
    model_mappings          jsonb       NOT NULL DEFAULT '{}',
    flat_model_resource_ids text[]      NOT NULL DEFAULT '{}',
    storage_backend         text,
    storage_url             text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by              text,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    updated_by              text,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, unified_resource_id)
);

-- Vector stores registered with the proxy (provider, credentials, owner).
-- account_id is new (the original has none).
CREATE TABLE "LiteLLM_ManagedVectorStoresTable" (
    account_id               uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    vector_store_id          text        NOT NULL,
    custom_llm_provider      text        NOT NULL,
    vector_store_name        text,
    vector_store_description text,
    vector_store_metadata    jsonb,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    litellm_credential_name  text,
    litellm_params           jsonb,
    team_id                  text,
    user_id                  text,
    PRIMARY KEY (account_id, vector_store_id)
);
CREATE INDEX ON "LiteLLM_ManagedVectorStoresTable" (account_id, team_id);
CREATE INDEX ON "LiteLLM_ManagedVectorStoresTable" (account_id, user_id);

-- Vector store indexes created through the proxy.
-- account_id is new (the original has none); index_name is unique per tenant.
CREATE TABLE "LiteLLM_ManagedVectorStoreIndexTable" (
    account_id     uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id             text        NOT NULL DEFAULT gen_random_uuid()::text,
    index_name     text        NOT NULL,
    litellm_params jsonb       NOT NULL DEFAULT '{}',
    index_info     jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, index_name)
);

-- Audit trail of changes to proxy objects; updated_at is the event time.
CREATE TABLE "LiteLLM_AuditLog" (
    account_id         uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                 text        NOT NULL DEFAULT gen_random_uuid()::text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    changed_by         text        NOT NULL DEFAULT '',
    changed_by_api_key text        NOT NULL DEFAULT '',
    action             text        NOT NULL,
    table_name         text        NOT NULL,
    object_id          text        NOT NULL,
    before_value       jsonb,
    updated_values     jsonb,
    PRIMARY KEY (account_id, id)
);
-- Not in the spec: lookups by time, by object and by actor within a tenant.
CREATE INDEX ON "LiteLLM_AuditLog" (account_id, updated_at);
CREATE INDEX ON "LiteLLM_AuditLog" (account_id, table_name, object_id);
CREATE INDEX ON "LiteLLM_AuditLog" (account_id, changed_by);

-- Team members' requests for access to models.
-- account_id is new (the original has none), set from the requesting user.
CREATE TABLE "LiteLLM_UserNotifications" (
    account_id    uuid   NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    request_id    text   NOT NULL,
    user_id       text   NOT NULL,
    models        text[] NOT NULL DEFAULT '{}',
    justification text   NOT NULL,
    status        text   NOT NULL,
    PRIMARY KEY (account_id, request_id)
);

-- Notifications sent to users of an account.
CREATE TABLE "Alchemi_NotificationTable" (
    account_id   uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id           text        NOT NULL DEFAULT gen_random_uuid()::text,
    recipient_id text        NOT NULL,
    type         text        NOT NULL,
    title        text        NOT NULL,
    content      text        NOT NULL,
    status       text        NOT NULL DEFAULT 'PENDING',
    read_at      timestamptz,
    sent_at      timestamptz,
    metadata     jsonb       NOT NULL DEFAULT '{}',
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);
-- The spec's recipient_id and (account_id, recipient_id) indexes are the same index once
-- account_id leads: created once.
CREATE INDEX ON "Alchemi_NotificationTable" (account_id, recipient_id);
CREATE INDEX ON "Alchemi_NotificationTable" (account_id, type);
CREATE INDEX ON "Alchemi_NotificationTable" (account_id, status);
CREATE INDEX ON "Alchemi_NotificationTable" (account_id, created_at);

-- Base notification templates of the platform.
CREATE TABLE "Alchemi_NotificationTemplateTable" (
    account_id       uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    id               text        NOT NULL DEFAULT gen_random_uuid()::text,
    template_id      text,
    title_line       text,
    template_content text,
    event_id         text,
    type             text,
    created_by       text,
    updated_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id),
    UNIQUE (template_id)
);
CREATE INDEX ON "Alchemi_NotificationTemplateTable" (event_id);
CREATE INDEX ON "Alchemi_NotificationTemplateTable" (type);
CREATE INDEX ON "Alchemi_NotificationTemplateTable" (account_id);

-- Per-account overrides of a base notification template.
-- template_id is a logical reference to "Alchemi_NotificationTemplateTable".template_id (no FK).
CREATE TABLE "Alchemi_AccountNotificationTemplateTable" (
    account_id  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id          text        NOT NULL DEFAULT gen_random_uuid()::text,
    template_id text        NOT NULL,
    overrides   jsonb       NOT NULL DEFAULT '{}',
    is_active   bool        NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, template_id)
);

-- Proxy settings stored from config.yaml; platform rows hold the proxy-wide defaults.
-- param_name was the global PK; it is unique per tenant now.
CREATE TABLE "LiteLLM_Config" (
    account_id  uuid  NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    param_name  text  NOT NULL,
    param_value jsonb,
    PRIMARY KEY (account_id, param_name)
);

-- Admin UI settings of an account.
-- The singleton PK id = 'ui_settings' becomes (account_id, id): one row per tenant.
CREATE TABLE "LiteLLM_UISettings" (
    account_id  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id          text        NOT NULL DEFAULT 'ui_settings',
    ui_settings jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id)
);

-- SSO settings for the platform's own (super admin) login; a singleton row.
CREATE TABLE "LiteLLM_SSOConfig" (
    account_id   uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    id           text        NOT NULL DEFAULT 'sso_config',
    sso_settings jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ON "LiteLLM_SSOConfig" (account_id);

-- Cache settings of the proxy; a singleton row.
CREATE TABLE "LiteLLM_CacheConfig" (
    account_id     uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    id             text        NOT NULL DEFAULT 'cache_config',
    cache_settings jsonb       NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id)
);
CREATE INDEX ON "LiteLLM_CacheConfig" (account_id);

-- Leader election of cron jobs between proxy pods.
CREATE TABLE "LiteLLM_CronJob" (
    account_id   uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    cronjob_id   text        NOT NULL DEFAULT gen_random_uuid()::text,
    pod_id       text        NOT NULL,
    status       "JobStatus" NOT NULL DEFAULT 'INACTIVE',
    last_updated timestamptz NOT NULL DEFAULT now(),
    ttl          timestamptz NOT NULL,
    PRIMARY KEY (cronjob_id)
);
CREATE INDEX ON "LiteLLM_CronJob" (account_id);

-- Platform catalog of products, features and their hierarchy.
CREATE TABLE "Alchemi_PlatformCatalogTable" (
    account_id    uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    code          text        NOT NULL,
    name          text        NOT NULL,
    category      text        NOT NULL,
    parent_code   text,
    value_config  jsonb       NOT NULL DEFAULT '{}',
    is_active     bool        NOT NULL DEFAULT true,
    display_order int         NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code)
);
CREATE INDEX ON "Alchemi_PlatformCatalogTable" (category);
CREATE INDEX ON "Alchemi_PlatformCatalogTable" (parent_code);
CREATE INDEX ON "Alchemi_PlatformCatalogTable" (is_active);
CREATE INDEX ON "Alchemi_PlatformCatalogTable" (account_id);

-- Per-account overrides of platform catalog entries (restrictions, values, validity).
CREATE TABLE "Alchemi_AccountOverrideConfigTable" (
    account_id         uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                 text        NOT NULL DEFAULT gen_random_uuid()::text,
    product_code       text,
    feature_code       text,
    entity_code        text        NOT NULL,
    name               text        NOT NULL,
    category           text        NOT NULL,
    parent_entity_code text,
    distribution_kind  text,
    action             text        NOT NULL DEFAULT 'RESTRICT',
    inherit            bool        NOT NULL DEFAULT true,
    value_config       jsonb       NOT NULL DEFAULT '{}',
    scope_type         text        NOT NULL DEFAULT 'ACCOUNT',
    scope_id           text,
    restriction_json   jsonb,
    reason             text,
    valid_from         timestamptz NOT NULL DEFAULT now(),
    valid_until        timestamptz,
    created_by         text,
    updated_by         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, entity_code, scope_type)
);
-- The spec's entity_code index becomes (account_id, entity_code), a prefix of the unique
-- key's index above: not created.
CREATE INDEX ON "Alchemi_AccountOverrideConfigTable" (account_id, category);
CREATE INDEX ON "Alchemi_AccountOverrideConfigTable" (account_id, scope_type, scope_id);
CREATE INDEX ON "Alchemi_AccountOverrideConfigTable" (account_id, valid_from, valid_until);

-- Self-reference of the catalog hierarchy, added once the table exists.
ALTER TABLE "Alchemi_PlatformCatalogTable"
    ADD FOREIGN KEY (parent_code) REFERENCES "Alchemi_PlatformCatalogTable" (code) ON DELETE SET NULL;
