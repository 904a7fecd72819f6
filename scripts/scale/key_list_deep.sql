\set s 100000000000 + random(1, :accounts)
SELECT '00000000-0000-4000-8000-' || :s AS account \gset
BEGIN;
:ROLE_SETUP
SELECT count(*) FROM "LiteLLM_VerificationToken" k WHERE k.account_id = :account;
SELECT to_jsonb(k.*) FROM (
  SELECT k.token, k.created_at FROM "LiteLLM_VerificationToken" k WHERE k.account_id = :account
   ORDER BY k.created_at DESC NULLS LAST, k.token LIMIT 10 OFFSET 990) p
  JOIN "LiteLLM_VerificationToken" k ON k.account_id = :account AND k.token = p.token
 ORDER BY p.created_at DESC NULLS LAST, p.token;
COMMIT;
