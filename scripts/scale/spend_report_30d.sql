\set s 100000000000 + random(1, :accounts)
SELECT '00000000-0000-4000-8000-' || :s AS account \gset
BEGIN;
:ROLE_SETUP
SELECT date_trunc('day', l."startTime") AS day, l.model, sum(l.spend), sum(l.total_tokens), count(*)
  FROM "LiteLLM_SpendLogs" l
 WHERE l.account_id = :account AND l."startTime" >= now() - interval '30 days'
 GROUP BY 1, 2 ORDER BY 1, 2;
COMMIT;
