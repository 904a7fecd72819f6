-- Scale data for scripts/scale-bench.sh: :accounts accounts, :keys keys
-- each, :logs spend-log rows each spread over the last 30 days. Account i
-- is 00000000-0000-4000-8000-<100000000000 + i>; key k of an account has the
-- hash md5(account || k) || md5(k || account).
INSERT INTO "Alchemi_AccountTable" (account_id, account_name)
SELECT ('00000000-0000-4000-8000-' || (100000000000 + i))::uuid, 'scale-' || i
  FROM generate_series(1, :accounts) i;

INSERT INTO "LiteLLM_VerificationToken" (account_id, token, key_alias, user_id, team_id, spend, created_at)
SELECT a.account_id,
       md5(a.account_id::text || k) || md5(k || a.account_id::text),
       'key-' || k, 'user-' || (k % 50), 'team-' || (k % 10), random() * 10,
       now() - make_interval(mins => k)
  FROM "Alchemi_AccountTable" a, generate_series(1, :keys) k
 WHERE a.account_name LIKE 'scale-%';

-- Spend logs go in per account, so progress is steady and memory bounded.
DO $$
DECLARE
    account uuid;
    done int := 0;
BEGIN
    FOR account IN SELECT account_id FROM "Alchemi_AccountTable" WHERE account_name LIKE 'scale-%' ORDER BY account_name LOOP
        INSERT INTO "LiteLLM_SpendLogs"
               (account_id, request_id, call_type, api_key, spend, total_tokens, prompt_tokens,
                completion_tokens, "startTime", "endTime", model, model_group, custom_llm_provider,
                "user", team_id, status)
        SELECT account, 'req-' || s, 'acompletion',
               md5(account::text || (s % 100 + 1)) || md5((s % 100 + 1) || account::text),
               (s % 97) * 0.0001, 100, 60, 40,
               now() - make_interval(secs => (s * 259.0) % 2592000),
               now() - make_interval(secs => (s * 259.0) % 2592000) + interval '1 second',
               (ARRAY['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'gemini-1.5-pro'])[s % 4 + 1],
               (ARRAY['gpt-4o', 'gpt-4o-mini', 'claude', 'gemini'])[s % 4 + 1],
               (ARRAY['openai', 'openai', 'anthropic', 'gemini'])[s % 4 + 1],
               'user-' || (s % 50), 'team-' || (s % 10), 'success'
          FROM generate_series(1, current_setting('scale.logs')::int) s;
        done := done + 1;
        IF done % 100 = 0 THEN
            RAISE NOTICE 'spend logs: % accounts done', done;
        END IF;
    END LOOP;
END $$;

VACUUM ANALYZE;
