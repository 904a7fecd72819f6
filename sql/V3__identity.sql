-- Account administrators, by email.
-- The spec's account_id FK is ON DELETE RESTRICT; like every tenant table it cascades here (tenant rule).
CREATE TABLE "Alchemi_AccountAdminTable" (
    account_id uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id         text        NOT NULL DEFAULT gen_random_uuid()::text,
    user_email text        NOT NULL,
    role       text        NOT NULL DEFAULT 'account_admin',
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, user_email)
);
-- The spec's user_email index becomes (account_id, user_email), the same columns as the UNIQUE above: not created.

-- Per-account SSO configuration (one per account).
-- The spec's account_id FK is ON DELETE RESTRICT; like every tenant table it cascades here (tenant rule).
CREATE TABLE "Alchemi_AccountSSOConfig" (
    account_id   uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id           text        NOT NULL DEFAULT gen_random_uuid()::text,
    sso_provider text,
    sso_settings jsonb       NOT NULL DEFAULT '{}',
    enabled      bool        NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id)
);

-- Cross-tenant user identities (the original `users`); tenant links go through the membership table.
CREATE TABLE "Alchemi_UserTable" (
    account_id         uuid        NOT NULL DEFAULT alchemi.platform_account_id() REFERENCES "Alchemi_AccountTable" (account_id) CHECK (account_id = alchemi.platform_account_id()),
    id                 text        NOT NULL DEFAULT gen_random_uuid()::text,
    email              text        NOT NULL,
    name               text        NOT NULL,
    profile_image      text,
    ad_user_id         text,
    is_active          bool        NOT NULL DEFAULT true,
    email_verified     bool        NOT NULL DEFAULT false,
    global_preferences jsonb       NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id),
    UNIQUE (email),
    -- Optional directory id: NULLs stay distinct so any number of users may have none.
    UNIQUE (ad_user_id)
);
CREATE INDEX ON "Alchemi_UserTable" (account_id);

-- A user's membership in an account, with app role and tenant preferences.
-- The spec has account_id nullable with ON DELETE SET NULL; it is NOT NULL and cascades here (tenant rule).
-- user_id is only a logical link in the spec; it is enforced here.
CREATE TABLE "Alchemi_AccountMembershipTable" (
    account_id         uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                 text        NOT NULL DEFAULT gen_random_uuid()::text,
    user_id            text        NOT NULL REFERENCES "Alchemi_UserTable" (id) ON DELETE CASCADE,
    app_role           text        NOT NULL DEFAULT 'member',
    is_active          bool        NOT NULL DEFAULT true,
    joined_at          timestamptz NOT NULL DEFAULT now(),
    invited_by         text,
    last_active_at     timestamptz,
    team_id            text,
    tenant_preferences jsonb       NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, user_id)
);
-- The spec's user_id index would duplicate the UNIQUE (account_id, user_id) if led by account_id; instead it
-- stays on user_id alone: it serves the cascade from the global user table and a user's list of accounts.
CREATE INDEX ON "Alchemi_AccountMembershipTable" (user_id);
CREATE INDEX ON "Alchemi_AccountMembershipTable" (account_id, team_id);
CREATE INDEX ON "Alchemi_AccountMembershipTable" (account_id, is_active);

-- LiteLLM organizations: budget, models and spend above teams.
-- The spec's account_id FK is ON DELETE SET NULL; account_id is NOT NULL here, so it cascades (tenant rule).
CREATE TABLE "LiteLLM_OrganizationTable" (
    account_id           uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    organization_id      text        NOT NULL DEFAULT gen_random_uuid()::text,
    organization_alias   text        NOT NULL,
    budget_id            text        NOT NULL,
    metadata             jsonb       NOT NULL DEFAULT '{}',
    models               text[]      NOT NULL DEFAULT '{}',
    spend                float8      NOT NULL DEFAULT 0,
    model_spend          jsonb       NOT NULL DEFAULT '{}',
    object_permission_id text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    created_by           text        NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    updated_by           text        NOT NULL,
    PRIMARY KEY (account_id, organization_id),
    FOREIGN KEY (account_id, budget_id) REFERENCES "LiteLLM_BudgetTable" (account_id, budget_id) ON DELETE RESTRICT,
    FOREIGN KEY (account_id, object_permission_id) REFERENCES "LiteLLM_ObjectPermissionTable" (account_id, object_permission_id) ON DELETE SET NULL (object_permission_id)
);

