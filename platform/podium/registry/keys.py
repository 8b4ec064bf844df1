"""The key pair that signs registry tokens, kept under ``<home>/registry`` (private key 0600).

Distribution verifies a token's ES256 signature against the certificates of its
``rootcertbundle``, looking the key up by the token's ``kid``: the libtrust key id, the first
240 bits of the SHA-256 of the public key's DER, base32, in groups of four.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

KEY_FILE = "token.key"
CERT_FILE = "token.crt"
ISSUER = "podium"
SERVICE = "podium-registry"
CERT_DAYS = 3650


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The libtrust key id of ``public_key`` (what Distribution matches a token's ``kid`` to)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


@dataclass(frozen=True)
class TokenSigner:
    """Signs registry tokens with the platform's private key."""

    private_key: ec.EllipticCurvePrivateKey
    issuer: str = ISSUER
    service: str = SERVICE

    @classmethod
    def load(cls, folder: Path) -> TokenSigner:
        """The signer kept in ``folder``, made (key and certificate) on first use."""
        ensure_key_pair(folder)
        pem = (folder / KEY_FILE).read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{folder / KEY_FILE} does not hold an EC private key")
        return cls(key)

    def sign(
        self, *, subject: str, access: list[dict[str, Any]], ttl: timedelta, now: datetime | None
    ) -> tuple[str, datetime]:
        """A token for ``subject`` granting ``access``; returns it and when it was issued."""
        issued = (now or datetime.now(UTC)).replace(microsecond=0)
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        headers = {"kid": key_id(self.private_key.public_key())}
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers=headers), issued


def ensure_key_pair(folder: Path) -> None:
    """Make the key (mode 0600) and its self-signed certificate unless both exist."""
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    if key_path.is_file() and cert_path.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: only its certificate may lack
        if not cert_path.is_file():
            _write_certificate(key_path, cert_path)
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    _write_certificate(key_path, cert_path)


def _write_certificate(key_path: Path, cert_path: Path) -> None:
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "podium registry token signer")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=CERT_DAYS))
        .sign(key, hashes.SHA256())
    )
    tmp = cert_path.with_suffix(".tmp")
    tmp.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    tmp.replace(cert_path)
