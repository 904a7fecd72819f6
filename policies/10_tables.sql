-- The tenancy class of every table (see 00_tenancy.sql). A table missing
-- here has no class comment, and `alchemi rls-audit` reports it as a gap.

-- Plain tenant tables: each row belongs to one account.
CALL alchemi.apply_tenancy('public."Alchemi_AccountMembershipTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_OrganizationTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_OrganizationMembership"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_TeamTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_TeamMembership"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_UserTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_EndUserTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_InvitationLink"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DeletedTeamTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_GroupTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_TeamTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_UserInviteTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ObjectPermissionTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_AccessGroupTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_VerificationToken"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DeprecatedVerificationToken"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DeletedVerificationToken"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_AccessTokenTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_CredentialsTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ModelTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_HealthCheckTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_SpendLogs"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DailyUserSpend"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DailyOrganizationSpend"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DailyEndUserSpend"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DailyAgentSpend"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DailyTeamSpend"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_DailyTagSpend"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ErrorLogs"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_CostTrackingTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_BudgetTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_TagTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_BudgetPlanTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_CreditBudgetTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_GuardrailsTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_PolicyTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_PolicyAttachmentTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_GuardrailsConfigTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_GuardrailsAuditLogTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_AgentsTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_MCPServerTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_SearchToolsTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_PromptTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_SkillsTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_McpConfigTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_ConnectionTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_IntegrationConnectionTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_AccountConnectionTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_MvpConfigTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ManagedFileTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ManagedObjectTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ManagedVectorStoreTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ManagedVectorStoresTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_ManagedVectorStoreIndexTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_AuditLog"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_UserNotifications"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_NotificationTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_AccountNotificationTemplateTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_WorkspaceTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_WorkspaceMemberTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_DiscussionTable"', 'tenant');
CALL alchemi.apply_tenancy('public."Alchemi_SupportTicketTable"', 'tenant');
CALL alchemi.apply_tenancy('public."LiteLLM_UISettings"', 'tenant');

-- Tenant tables that also hold platform rows (platform account) every tenant may read.
CALL alchemi.apply_tenancy('public."Alchemi_RoleTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_RolePermissionTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."LiteLLM_ProxyModelTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_ConfigProviderTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_ConfigModelTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_ConfigDefaultModelTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_ConfigSandboxPricingTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_GuardrailsCustomPatternTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_AgentDefTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_AgentGroupTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_AgentGroupMemberTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."Alchemi_AgentMarketplaceTable"', 'tenant_platform');
CALL alchemi.apply_tenancy('public."LiteLLM_Config"', 'tenant_platform');

-- Tenant tables only the super admin writes; an account reads its own rows.
CALL alchemi.apply_tenancy('public."Alchemi_AccountTable"', 'tenant_readonly');
CALL alchemi.apply_tenancy('public."Alchemi_AccountAdminTable"', 'tenant_readonly');
CALL alchemi.apply_tenancy('public."Alchemi_AccountSSOConfig"', 'tenant_readonly');
CALL alchemi.apply_tenancy('public."Alchemi_SubscriptionTable"', 'tenant_readonly');
CALL alchemi.apply_tenancy('public."Alchemi_AccountQuotaTable"', 'tenant_readonly');
CALL alchemi.apply_tenancy('public."Alchemi_AccountOverrideConfigTable"', 'tenant_readonly');

-- Global catalogs: readable by every tenant, written by the super admin.
CALL alchemi.apply_tenancy('public."Alchemi_PermissionTable"', 'catalog');
CALL alchemi.apply_tenancy('public."Alchemi_SubscriptionPlanTable"', 'catalog');
CALL alchemi.apply_tenancy('public."Alchemi_IntegrationsDefTable"', 'catalog');
CALL alchemi.apply_tenancy('public."Alchemi_NotificationTemplateTable"', 'catalog');
CALL alchemi.apply_tenancy('public."Alchemi_PlatformCatalogTable"', 'catalog');

-- Shared user identity, visible to an account through its memberships.
CALL alchemi.apply_tenancy('public."Alchemi_UserTable"', 'identity');

-- Platform bookkeeping: no tenant access.
CALL alchemi.apply_tenancy('public."LiteLLM_SSOConfig"', 'internal');
CALL alchemi.apply_tenancy('public."LiteLLM_CacheConfig"', 'internal');
CALL alchemi.apply_tenancy('public."LiteLLM_CronJob"', 'internal');
