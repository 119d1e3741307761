"""Key handling for api users' applications: parse, fingerprint and generate key pairs.

Private keys exist only in memory, long enough to be streamed to their owner once.
"""

import base64
import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from accounts.models import KeyAlgorithm
from drec.errors import InvalidInput

MIN_RSA_BITS = 2048


def public_key_parse(pem: str) -> tuple[str, str, str]:
    """``(algorithm, normalised PEM, kid)`` of an RSA (≥ 2048 bits) or Ed25519 public key."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise InvalidInput(
            "publicKey is not a PEM public key (-----BEGIN PUBLIC KEY-----).",
            errors={"publicKey": ["Not a PEM-encoded public key."]},
        ) from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise InvalidInput(
                f"RSA keys must have at least {MIN_RSA_BITS} bits, this one has {key.key_size}.",
                errors={"publicKey": [f"RSA key shorter than {MIN_RSA_BITS} bits."]},
            )
        algorithm = KeyAlgorithm.RS256
    elif isinstance(key, ed25519.Ed25519PublicKey):
        algorithm = KeyAlgorithm.EDDSA
    else:
        raise InvalidInput(
            "Only RSA (RS256) and Ed25519 (EdDSA) keys are accepted.",
            errors={"publicKey": ["Unsupported key type; use RSA 2048+ or Ed25519."]},
        )
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    normalised = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    return algorithm, normalised.decode(), kid


def rsa_pair_generate() -> tuple[bytes, str]:
    """A fresh RSA-2048 pair: ``(PKCS#8 private PEM bytes, public PEM)``."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem.decode()
