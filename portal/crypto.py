"""Field-level encryption of personal data at rest (PIPL 第五十一条; security.md "Data").

Identity numbers, bank accounts, phone numbers and application answers are sealed with
AES-256-GCM before they reach the database. The stored text is

    <key id>:<base64url(nonce ‖ ciphertext ‖ tag)>

so every value names the key that sealed it: new values use the newest key, older keys keep
opening what they sealed until `flask rotate-keys` re-seals everything under the newest one.

Sealed values are random (a fresh nonce each time), so a database cannot compare them. Look-ups go
through a keyed hash instead (HMAC-SHA256 of the value, a "blind index"), kept in a companion
column named `<column>_hash`; `Encrypted` columns turn `==` and `in_()` into comparisons of those
hashes, and set-based code joins on the hash columns directly (`blind_index()` for a value).

Keys come from configuration (README: DATA_ENCRYPTION_KEYS, DATA_INDEX_KEY); one key ring per
app, in `app.extensions["portal_keyring"]`.
"""

import base64
import hashlib
import hmac
import json
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import Text, and_, select, type_coerce, update
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

NONCE_BYTES = 12  # the GCM standard nonce; random, so 2^32 values per key stay far from reuse
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class KeyConfigError(ValueError):
    pass


class CannotOpen(ValueError):
    """A sealed value whose key is not configured, or that was altered."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_keys(text: str) -> dict[str, bytes]:
    """`id:base64key,id:base64key,…` (oldest first, the last one seals) → {id: 32-byte key}."""
    keys = {}
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        key_id, _sep, encoded = item.partition(":")
        if not KEY_ID.match(key_id):
            raise KeyConfigError(f"key id {key_id!r}: use 1-16 letters, digits, - or _")
        if not BASE64URL.match(encoded):
            raise KeyConfigError(f"key {key_id}: not base64url")
        key = _b64decode(encoded)
        if len(key) != 32:
            raise KeyConfigError(f"key {key_id}: must be 32 bytes (AES-256), is {len(key)}")
        if key_id in keys:
            raise KeyConfigError(f"key id {key_id} appears twice")
        keys[key_id] = key
    if not keys:
        raise KeyConfigError("no data encryption key configured")
    return keys


def new_key_text(key_id: str) -> str:
    """One `id:base64key` item for DATA_ENCRYPTION_KEYS (a fresh random AES-256 key)."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


class KeyRing:
    def __init__(self, keys: dict[str, bytes], index_key: bytes):
        self.keys = dict(keys)
        self.current = list(keys)[-1]
        self._aead = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._index_key = index_key

    @classmethod
    def from_config(cls, config) -> "KeyRing":
        index_key = config["DATA_INDEX_KEY"]
        if len(index_key) < 32:
            raise KeyConfigError("DATA_INDEX_KEY must be at least 32 characters")
        return cls(parse_keys(config["DATA_ENCRYPTION_KEYS"]), index_key.encode())

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current].encrypt(nonce, plaintext.encode(), None)
        return f"{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def open(self, stored: str) -> str:
        key_id, _sep, body = stored.partition(":")
        aead = self._aead.get(key_id)
        if aead is None:
            raise CannotOpen(f"no key {key_id!r} configured")
        raw = _b64decode(body)
        try:
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()
        except InvalidTag as error:
            raise CannotOpen(f"a value sealed with key {key_id} was altered") from error

    def reseal(self, stored: str) -> str:
        """The same value under the newest key (unchanged when it already is)."""
        return stored if key_id_of(stored) == self.current else self.seal(self.open(stored))

    def blind_index(self, value: str) -> str:
        # hmac.digest is the one-shot C path: the same value as hmac.new(…).hexdigest(), several
        # times faster, which a tax year's millions of rows notice.
        return hmac.digest(self._index_key, value.encode(), hashlib.sha256).hex()

    def blind_indexer(self):
        """blind_index as one function call per value, for loops over millions of values."""
        key, digest = self._index_key, hmac.digest

        def index(value: str) -> str:
            return digest(key, value.encode(), "sha256").hex()

        return index

    def seal_bytes(self, data: bytes) -> bytes:
        """One chunk of a sealed file: key id length, key id, nonce, ciphertext and tag."""
        nonce = os.urandom(NONCE_BYTES)
        key_id = self.current.encode()
        return bytes([len(key_id)]) + key_id + nonce + self._aead[self.current].encrypt(
            nonce, data, None)

    def open_bytes(self, sealed: bytes) -> bytes:
        size = sealed[0]
        key_id = sealed[1:1 + size].decode()
        aead = self._aead.get(key_id)
        if aead is None:
            raise CannotOpen(f"no key {key_id!r} configured")
        body = sealed[1 + size:]
        try:
            return aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], None)
        except InvalidTag as error:
            raise CannotOpen(f"a file sealed with key {key_id} was altered") from error


