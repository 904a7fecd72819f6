\set s 100000000000 + random(1, :accounts)
\set k random(1, 100)
\set d random(1, 29)
SELECT '00000000-0000-4000-8000-' || :s AS account \gset
BEGIN;
:ROLE_SETUP
SELECT to_jsonb(l.*) FROM "LiteLLM_SpendLogs" l
 WHERE l.account_id = :account
   AND l.api_key = md5(:account || :k) || md5(:k || :account)
   AND l."startTime" >= date_trunc('day', now()) - make_interval(days => :d)
   AND l."startTime" < date_trunc('day', now()) - make_interval(days => :d - 1)
 ORDER BY l."startTime" DESC LIMIT 100;
COMMIT;
