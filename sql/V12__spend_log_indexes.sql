-- Every call inserts a spend-log row, and every index on the table is paid
-- for on that insert. Team, user and model reports read the daily tables
-- or narrow by account and time first, so those three indexes go; the
-- per-key index stays for key pages and `/spend/logs?api_key=`.
DROP INDEX IF EXISTS "LiteLLM_SpendLogs_account_id_team_id_startTime_idx";
DROP INDEX IF EXISTS "LiteLLM_SpendLogs_account_id_user_startTime_idx";
DROP INDEX IF EXISTS "LiteLLM_SpendLogs_account_id_model_startTime_idx";