-- LiteLLM internal users (proxy users, with budgets, limits and spend).
CREATE TABLE "LiteLLM_UserTable" (
    account_id             uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    user_id                text        NOT NULL,
    user_alias             text,
    team_id                text,
    sso_user_id            text,
    organization_id        text,
    object_permission_id   text,
    password               text,
    teams                  text[]      NOT NULL DEFAULT '{}',
    user_role              text,
    max_budget             float8,
    spend                  float8      NOT NULL DEFAULT 0,
    user_email             text,
    models                 text[]      NOT NULL DEFAULT '{}',
    metadata               jsonb       NOT NULL DEFAULT '{}',
    max_parallel_requests  int,
    tpm_limit              bigint,
    rpm_limit              bigint,
    budget_duration        text,
    budget_reset_at        timestamptz,
    allowed_cache_controls text[]      NOT NULL DEFAULT '{}',
    policies               text[]      NOT NULL DEFAULT '{}',
    model_spend            jsonb       NOT NULL DEFAULT '{}',
    model_max_budget       jsonb       NOT NULL DEFAULT '{}',
    created_at             timestamptz DEFAULT now(),
    updated_at             timestamptz DEFAULT now(),
    PRIMARY KEY (account_id, user_id),
    -- Optional SSO id: NULLs stay distinct so any number of users may have none.
    UNIQUE (account_id, sso_user_id),
    FOREIGN KEY (account_id, organization_id) REFERENCES "LiteLLM_OrganizationTable" (account_id, organization_id) ON DELETE SET NULL (organization_id),
    FOREIGN KEY (account_id, object_permission_id) REFERENCES "LiteLLM_ObjectPermissionTable" (account_id, object_permission_id) ON DELETE SET NULL (object_permission_id)
);
CREATE INDEX ON "LiteLLM_UserTable" (account_id, lower(user_email));

-- A user's role, spend and budget within an organization.
-- The original's redundant UNIQUE on the PK columns is dropped.
CREATE TABLE "LiteLLM_OrganizationMembership" (
    account_id      uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    user_id         text        NOT NULL,
    organization_id text        NOT NULL,
    user_role       text,
    spend           float8      DEFAULT 0,
    budget_id       text,
    created_at      timestamptz DEFAULT now(),
    updated_at      timestamptz DEFAULT now(),
    PRIMARY KEY (account_id, user_id, organization_id),
    FOREIGN KEY (account_id, user_id) REFERENCES "LiteLLM_UserTable" (account_id, user_id) ON DELETE RESTRICT,
    FOREIGN KEY (account_id, organization_id) REFERENCES "LiteLLM_OrganizationTable" (account_id, organization_id) ON DELETE RESTRICT,
    FOREIGN KEY (account_id, budget_id) REFERENCES "LiteLLM_BudgetTable" (account_id, budget_id) ON DELETE SET NULL (budget_id)
);

-- Team-level model aliases (1:1 with a team through LiteLLM_TeamTable.model_id).
-- The original has no account_id; it is the owning team's account.
CREATE TABLE "LiteLLM_ModelTable" (
    account_id uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id         int         GENERATED BY DEFAULT AS IDENTITY,
    aliases    jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL,
    PRIMARY KEY (account_id, id)
);

