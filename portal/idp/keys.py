"""The embedded provider's signing key: generated once into instance/, published as a JWK set."""

import json
import os
from pathlib import Path

from joserfc.jwk import KeySet, RSAKey


def load_or_create(path: str) -> RSAKey:
    file = Path(path)
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
        key.ensure_kid()
        # Written with 0600 from the start: the private key is never readable by others.
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(key.as_dict(private=True), handle)
    return RSAKey.import_key(json.loads(file.read_text()))


def public_key_set(key: RSAKey) -> dict:
    return KeySet([key]).as_dict(private=False)
