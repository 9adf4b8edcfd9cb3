"""Ed25519 key pairs in PEM files, as an officer makes them for signed checkpoints."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def key_files(folder: Path, name: str = "key") -> tuple[Path, Path]:
    """A new key pair: the private key's file `NAME.pem` (0600, as `openssl genpkey` makes it:
    `checkpoint --sign` refuses a key others may read) and the public key's `NAME.pub.pem`."""
    key = ed25519.Ed25519PrivateKey.generate()
    private, public = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public