-- LiteLLM teams: members, models, budgets, limits and spend.
CREATE TABLE "LiteLLM_TeamTable" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    team_id                     text        NOT NULL DEFAULT gen_random_uuid()::text,
    team_alias                  text,
    organization_id             text,
    object_permission_id        text,
    admins                      text[]      NOT NULL DEFAULT '{}',
    members                     text[]      NOT NULL DEFAULT '{}',
    members_with_roles          jsonb       NOT NULL DEFAULT '{}',
    metadata                    jsonb       NOT NULL DEFAULT '{}',
    max_budget                  float8,
    soft_budget                 float8,
    spend                       float8      NOT NULL DEFAULT 0,
    models                      text[]      NOT NULL DEFAULT '{}',
    max_parallel_requests       int,
    tpm_limit                   bigint,
    rpm_limit                   bigint,
    budget_duration             text,
    budget_reset_at             timestamptz,
    blocked                     bool        NOT NULL DEFAULT false,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    model_spend                 jsonb       NOT NULL DEFAULT '{}',
    model_max_budget            jsonb       NOT NULL DEFAULT '{}',
    router_settings             jsonb       DEFAULT '{}',
    team_member_permissions     text[]      NOT NULL DEFAULT '{}',
    access_group_ids            text[]      NOT NULL DEFAULT '{}',
    policies                    text[]      NOT NULL DEFAULT '{}',
    model_id                    int,
    allow_team_guardrail_config bool        NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, team_id),
    -- Optional link: NULLs stay distinct so any number of teams may have no model aliases.
    UNIQUE (account_id, model_id),
    FOREIGN KEY (account_id, organization_id) REFERENCES "LiteLLM_OrganizationTable" (account_id, organization_id) ON DELETE SET NULL (organization_id),
    FOREIGN KEY (account_id, model_id) REFERENCES "LiteLLM_ModelTable" (account_id, id) ON DELETE SET NULL (model_id),
    FOREIGN KEY (account_id, object_permission_id) REFERENCES "LiteLLM_ObjectPermissionTable" (account_id, object_permission_id) ON DELETE SET NULL (object_permission_id)
);

-- A user's spend and budget within a team (user and team are logical links, no FK).
CREATE TABLE "LiteLLM_TeamMembership" (
    account_id uuid   NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    user_id    text   NOT NULL,
    team_id    text   NOT NULL,
    spend      float8 NOT NULL DEFAULT 0,
    budget_id  text,
    PRIMARY KEY (account_id, user_id, team_id),
    FOREIGN KEY (account_id, budget_id) REFERENCES "LiteLLM_BudgetTable" (account_id, budget_id) ON DELETE SET NULL (budget_id)
);

-- End users (customers) identified by the id the caller sends.
CREATE TABLE "LiteLLM_EndUserTable" (
    account_id           uuid   NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    user_id              text   NOT NULL,
    alias                text,
    spend                float8 NOT NULL DEFAULT 0,
    allowed_model_region text,
    default_model        text,
    budget_id            text,
    blocked              bool   NOT NULL DEFAULT false,
    PRIMARY KEY (account_id, user_id),
    FOREIGN KEY (account_id, budget_id) REFERENCES "LiteLLM_BudgetTable" (account_id, budget_id) ON DELETE SET NULL (budget_id)
);

-- Invitation links for LiteLLM users.
CREATE TABLE "LiteLLM_InvitationLink" (
    account_id  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id          text        NOT NULL DEFAULT gen_random_uuid()::text,
    user_id     text        NOT NULL,
    is_accepted bool        NOT NULL DEFAULT false,
    accepted_at timestamptz,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    created_by  text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES "LiteLLM_UserTable" (account_id, user_id) ON DELETE RESTRICT,
    FOREIGN KEY (account_id, created_by) REFERENCES "LiteLLM_UserTable" (account_id, user_id) ON DELETE RESTRICT,
    FOREIGN KEY (account_id, updated_by) REFERENCES "LiteLLM_UserTable" (account_id, user_id) ON DELETE RESTRICT
);

