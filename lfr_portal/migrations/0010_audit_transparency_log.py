"""The audit trail becomes a transparency log, protected by two PostgreSQL roles.

- rows get their RFC 9162 leaf hash; checkpoints become signed tree heads (root hash);
- rows removed by retention leave their hashes in `auditprunedleaf`;
- on PostgreSQL: UPDATE, DELETE and TRUNCATE are refused on all three tables, the
  session-setting escape of 0003 is gone, retention goes through the SECURITY
  DEFINER function `lfr_audit_prune`, and the application role (LFR_DB_APP_ROLE)
  may only SELECT and INSERT on the log. See lfr_portal/audit_db.py.
"""

import importlib

from django.conf import settings
from django.db import migrations, models

from lfr_portal import audit_db


def drop_old_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS lfr_audit_append_only ON lfr_portal_auditevent", params=None
        )


def restore_old_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        old = importlib.import_module("lfr_portal.migrations.0003_audit_append_only")
        schema_editor.execute(old.CREATE, params=None)


def fill_leaf_hashes(apps, schema_editor):
    from lfr_portal import audit_chain

    AuditEvent = apps.get_model("lfr_portal", "AuditEvent")
    for event in AuditEvent.objects.filter(leaf_hash="").order_by("seq").iterator():
        fields = {
            "seq": event.seq,
            "occurred_at": event.occurred_at.isoformat(),
            "actor_username": event.actor_username,
            "actor_role": event.actor_role,
            "action": event.action,
            "object_type": event.object_type,
            "object_public_id": event.object_public_id,
            "object_repr": event.object_repr,
            "deployment_public_id": event.deployment_public_id,
            "client_address": event.client_address,
            "reason": event.reason,
            "changes": event.changes,
        }
        AuditEvent.objects.filter(pk=event.pk).update(leaf_hash=audit_chain.leaf_hash(fields))


def protect(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        audit_db.install_protections(
            cursor, retention_seconds=settings.LFR_AUDIT_RETENTION.total_seconds()
        )
        audit_db.grant_app_role(cursor, getattr(settings, "LFR_DB_APP_ROLE", None))


def unprotect(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(audit_db.DROP_ALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("lfr_portal", "0009_alert_crop_pending")]

    operations = [
        migrations.RunPython(drop_old_trigger, restore_old_trigger),
        migrations.CreateModel(
            name="AuditPrunedLeaf",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(unique=True)),
                ("leaf_hash", models.CharField(max_length=64)),
                ("row_hash", models.CharField(max_length=64)),
                ("removed_at", models.DateTimeField()),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="frontier",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="root_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="leaf_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditcheckpoint",
            name="kind",
            field=models.CharField(
                choices=[
                    ("periodic", "Periodic signature of the head"),
                    ("export", "Signed for an export"),
                    ("retention", "Rows removed by the retention rule"),
                    ("rows", "Signed after a number of rows"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(fill_leaf_hashes, migrations.RunPython.noop),
        migrations.RunPython(protect, unprotect),
    ]
