"""On PostgreSQL, refuse UPDATE and DELETE on the audit trail at the database itself.

The retention path is the one exception: it sets `lfr.audit_retention` for its own
transaction and leaves a signed checkpoint of what it removed.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION lfr_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('lfr.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % of row % refused', TG_OP, OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER lfr_audit_append_only
    BEFORE UPDATE OR DELETE ON lfr_portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION lfr_audit_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS lfr_audit_append_only ON lfr_portal_auditevent;
DROP FUNCTION IF EXISTS lfr_audit_refuse_change();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("lfr_portal", "0002_roles")]

    operations = [migrations.RunPython(create, drop)]