-- Archive of deleted LiteLLM teams.
CREATE TABLE "LiteLLM_DeletedTeamTable" (
    account_id                  uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id                          text        NOT NULL DEFAULT gen_random_uuid()::text,
    team_id                     text        NOT NULL,
    team_alias                  text,
    organization_id             text,
    object_permission_id        text,
    admins                      text[]      NOT NULL DEFAULT '{}',
    members                     text[]      NOT NULL DEFAULT '{}',
    members_with_roles          jsonb       NOT NULL DEFAULT '{}',
    metadata                    jsonb       NOT NULL DEFAULT '{}',
    max_budget                  float8,
    soft_budget                 float8,
    spend                       float8      NOT NULL DEFAULT 0,
    models                      text[]      NOT NULL DEFAULT '{}',
    max_parallel_requests       int,
    tpm_limit                   bigint,
    rpm_limit                   bigint,
    budget_duration             text,
    budget_reset_at             timestamptz,
    blocked                     bool        NOT NULL DEFAULT false,
    created_at                  timestamptz,
    updated_at                  timestamptz DEFAULT now(),
    model_spend                 jsonb       NOT NULL DEFAULT '{}',
    model_max_budget            jsonb       NOT NULL DEFAULT '{}',
    router_settings             jsonb       DEFAULT '{}',
    team_member_permissions     text[]      NOT NULL DEFAULT '{}',
    access_group_ids            text[]      NOT NULL DEFAULT '{}',
    policies                    text[]      NOT NULL DEFAULT '{}',
    model_id                    int,
    allow_team_guardrail_config bool        NOT NULL DEFAULT false,
    deleted_at                  timestamptz NOT NULL DEFAULT now(),
    deleted_by                  text,
    deleted_by_api_key          text,
    litellm_changed_by          text,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX ON "LiteLLM_DeletedTeamTable" (account_id, team_id);
CREATE INDEX ON "LiteLLM_DeletedTeamTable" (account_id, deleted_at);
CREATE INDEX ON "LiteLLM_DeletedTeamTable" (account_id, organization_id);
CREATE INDEX ON "LiteLLM_DeletedTeamTable" (account_id, team_alias);
CREATE INDEX ON "LiteLLM_DeletedTeamTable" (account_id, created_at);

-- Copilot directory groups (the original `groups`).
CREATE TABLE "Alchemi_GroupTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    name          text        NOT NULL,
    description   text,
    is_default    bool        NOT NULL DEFAULT false,
    owner_id      text,
    contact_email text,
    created_by    text,
    updated_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, name)
);
CREATE INDEX ON "Alchemi_GroupTable" (account_id, owner_id);

-- Copilot directory teams within a group (the original `teams`).
-- The original has no account_id (it is the group's account) and group_id is only a logical link; both are
-- enforced here.
CREATE TABLE "Alchemi_TeamTable" (
    account_id    uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id            text        NOT NULL DEFAULT gen_random_uuid()::text,
    group_id      text        NOT NULL,
    name          text        NOT NULL,
    description   text,
    is_default    bool        NOT NULL DEFAULT false,
    owner_id      text,
    contact_email text,
    created_by    text,
    updated_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, group_id, name),
    FOREIGN KEY (account_id, group_id) REFERENCES "Alchemi_GroupTable" (account_id, id) ON DELETE CASCADE
);
-- The spec's group_id index becomes a prefix of the UNIQUE above: not created.
CREATE INDEX ON "Alchemi_TeamTable" (account_id, owner_id);

-- Pending and accepted invitations to an account or workspace (role_id and workspace_id are logical links).
CREATE TABLE "Alchemi_UserInviteTable" (
    account_id      uuid        NOT NULL REFERENCES "Alchemi_AccountTable" (account_id) ON DELETE CASCADE,
    id              text        NOT NULL DEFAULT gen_random_uuid()::text,
    workspace_id    text,
    email           text        NOT NULL,
    role_id         text,
    status          text        NOT NULL DEFAULT 'PENDING',
    token           text        NOT NULL,
    expires_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    accepted_by     text,
    invitation_data jsonb       NOT NULL DEFAULT '{}',
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, token)
);
CREATE INDEX ON "Alchemi_UserInviteTable" (account_id, workspace_id);
CREATE INDEX ON "Alchemi_UserInviteTable" (account_id, email);
CREATE INDEX ON "Alchemi_UserInviteTable" (account_id, status);
CREATE INDEX ON "Alchemi_UserInviteTable" (account_id, expires_at);
