"""Checkpoints: anchors of a store's histories to keep outside the database.

A `Checkpoint` lists every case a store may show with its version and the hash of its last log
entry, when it was taken, and one root over them all: a Merkle tree hash as in Certificate
Transparency (RFC 6962, section 2.1), each leaf being a case's canonical JSON
`[case_id, version, last_hash]`:

    leaf = SHA-256(0x00 || leaf data)        node = SHA-256(0x01 || left || right)

It moves out of the database as JSON (`to_json`, `from_json`) and may be signed with an Ed25519
key the database never holds (`sign`, the `signing` extra). A history that no longer extends the
checkpoint (rewritten and re-chained, truncated, removed, the whole case deleted) cannot match
the hash the checkpoint holds: `store.verify(checkpoint=...)` reports it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from reintegration_fsm.errors import FormInvalid
from reintegration_fsm.stores.hashing import canonical_json, timestamp_text
from reintegration_fsm.stores.model import Problem

FORMAT = "reintegration-fsm/checkpoint"
FORMAT_VERSION = 1
ALGORITHM = "Ed25519"
CHECKPOINT = "(checkpoint)"
"""The `case_id` of a problem with the checkpoint itself (its root, its signature, its scope)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class MalformedCheckpoint(FormInvalid):
    """A checkpoint's JSON, or a key given to sign or check one, that cannot be read."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__("checkpoint", field, problem)


@attrs.frozen
class CheckpointCase:
    """One case as a checkpoint holds it."""

    case_id: str
    version: int
    last_hash: str

    def leaf(self) -> bytes:
        """The leaf hash of this case in the checkpoint's tree."""
        data = canonical_json([self.case_id, self.version, self.last_hash]).encode("utf-8")
        return hashlib.sha256(b"\x00" + data).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962's Merkle Tree Hash over leaf hashes (SHA-256 of nothing for none)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _subtree(leaves)


def _subtree(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]): split at the largest power of two below n (the depth is log2 n)."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return hashlib.sha256(b"\x01" + _subtree(leaves[:split]) + _subtree(leaves[split:])).digest()


@attrs.frozen
class Signature:
    """An Ed25519 signature over a checkpoint's signed part, and the key that made it."""

    key_id: str
    """The SHA-256 of the raw public key, hex: which key to check it with."""
    value: str
    """The signature, base64."""