def key_id_of(stored: str) -> str:
    return stored.partition(":")[0]


def keyring() -> KeyRing:
    return current_app.extensions["portal_keyring"]


def blind_index(value: str | None) -> str | None:
    """The keyed hash that stands for a value in look-ups and joins (None stays None)."""
    return None if value is None else keyring().blind_index(str(value))


class Encrypted(TypeDecorator):
    """A text column stored sealed. Equality and `in_()` compare the companion `<name>_hash`
    column (a value's blind index), so `filter_by(id_number=…)` keeps working; anything else
    (ordering, LIKE, a comparison without a companion column) is refused loudly rather than
    silently matching nothing."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().seal(self.serialize(value))

    def process_result_value(self, value, dialect):
        return None if value is None else self.deserialize(keyring().open(value))

    def serialize(self, value) -> str:
        return str(value)

    def deserialize(self, text: str):
        return text

    class comparator_factory(TypeDecorator.Comparator):
        def _hash_column(self):
            column = self.expr
            table = getattr(column, "table", None)
            name = f"{getattr(column, 'key', '?')}_hash"
            if table is None or name not in table.c:
                raise TypeError(f"{column} is encrypted and has no {name} column to compare")
            return table.c[name]

        def operate(self, op, *other, **kwargs):
            from sqlalchemy.sql import operators

            if op in (operators.is_, operators.is_not) or (
                    op in (operators.eq, operators.ne) and other and other[0] is None):
                return super().operate(op, *other, **kwargs)
            if op in (operators.eq, operators.ne):
                return op(self._hash_column(), self._index_of(other[0]))
            if op in (operators.in_op, operators.not_in_op):
                return op(self._hash_column(), [blind_index(v) for v in other[0]])
            raise TypeError(f"{self.expr} is encrypted: only ==, != and in_() are possible")

        def _index_of(self, other):
            if hasattr(other, "__clause_element__"):  # an ORM attribute: its column
                other = other.__clause_element__()
            if isinstance(other, ClauseElement) and isinstance(other.type, Encrypted):
                return other.comparator._hash_column()  # column = column: both blind indexes
            if isinstance(other, ClauseElement):
                # A plain column holds clear text: the database cannot hash it. Join on
                # `<column>_hash` with values staged through blind_index() instead.
                raise TypeError(f"{self.expr} is encrypted: compare its _hash column with "
                                "blind_index() values, not with a plain column")
            return blind_index(other)


class EncryptedJSON(Encrypted):
    """A JSON document stored sealed (application answers, files for other agencies)."""

    cache_ok = True

    def serialize(self, value) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def deserialize(self, text: str):
        return json.loads(text)


def encrypted_columns(metadata):
    """Every (table, column) stored sealed, for rotation."""
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                yield table, column


def rotate(connection, metadata, ring: KeyRing, batch: int = 500) -> dict[str, int]:
    """Re-seal every value not sealed with the newest key; returns counts per column. Reads and
    writes the stored text directly (type_coerce to Text), so nothing is decrypted twice.

    Commits each batch: every value opens under either key, so an interrupted run leaves nothing
    broken and running it again carries on. A value the portal changed meanwhile is left alone
    (the UPDATE requires the text it read), and is sealed with the newest key anyway."""
    counts = {}
    for table, column in encrypted_columns(metadata):
        (pk,) = table.primary_key.columns
        raw = type_coerce(column, Text)
        done, last = 0, None
        while True:
            query = select(pk, raw).where(column.is_not(None),
                                          ~raw.startswith(ring.current + ":", autoescape=True))
            if last is not None:
                query = query.where(pk > last)
            rows = connection.execute(query.order_by(pk).limit(batch)).all()
            if not rows:
                break
            for key, stored in rows:
                connection.execute(update(table).where(and_(pk == key, raw == stored)).values(
                    {column.name: type_coerce(ring.reseal(stored), Text)}))
            connection.commit()
            done += len(rows)
            last = rows[-1][0]
        counts[f"{table.name}.{column.name}"] = done
    return counts
