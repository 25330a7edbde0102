"""Encryption at rest for the few database values that carry secrets (camera URLs).

Fernet (AES-128-CBC with HMAC-SHA256) with the key from LFR_FIELD_ENCRYPTION_KEY. Several
keys may be given, separated by commas: the first encrypts, all decrypt, so a key can be
rotated without a flag day. Outside production a key is made under var/ on first use;
production must be given one, and loses every camera URL if it loses the key.
"""

import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _read_or_create_key_file(path):
    key_path = Path(path)
    if not key_path.exists():
        if not settings.LFR_FIELD_ENCRYPTION_KEY_AUTOCREATE:
            raise ImproperlyConfigured(
                "LFR_FIELD_ENCRYPTION_KEY must be set (make one with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
            )
        key_path.parent.mkdir(parents=True, exist_ok=True)
        # Created exclusively so two processes starting at once end up with the same key.
        try:
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        except FileExistsError:
            pass
    return key_path.read_text().strip()


@lru_cache(maxsize=4)
def _fernet(configured, key_file):
    keys = configured or _read_or_create_key_file(key_file)
    try:
        return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])
    except ValueError:
        raise ImproperlyConfigured(
            "LFR_FIELD_ENCRYPTION_KEY must be one or more Fernet keys (32 url-safe base64 "
            "bytes), separated by commas."
        ) from None


def field_cipher():
    return _fernet(
        settings.LFR_FIELD_ENCRYPTION_KEY or "", str(settings.LFR_FIELD_ENCRYPTION_KEY_FILE)
    )


def encrypt_text(text):
    return field_cipher().encrypt(text.encode()).decode("ascii")


def decrypt_text(token):
    try:
        return field_cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise ImproperlyConfigured(
            "A stored value cannot be decrypted with LFR_FIELD_ENCRYPTION_KEY: the key is "
            "not the one it was written with."
        ) from None


# Marks a serialised value as ciphertext; no camera source URL can start with it (the
# camera source rules accept no such scheme).
SERIALISED_PREFIX = "fernet:"


class EncryptedTextField(models.TextField):
    """Text that Python sees in clear and the database holds only encrypted.

    The ciphertext differs each time, so the column cannot be searched: every lookup but
    isnull is refused rather than silently matching nothing.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)

    def value_to_string(self, obj):
        # What serialisers write (dumpdata, fixtures): the ciphertext, marked, never the
        # value in clear, so a dump is no more sensitive than the database it came from.
        value = self.value_from_object(obj)
        if value is None or value == "":
            return value
        return SERIALISED_PREFIX + encrypt_text(value)

    def to_python(self, value):
        # loaddata hands back what value_to_string wrote.
        if isinstance(value, str) and value.startswith(SERIALISED_PREFIX):
            return decrypt_text(value.removeprefix(SERIALISED_PREFIX))
        return value

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)
