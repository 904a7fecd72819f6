-- `updated_at` is maintained by the database on every table that has one,
-- so no writer can forget it. Later migrations that add such a table add its
-- trigger the same way.
DO $$
DECLARE
    tbl regclass;
BEGIN
    FOR tbl IN
        SELECT c.oid::regclass
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND a.attname = 'updated_at' AND NOT a.attisdropped
           -- the audit log's updated_at is the event time, written once
           AND c.relname <> 'LiteLLM_AuditLog'
    LOOP
        EXECUTE format(
            'CREATE TRIGGER touch_updated_at BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION alchemi.touch_updated_at()',
            tbl);
    END LOOP;
END
$$;
