-- Key lists are ordered newest first with the hash as tie-breaker: an index
-- in exactly that order lets a deep page skip entries without reading rows.
DROP INDEX IF EXISTS "LiteLLM_VerificationToken_account_id_created_at_idx";
CREATE INDEX IF NOT EXISTS "LiteLLM_VerificationToken_account_list_idx"
    ON "LiteLLM_VerificationToken" (account_id, created_at DESC NULLS LAST, token);
