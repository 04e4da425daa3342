"""Tokens for the load benchmark (scripts/loadtest.sh), signed as an EHR signs them: a fresh ES384
key whose JWKS goes to a file the server's config names, and N single-use tokens (each its own
`jti`) for one endpoint URL, one per line, so that the load test pays for verifying every request.

    python loadtest-tokens.py jwks OUT.jwks.json KEY.pem
    python loadtest-tokens.py tokens KEY.pem AUD_URL COUNT OUT.txt
"""

import json
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "https://loadtest-ehr.test"
KID = "loadtest-es384"


def make_key(jwks_path: str, key_path: str) -> None:
    private = ec.generate_private_key(ec.SECP384R1())
    with open(key_path, "wb") as f:
        f.write(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": KID, "alg": "ES384", "use": "sig"})
    with open(jwks_path, "w") as f:
        json.dump({"keys": [jwk]}, f)


def make_tokens(key_path: str, aud: str, count: int, out_path: str) -> None:
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    headers = {"typ": "JWT", "kid": KID}
    with open(out_path, "w") as out:
        for _ in range(count):
            payload = {"iss": ISSUER, "aud": aud, "iat": now, "exp": now + 240, "jti": str(uuid.uuid4()),
                       "sub": "sacral-loadtest"}
            out.write(jwt.encode(payload, key, algorithm="ES384", headers=headers) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "jwks":
        make_key(sys.argv[2], sys.argv[3])
    else:
        make_tokens(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
