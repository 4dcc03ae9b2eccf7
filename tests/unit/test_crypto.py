"""Field-level encryption (portal/crypto.py): AES-256-GCM sealed values naming their key, and
the keyed hash used for look-ups."""

import pytest

from portal import crypto


def ring(*key_ids, index_key=b"i" * 32):
    keys = crypto.parse_keys(",".join(crypto.new_key_text(k) for k in key_ids))
    return crypto.KeyRing(keys, index_key)


def test_a_sealed_value_names_its_key_and_hides_the_value():
    keys = ring("k1")
    sealed = keys.seal("539901198106170221")
    assert sealed.startswith("k1:") and "539901198106170221" not in sealed
    assert keys.open(sealed) == "539901198106170221"
    assert keys.seal("539901198106170221") != sealed  # a fresh nonce every time


def test_the_last_key_seals_and_older_keys_still_open():
    old = ring("k1")
    sealed = old.seal("6222020200112233445")
    both = crypto.KeyRing({**old.keys, **crypto.parse_keys(crypto.new_key_text("k2"))},
                          b"i" * 32)
    assert both.current == "k2"
    assert both.open(sealed) == "6222020200112233445"
    resealed = both.reseal(sealed)
    assert resealed.startswith("k2:") and both.open(resealed) == "6222020200112233445"
    assert both.reseal(resealed) == resealed
    with pytest.raises(crypto.CannotOpen, match="k2"):
        old.open(resealed)


def test_an_altered_value_is_refused():
    keys = ring("k1")
    sealed = keys.seal("13800000002")
    body = bytearray(crypto._b64decode(sealed.split(":", 1)[1]))
    body[-1] ^= 1
    forged = "k1:" + crypto.base64.urlsafe_b64encode(bytes(body)).decode()
    with pytest.raises(crypto.CannotOpen, match="altered"):
        keys.open(forged)


def test_blind_index_is_stable_and_depends_on_the_key():
    one, other = ring("k1"), ring("k1", index_key=b"j" * 32)
    assert one.blind_index("539901198106170221") == one.blind_index("539901198106170221")
    assert one.blind_index("539901198106170221") != other.blind_index("539901198106170221")
    assert one.blind_index("539901198106170221") != one.blind_index("539901198106170222")


@pytest.mark.parametrize("text, complaint", [
    ("", "no data encryption key"),
    ("k1:c2hvcnQ", "32 bytes"),
    ("bad id:" + "A" * 43, "key id"),
    ("k1:not base64!", "base64"),
    (crypto.new_key_text("k1") + "," + crypto.new_key_text("k1"), "twice"),
])
def test_bad_key_configuration_is_refused(text, complaint):
    with pytest.raises(crypto.KeyConfigError, match=complaint):
        crypto.parse_keys(text)


def test_rotate_reseals_every_row_batch_by_batch():
    import sqlalchemy as sa

    old = ring("k1")
    both = crypto.KeyRing({**old.keys, **crypto.parse_keys(crypto.new_key_text("k2"))},
                          b"i" * 32)
    metadata = sa.MetaData()
    table = sa.Table("t", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("secret", crypto.Encrypted()))
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    values = [f"62220202001122{n:05d}" for n in range(5)]
    as_stored = sa.table("t", sa.column("id"), sa.column("secret", sa.Text))
    with engine.begin() as connection:
        connection.execute(sa.insert(as_stored), [
            {"id": n + 1, "secret": old.seal(v)} for n, v in enumerate(values)]
            + [{"id": 6, "secret": None}])
    with engine.connect() as connection:
        assert crypto.rotate(connection, metadata, both, batch=2) == {"t.secret": 5}
        stored = connection.execute(sa.select(sa.type_coerce(table.c.secret, sa.Text))
                                    .order_by(table.c.id)).scalars().all()
        assert crypto.rotate(connection, metadata, both, batch=2) == {"t.secret": 0}
    assert [crypto.key_id_of(s) for s in stored[:5]] == ["k2"] * 5 and stored[5] is None
    assert [both.open(s) for s in stored[:5]] == values
