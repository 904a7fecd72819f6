\set s 100000000000 + random(1, :accounts)
BEGIN;
:ROLE_SETUP
SELECT count(*) FROM "LiteLLM_VerificationToken" k WHERE k.account_id = '00000000-0000-4000-8000-:s';
SELECT to_jsonb(k.*) FROM (
  SELECT k.token, k.created_at FROM "LiteLLM_VerificationToken" k WHERE k.account_id = '00000000-0000-4000-8000-:s'
   ORDER BY k.created_at DESC NULLS LAST, k.token LIMIT 10 OFFSET 0) p
  JOIN "LiteLLM_VerificationToken" k ON k.account_id = '00000000-0000-4000-8000-:s' AND k.token = p.token
 ORDER BY p.created_at DESC NULLS LAST, p.token;
COMMIT;