@attrs.frozen
class Checkpoint:
    """Every case a store may show, with its version and last hash, and one root over them.

    Build one with `store.checkpoint()`; keep it (or its JSON) where the database's
    administrators cannot rewrite it, and check the store against it with
    `store.verify(checkpoint=...)`.
    """

    taken_at: dt.datetime
    """When it was taken (naive UTC, whole seconds)."""
    authority: str | None
    """The authority whose cases the store showed (None: every authority's)."""
    cases: tuple[CheckpointCase, ...]
    """By case id."""
    root: str
    """The Merkle tree hash over `cases`, hex."""
    signature: Signature | None = None

    @classmethod
    def of(
        cls, heads: Iterable[tuple[str, int, str]], authority: str | None, taken_at: dt.datetime
    ) -> Checkpoint:
        """A checkpoint of `(case_id, version, last_hash)` heads, its root computed."""
        cases = tuple(sorted((CheckpointCase(*head) for head in heads), key=_by_id))
        root = merkle_root([case.leaf() for case in cases]).hex()
        return cls(taken_at.replace(microsecond=0), authority, cases, root)

    @property
    def computed_root(self) -> str:
        """The root its cases give (equal to `root` unless it was altered)."""
        return merkle_root([case.leaf() for case in self.cases]).hex()

    def signed_part(self) -> bytes:
        """What a signature covers: the format, the time, the scope, the size and the root."""
        return canonical_json(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "taken_at": timestamp_text(self.taken_at),
                "authority": self.authority,
                "size": len(self.cases),
                "root": self.root,
            }
        ).encode("utf-8")

    # -- signing -------------------------------------------------------------------------------
    def sign(self, private_key_pem: bytes | str, password: bytes | None = None) -> Checkpoint:
        """This checkpoint signed with an Ed25519 private key (PEM), which stays with the caller.

        Raises:
            MalformedCheckpoint: the key is not an Ed25519 private key in PEM, or the
                `cryptography` package (the `signing` extra) is not installed.
        """
        serialization, ed25519 = _cryptography()
        try:
            key = serialization.load_pem_private_key(_bytes(private_key_pem), password=password)
        except (ValueError, TypeError) as error:
            raise MalformedCheckpoint("signing key", _key_problem(error)) from None
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise MalformedCheckpoint("signing key", "is not an Ed25519 private key")
        value = base64.b64encode(key.sign(self.signed_part())).decode("ascii")
        return attrs.evolve(self, signature=Signature(_key_id(key.public_key()), value))

    def signature_problem(self, public_key_pem: bytes | str) -> str | None:
        """Why the signature does not hold with this public key (PEM), or None when it does.

        Raises:
            MalformedCheckpoint: the key is not an Ed25519 public key in PEM, or the
                `cryptography` package is not installed.
        """
        serialization, ed25519 = _cryptography()
        try:
            key = serialization.load_pem_public_key(_bytes(public_key_pem))
        except (ValueError, TypeError) as error:
            raise MalformedCheckpoint("public key", _key_problem(error)) from None
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise MalformedCheckpoint("public key", "is not an Ed25519 public key")
        if self.signature is None:
            return "the checkpoint is not signed"
        if self.signature.key_id != _key_id(key):
            return "the checkpoint was signed with another key than the public key given"
        from cryptography.exceptions import InvalidSignature

        try:
            key.verify(base64.b64decode(self.signature.value, validate=True), self.signed_part())
        except (InvalidSignature, ValueError):
            return "the checkpoint's signature does not verify with the public key"
        return None

    # -- as JSON -------------------------------------------------------------------------------
    def to_json(self) -> str:
        """The checkpoint as JSON text, to keep or publish outside the database."""
        value: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "taken_at": timestamp_text(self.taken_at),
            "authority": self.authority,
            "size": len(self.cases),
            "root": self.root,
            "cases": [
                {"case_id": c.case_id, "version": c.version, "last_hash": c.last_hash}
                for c in self.cases
            ],
            "signature": None
            if self.signature is None
            else {
                "algorithm": ALGORITHM,
                "key_id": self.signature.key_id,
                "value": self.signature.value,
            },
        }
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """A checkpoint from its JSON, every field checked.

        Raises:
            MalformedCheckpoint: not JSON, not a checkpoint, or a field missing, unknown or of
                the wrong kind (the message names it).
        """
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise MalformedCheckpoint("json", f"is not JSON: {error}") from None
        return _read(value)


def _by_id(case: CheckpointCase) -> str:
    return case.case_id


def _bytes(pem: bytes | str) -> bytes:
    return pem.encode("utf-8") if isinstance(pem, str) else pem


