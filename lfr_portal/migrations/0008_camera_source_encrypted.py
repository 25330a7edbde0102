"""Camera source URLs are encrypted at rest (lfr_portal/encryption.py).

The column becomes text (ciphertext is longer than the URL), then each stored URL is
encrypted in place. Raw SQL, because the model's field would try to decrypt the
plaintext rows it reads.
"""

import django.core.validators
from django.db import migrations

import lfr_portal.encryption


def _rows(schema_editor, table):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, source_url FROM {table}")  # noqa: S608 (a model's table)
        return cursor.fetchall()


def _rewrite(schema_editor, table, convert):
    for pk, value in _rows(schema_editor, table):
        if not value:
            continue
        new = convert(value)
        if new is None:
            continue
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET source_url = %s WHERE id = %s", [new, pk])  # noqa: S608


def _is_ciphertext(value):
    from cryptography.fernet import InvalidToken

    try:
        lfr_portal.encryption.field_cipher().decrypt(value.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def encrypt_sources(apps, schema_editor):
    table = apps.get_model("lfr_portal", "Camera")._meta.db_table
    _rewrite(
        schema_editor,
        table,
        lambda value: None if _is_ciphertext(value) else lfr_portal.encryption.encrypt_text(value),
    )


def decrypt_sources(apps, schema_editor):
    table = apps.get_model("lfr_portal", "Camera")._meta.db_table
    _rewrite(
        schema_editor,
        table,
        lambda value: lfr_portal.encryption.decrypt_text(value) if _is_ciphertext(value) else None,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("lfr_portal", "0007_accuracy"),
    ]

    operations = [
        migrations.AlterField(
            model_name="camera",
            name="source_url",
            field=lfr_portal.encryption.EncryptedTextField(
                validators=[django.core.validators.MaxLengthValidator(1000)]
            ),
        ),
        migrations.RunPython(encrypt_sources, decrypt_sources),
    ]
