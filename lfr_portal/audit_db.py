"""The audit log's protections inside PostgreSQL, and the two roles they rely on.

Used by migration 0010 and by `manage.py audit_db_roles`; PostgreSQL only (on
SQLite, the embedded default, none of this exists and only the signed tree heads
protect the log).

- Triggers refuse UPDATE, DELETE (per row) and TRUNCATE (per statement) on the
  audit rows, the signed tree heads and the record of pruned rows, for every role.
- The one way to remove rows is `lfr_audit_prune(batch)`, a SECURITY DEFINER
  function owned by the migration (owner) role. It removes only rows older than
  the retention period written into it, oldest first, keeps their leaf and chain
  hashes, and the trigger lets its DELETE through only when it runs as a member of
  the table's owner: the application role cannot reach that path by setting a
  session variable, as it could before.
- The application role gets ordinary rights on every table but only SELECT and
  INSERT on the audit tables (SELECT on the pruned record).
"""

import re

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

AUDIT_TABLES = ("lfr_portal_auditevent", "lfr_portal_auditcheckpoint")
PRUNED_TABLE = "lfr_portal_auditprunedleaf"
PROTECTED_TABLES = (*AUDIT_TABLES, PRUNED_TABLE)

TRIGGERS = """
CREATE OR REPLACE FUNCTION lfr_audit_refuse_change() RETURNS trigger AS $$
DECLARE
    stack text;
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'lfr_portal_auditevent' THEN
        -- Let through only the retention function's own DELETE: it runs as the
        -- table's owner, and the call stack shows it. Anyone else, the owner and a
        -- superuser included, is refused (a superuser can still switch triggers
        -- off; then the published tree heads are what catches it).
        GET DIAGNOSTICS stack = PG_CONTEXT;
        IF stack LIKE '%function lfr_audit_prune(integer)%'
           AND pg_has_role(current_user,
                           (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TABLE_TRIGGERS = """
DROP TRIGGER IF EXISTS lfr_audit_append_only ON {table};
CREATE TRIGGER lfr_audit_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION lfr_audit_refuse_change();
DROP TRIGGER IF EXISTS lfr_audit_no_truncate ON {table};
CREATE TRIGGER lfr_audit_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION lfr_audit_refuse_change();
"""

PRUNE_FUNCTION = """
CREATE OR REPLACE FUNCTION lfr_audit_prune(batch integer)
RETURNS TABLE (first_seq bigint, last_seq bigint, removed bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    cutoff timestamptz := now() - make_interval(secs => {retention_seconds});
    oldest_kept bigint;
BEGIN
    -- Only the oldest rows go, and only as a prefix: a row still within retention
    -- keeps every later row, whatever its timestamp says.
    SELECT min(e.seq) INTO oldest_kept FROM lfr_portal_auditevent e
        WHERE e.occurred_at >= cutoff;
    WITH victims AS (
        SELECT e.seq, e.leaf_hash, e.row_hash FROM lfr_portal_auditevent e
        WHERE e.occurred_at < cutoff AND (oldest_kept IS NULL OR e.seq < oldest_kept)
        ORDER BY e.seq LIMIT greatest(batch, 0)
    ), kept AS (
        INSERT INTO lfr_portal_auditprunedleaf (seq, leaf_hash, row_hash, removed_at)
        SELECT v.seq, v.leaf_hash, v.row_hash, now() FROM victims v
        RETURNING seq
    ), gone AS (
        DELETE FROM lfr_portal_auditevent e USING kept WHERE e.seq = kept.seq
        RETURNING e.seq
    )
    SELECT min(gone.seq), max(gone.seq), count(*) INTO first_seq, last_seq, removed FROM gone;
    RETURN NEXT;
END;
$$;
REVOKE ALL ON FUNCTION lfr_audit_prune(integer) FROM PUBLIC;
"""

DROP_ALL = """
DROP FUNCTION IF EXISTS lfr_audit_prune(integer);
""" + "".join(
    f"DROP TRIGGER IF EXISTS lfr_audit_append_only ON {t};\n"
    f"DROP TRIGGER IF EXISTS lfr_audit_no_truncate ON {t};\n"
    for t in PROTECTED_TABLES
)


def _quote(cursor, role):
    cursor.execute("SELECT quote_ident(%s)", [role])
    return cursor.fetchone()[0]


def role_exists(cursor, role):
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def install_protections(cursor, *, retention_seconds):
    """Triggers and the retention function; idempotent. Runs as the owner role."""
    cursor.execute(TRIGGERS)
    for table in PROTECTED_TABLES:
        cursor.execute(TABLE_TRIGGERS.format(table=table))
    cursor.execute(PRUNE_FUNCTION.format(retention_seconds=int(retention_seconds)))


def grant_app_role(cursor, app_role):
    """Ordinary rights everywhere, SELECT and INSERT only on the log. Idempotent.

    Does nothing when there is no separate application role (one role does
    everything, as on a developer's machine): then only the signed heads protect.
    """
    cursor.execute("SELECT current_user")
    if not app_role or app_role == cursor.fetchone()[0] or not role_exists(cursor, app_role):
        return False
    app = _quote(cursor, app_role)
    cursor.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
    cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}")
    # UPDATE lets loaddata reset id sequences; the log's order is its own `seq` column.
    cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app}")
    # Tables later migrations create get the same ordinary rights.
    cursor.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}"
    )
    cursor.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {app}"
    )
    for table in AUDIT_TABLES:
        cursor.execute(f"REVOKE ALL ON {table} FROM {app}")
        cursor.execute(f"GRANT SELECT, INSERT ON {table} TO {app}")
    cursor.execute(f"REVOKE ALL ON {PRUNED_TABLE} FROM {app}")
    cursor.execute(f"GRANT SELECT ON {PRUNED_TABLE} TO {app}")
    cursor.execute(f"GRANT EXECUTE ON FUNCTION lfr_audit_prune(integer) TO {app}")
    return True


def create_roles(cursor, *, owner_role, app_role):
    """Create the two login roles if missing (run as a superuser). Idempotent and race-safe."""
    for role, extra in ((owner_role, "CREATEDB"), (app_role, "")):
        if not ROLE_NAME.fullmatch(role or ""):
            raise ValueError(f"{role!r} is not a plain role name (lower case, digits, _)")
        # Two test sessions starting at once may both try; the loser's error is harmless.
        cursor.execute(
            f"DO $$ BEGIN CREATE ROLE {role} LOGIN {extra}; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