def _key_problem(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"cannot be read as a PEM key ({text})"


def _cryptography() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MalformedCheckpoint(
            "signature",
            "signing and checking need the cryptography package: "
            "pip install 'reintegration-fsm[signing]'",
        ) from None
    return serialization, ed25519


def _key_id(public_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# -- reading ---------------------------------------------------------------------------------
_KEYS = {"format", "format_version", "taken_at", "authority", "size", "root", "cases", "signature"}


def _need(condition: bool, field: str, problem: str) -> None:
    if not condition:
        raise MalformedCheckpoint(field, problem)


def _read(value: Any) -> Checkpoint:
    _need(isinstance(value, dict), "json", "must be a JSON object")
    _need(value.get("format") == FORMAT, "format", f"must be {FORMAT!r}")
    _need(value.get("format_version") == FORMAT_VERSION, "format_version", "must be 1")
    unknown = sorted(set(value) - _KEYS)
    _need(not unknown, unknown[0] if unknown else "", "is not a checkpoint's field")
    missing = sorted(_KEYS - set(value))
    _need(not missing, missing[0] if missing else "", "is missing")
    taken = value["taken_at"]
    _need(isinstance(taken, str) and bool(_TIMESTAMP.fullmatch(taken)), "taken_at", "not a time")
    try:
        taken_at = dt.datetime.strptime(taken, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise MalformedCheckpoint("taken_at", f"{taken!r} is not a time") from None
    authority = value["authority"]
    _need(authority is None or _is_text(authority), "authority", "must be text or null")
    root = value["root"]
    _need(isinstance(root, str) and bool(_HEX64.fullmatch(root)), "root", "must be 64 hex digits")
    raw_cases = value["cases"]
    _need(isinstance(raw_cases, list), "cases", "must be a list")
    _need(value["size"] == len(raw_cases), "size", "does not count the cases")
    cases = tuple(_case(item, number) for number, item in enumerate(raw_cases, start=1))
    ids = [case.case_id for case in cases]
    _need(len(set(ids)) == len(ids), "cases", "name a case twice")
    return Checkpoint(taken_at, authority, cases, root, _signature(value["signature"]))


def _is_text(value: Any) -> bool:
    """A str that is valid Unicode (JSON's escapes can spell a lone surrogate, which no store
    holds and UTF-8 cannot encode)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _case(item: Any, number: int) -> CheckpointCase:
    where = f"cases[{number}]"
    _need(isinstance(item, dict), where, "must be an object")
    _need(
        set(item) == {"case_id", "version", "last_hash"}, where, "needs case_id, version, last_hash"
    )
    case_id, version, last_hash = item["case_id"], item["version"], item["last_hash"]
    _need(_is_text(case_id) and bool(case_id), f"{where}.case_id", "must be text")
    _need(type(version) is int and version >= 1, f"{where}.version", "must be a whole number >= 1")
    _need(
        isinstance(last_hash, str) and bool(_HEX64.fullmatch(last_hash)),
        f"{where}.last_hash",
        "must be 64 hex digits",
    )
    return CheckpointCase(case_id, version, last_hash)


def _signature(value: Any) -> Signature | None:
    if value is None:
        return None
    _need(isinstance(value, dict), "signature", "must be an object or null")
    _need(
        set(value) == {"algorithm", "key_id", "value"},
        "signature",
        "needs algorithm, key_id, value",
    )
    _need(value["algorithm"] == ALGORITHM, "signature.algorithm", f"must be {ALGORITHM!r}")
    key_id, signed = value["key_id"], value["value"]
    _need(
        isinstance(key_id, str) and bool(_HEX64.fullmatch(key_id)),
        "signature.key_id",
        "must be 64 hex digits",
    )
    _need(isinstance(signed, str) and bool(signed), "signature.value", "must be base64 text")
    return Signature(key_id, signed)


# -- checking a store against it -------------------------------------------------------------
def problems(
    checkpoint: Checkpoint,
    scope: str | None,
    logs: Mapping[str, tuple[int, str | None]],
    public_key: bytes | str | None = None,
) -> list[Problem]:
    """Every case the checkpoint holds whose stored history no longer extends it, and what is
    wrong with the checkpoint itself.

    Args:
        scope: the store's authority.
        logs: for each case the store holds of the checkpoint's, the length of its log and the
            hash of its entry at the checkpoint's version (None when the log is shorter).
        public_key: the Ed25519 public key (PEM) to check the signature with.
    """
    found: list[Problem] = []
    if checkpoint.computed_root != checkpoint.root:
        found.append(
            Problem(CHECKPOINT, None, "the checkpoint's root does not match its cases (altered)")
        )
    if public_key is not None:
        problem = checkpoint.signature_problem(public_key)
        if problem is not None:
            found.append(Problem(CHECKPOINT, None, problem))
    if checkpoint.authority != scope:
        found.append(
            Problem(
                CHECKPOINT,
                None,
                f"the checkpoint was taken of {_scope(checkpoint.authority)}, this store shows "
                f"{_scope(scope)}",
            )
        )
        return found
    for case in checkpoint.cases:
        held = logs.get(case.case_id)
        if held is None or held[0] == 0:
            found.append(
                Problem(
                    case.case_id,
                    None,
                    f"gone: the checkpoint holds it at version {case.version}, the store holds "
                    "no such case",
                )
            )
        elif held[0] < case.version:
            found.append(
                Problem(
                    case.case_id,
                    None,
                    f"truncated: the checkpoint holds version {case.version}, the log ends at "
                    f"seq {held[0]}",
                )
            )
        elif held[1] != case.last_hash:
            found.append(
                Problem(
                    case.case_id,
                    case.version,
                    f"rewritten: entry {case.version}'s hash differs from the checkpoint's, so "
                    "the stored history no longer extends it",
                )
            )
    return found


def _scope(authority: str | None) -> str:
    return "every authority's cases" if authority is None else f"{authority!r}'s cases"
