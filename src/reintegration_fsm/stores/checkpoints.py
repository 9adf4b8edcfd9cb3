"""Checkpoints: anchors of a store's histories to keep outside the database.

A `Checkpoint` lists every case a store may show with its version, the hash of its last log
entry and the head of each redacted entry's chain of redaction records, when it was taken, and
one root over them all: a Merkle tree hash as in Certificate Transparency (RFC 6962, section
2.1), each leaf being a case's canonical JSON `[case_id, version, last_hash, redactions]`
(format 1, still read: `[case_id, version, last_hash]`):

    leaf = SHA-256(0x00 || leaf data)        node = SHA-256(0x01 || left || right)

It moves out of the database as JSON (`to_json`, `from_json`) and may be signed with an Ed25519
key the database never holds (`sign`, the `signing` extra). A history that no longer extends the
checkpoint (rewritten and re-chained, truncated, removed, the whole case deleted) cannot match
the hash the checkpoint holds, and nor can a redaction record rewritten (its who, when or why) or
removed: `store.verify(checkpoint=...)` reports both.
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

from reintegration_fsm.errors import AlteredRow, FormInvalid, ProtocolError
from reintegration_fsm.fields import encodes
from reintegration_fsm.stores.hashing import canonical_json, timestamp_text
from reintegration_fsm.stores.model import Problem

FORMAT = "reintegration-fsm/checkpoint"
FORMAT_VERSION = 2
"""What `to_json` writes: format 2 anchors redaction records too."""
FORMAT_VERSIONS = (1, 2)
"""What `from_json` reads: a format-1 checkpoint (no redaction heads) still checks a store."""
ALGORITHM = "Ed25519"
CHECKPOINT = "(checkpoint)"
"""The `case_id` of a problem with the checkpoint itself (its root, its signature, its scope)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class MalformedCheckpoint(FormInvalid):
    """A checkpoint's JSON, or a key given to sign or check one, that cannot be read."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__("checkpoint", field, problem)


class CheckpointRefused(ProtocolError):
    """A checkpoint not taken: the store does not extend the checkpoint it was to extend (a
    case of it gone, truncated or rewritten, a redaction record removed or rewritten, an entry
    dated back behind it), or that checkpoint is altered, of another scope, or not signed with
    the public key given. Nothing was written.

    `problems` lists each, as `verify(checkpoint=extends, public_key=...)` reports it;
    `extends` is the checkpoint it was to extend.
    """

    def __init__(self, extends: Checkpoint, problems: Iterable[Problem]) -> None:
        self.extends = extends
        self.problems = tuple(problems)
        super().__init__(
            f"checkpoint refused: the store does not extend the checkpoint taken "
            f"{timestamp_text(extends.taken_at)} ({len(self.problems)} problem(s)); "
            "nothing was written"
        )


@attrs.frozen
class RedactionHead:
    """The head of one log entry's chain of redaction records, as a checkpoint holds it."""

    seq: int
    """The entry redacted."""
    count: int
    """The entry's redaction records when the checkpoint was taken (numbered 1 to `count`)."""
    hash: str
    """The hash of its record `count`, which is bound to every record before it and the entry."""


@attrs.frozen
class CheckpointCase:
    """One case as a checkpoint holds it."""

    case_id: str
    version: int
    last_hash: str
    redactions: tuple[RedactionHead, ...] = ()
    """By entry: the heads of its redacted entries' records (format 2; none in format 1)."""

    def leaf(self, format_version: int = FORMAT_VERSION) -> bytes:
        """The leaf hash of this case in the checkpoint's tree."""
        held: list[Any] = [self.case_id, self.version, self.last_hash]
        if format_version >= 2:
            held.append([[head.seq, head.count, head.hash] for head in self.redactions])
        return hashlib.sha256(b"\x00" + canonical_json(held).encode("utf-8")).digest()


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
    """Every case a store may show, with its version, last hash and redaction heads, and one
    root over them.

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
    format_version: int = FORMAT_VERSION
    """2 for a checkpoint taken now; 1 for one read from an older file (no redaction heads)."""

    @classmethod
    def of(
        cls,
        heads: Iterable[tuple[str, int, str]],
        authority: str | None,
        taken_at: dt.datetime,
        redactions: Mapping[str, Iterable[tuple[int, int, str]]] | None = None,
    ) -> Checkpoint:
        """A checkpoint of `(case_id, version, last_hash)` heads, with `redactions` (by case:
        `(seq, count, hash)` of each redacted entry's last record), its root computed.

        Raises:
            AlteredRow: a version, seq or count is not a whole number of 1 or more, or a hash
                is not a 32-byte digest (64 hex digits): a row changed behind the store, which
                `from_json` could not read back from the checkpoint.
        """
        redacted = redactions or {}
        heads = list(heads)
        for case_id, version, last_hash in heads:
            _anchorable(case_id, version, last_hash, redacted.get(case_id, ()))
        cases = tuple(
            sorted(
                (
                    CheckpointCase(
                        case_id,
                        version,
                        last_hash,
                        tuple(RedactionHead(*head) for head in sorted(redacted.get(case_id, ()))),
                    )
                    for case_id, version, last_hash in heads
                ),
                key=_by_id,
            )
        )
        root = merkle_root([case.leaf() for case in cases]).hex()
        return cls(taken_at.replace(microsecond=0), authority, cases, root)

    @property
    def computed_root(self) -> str:
        """The root its cases give (equal to `root` unless it was altered)."""
        return merkle_root([case.leaf(self.format_version) for case in self.cases]).hex()

    def signed_part(self) -> bytes:
        """What a signature covers: the format, the time, the scope, the size and the root."""
        return canonical_json(
            {
                "format": FORMAT,
                "format_version": self.format_version,
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
        serialization, ed25519, unsupported = _cryptography()
        try:
            key = serialization.load_pem_private_key(_bytes(private_key_pem), password=password)
        except (ValueError, TypeError, unsupported) as error:
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
        serialization, ed25519, unsupported = _cryptography()
        try:
            key = serialization.load_pem_public_key(_bytes(public_key_pem))
        except (ValueError, TypeError, unsupported) as error:
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
            "format_version": self.format_version,
            "taken_at": timestamp_text(self.taken_at),
            "authority": self.authority,
            "size": len(self.cases),
            "root": self.root,
            "cases": [self._case_json(case) for case in self.cases],
            "signature": None
            if self.signature is None
            else {
                "algorithm": ALGORITHM,
                "key_id": self.signature.key_id,
                "value": self.signature.value,
            },
        }
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"

    def _case_json(self, case: CheckpointCase) -> dict[str, Any]:
        value: dict[str, Any] = {
            "case_id": case.case_id,
            "version": case.version,
            "last_hash": case.last_hash,
        }
        if self.format_version >= 2:
            value["redactions"] = [[head.seq, head.count, head.hash] for head in case.redactions]
        return value

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """A checkpoint from its JSON, every field checked.

        Raises:
            MalformedCheckpoint: not JSON, not a checkpoint, or a field missing, unknown or of
                the wrong kind (the message names it).
        """
        if not isinstance(text, str | bytes | bytearray):
            raise MalformedCheckpoint("json", f"must be text or bytes, not {type(text).__name__}")
        try:
            value = json.loads(text, object_pairs_hook=_object)
        except MalformedCheckpoint:
            raise
        except (ValueError, RecursionError) as error:
            raise MalformedCheckpoint("json", f"is not JSON: {error}") from None
        return _read(value)


def redaction_heads(
    records: Iterable[tuple[str, int, str]],
) -> dict[str, list[tuple[int, int, str]]]:
    """From `(case_id, seq, hash)` of redaction records, each entry's in order: by case, the
    `(seq, count, hash)` of each redacted entry's last record, as `Checkpoint.of` takes them."""
    counted: dict[tuple[str, int], tuple[int, str]] = {}
    for case_id, seq, hash_ in records:
        count, _ = counted.get((case_id, seq), (0, ""))
        counted[case_id, seq] = (count + 1, hash_)
    heads: dict[str, list[tuple[int, int, str]]] = {}
    for (case_id, seq), (count, hash_) in counted.items():
        heads.setdefault(case_id, []).append((seq, count, hash_))
    return heads


def _anchorable(
    case_id: str, version: int, last_hash: str, heads: Iterable[tuple[int, int, str]]
) -> None:
    """Refuse to anchor what a checkpoint read back (`from_json`) would refuse: a signed file
    that cannot be read loses the night's anchor of every other case with it."""
    wrong = None
    if not _whole(version):
        wrong = f"its last log entry's seq ({version!r}) is not a whole number of 1 or more"
    elif not _digest(last_hash):
        wrong = f"the hash of its entry {version} is not a 32-byte digest"
    else:
        for seq, count, hash_ in heads:
            if not (_whole(seq) and _whole(count) and _digest(hash_)):
                wrong = f"a redaction record of its entry {seq!r} has no whole number or digest"
                break
    if wrong is not None:
        raise AlteredRow(
            f"could not take a checkpoint: a stored row does not read as the store writes it: "
            f"case {case_id!r}: {wrong}; it was changed behind the store: run verify, which "
            "names it, and restore it from a backup",
            case_id=case_id,
        )


def _whole(value: object) -> bool:
    return type(value) is int and value >= 1


def _digest(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _by_id(case: CheckpointCase) -> str:
    return case.case_id


def _bytes(pem: bytes | str) -> bytes:
    return pem.encode("utf-8") if isinstance(pem, str) else pem


def _key_problem(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"cannot be read as a PEM key ({text})"


def _cryptography() -> Any:
    """`serialization`, `ed25519` and the error a key of a type it does not know raises (a PEM
    key of an algorithm newer than the installed `cryptography`: bad input, as any other)."""
    try:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise MalformedCheckpoint(
            "signature",
            "signing and checking need the cryptography package: "
            "pip install 'reintegration-fsm[signing]'",
        ) from None
    return serialization, ed25519, UnsupportedAlgorithm


def _key_id(public_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# -- reading ---------------------------------------------------------------------------------
_KEYS = {"format", "format_version", "taken_at", "authority", "size", "root", "cases", "signature"}


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are each given once: readers differ on which of two counts (the
    first, the last), so a file that names a field twice would read one way here and another
    way to whoever else checks it."""
    value: dict[str, Any] = {}
    for key, item in pairs:
        _need(key not in value, key, "is given twice")
        value[key] = item
    return value


def _need(condition: bool, field: str, problem: str) -> None:
    if not condition:
        raise MalformedCheckpoint(field, problem)


def _read(value: Any) -> Checkpoint:
    _need(isinstance(value, dict), "json", "must be a JSON object")
    _need(value.get("format") == FORMAT, "format", f"must be {FORMAT!r}")
    version = value.get("format_version")
    _need(
        type(version) is int and version in FORMAT_VERSIONS,
        "format_version",
        f"must be one of {', '.join(map(str, FORMAT_VERSIONS))}",
    )
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
    size = value["size"]
    _need(type(size) is int and size == len(raw_cases), "size", "must be the number of cases")
    cases = tuple(_case(item, number, version) for number, item in enumerate(raw_cases, start=1))
    ids = [case.case_id for case in cases]
    _need(len(set(ids)) == len(ids), "cases", "name a case twice")
    signature = _signature(value["signature"])
    return Checkpoint(taken_at, authority, cases, root, signature, version)


def _is_text(value: Any) -> bool:
    """A str that is valid Unicode (JSON's escapes can spell a lone surrogate, which no store
    holds and UTF-8 cannot encode)."""
    return isinstance(value, str) and encodes(value)


_CASE_KEYS = {
    1: ("case_id", "version", "last_hash"),
    2: ("case_id", "version", "last_hash", "redactions"),
}


def _case(item: Any, number: int, format_version: int) -> CheckpointCase:
    where = f"cases[{number}]"
    keys = _CASE_KEYS[format_version]
    _need(isinstance(item, dict), where, "must be an object")
    _need(set(item) == set(keys), where, f"needs {', '.join(keys)}")
    case_id, version, last_hash = item["case_id"], item["version"], item["last_hash"]
    _need(_is_text(case_id) and bool(case_id), f"{where}.case_id", "must be text")
    _need(type(version) is int and version >= 1, f"{where}.version", "must be a whole number >= 1")
    _need(
        isinstance(last_hash, str) and bool(_HEX64.fullmatch(last_hash)),
        f"{where}.last_hash",
        "must be 64 hex digits",
    )
    if format_version < 2:
        return CheckpointCase(case_id, version, last_hash)
    return CheckpointCase(case_id, version, last_hash, _heads(item["redactions"], where))


def _heads(value: Any, where: str) -> tuple[RedactionHead, ...]:
    """A case's redaction heads: `[seq, count, hash]` lists, by entry."""
    field = f"{where}.redactions"
    _need(isinstance(value, list), field, "must be a list")
    heads = []
    for item in value:
        _need(
            isinstance(item, list)
            and len(item) == 3
            and all(type(n) is int and n >= 1 for n in item[:2])
            and isinstance(item[2], str)
            and bool(_HEX64.fullmatch(item[2])),
            field,
            "must hold [seq, count, hash] lists: two whole numbers >= 1 and 64 hex digits",
        )
        heads.append(RedactionHead(*item))
    seqs = [head.seq for head in heads]
    _need(seqs == sorted(set(seqs)), field, "must name each entry once, in order")
    return tuple(heads)


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
Anchor = tuple[int, str | None, dict[int, tuple[int, str | None]]]
"""A checkpoint's case as the store holds it: the length of its log, the hash of its entry at
the checkpoint's version (None when the log is shorter), and for each entry whose redaction
records the checkpoint holds, the records it holds now and the hash of its record at the
checkpoint's count (None when it holds fewer)."""


def anchor(
    case: CheckpointCase, entries: Sequence[Mapping[str, Any]], notes: Mapping[int, Sequence[Any]]
) -> Anchor:
    """How a store's rows of `case` stand against it: `entries` its log in order, `notes` its
    redaction records by entry, each entry's in order."""
    at = entries[case.version - 1] if len(entries) >= case.version else None
    records = {}
    for head in case.redactions:
        held = notes.get(head.seq, ())
        found = held[head.count - 1] if len(held) >= head.count else None
        records[head.seq] = (len(held), None if found is None else str(found["hash"]))
    return len(entries), None if at is None else str(at["hash"]), records


def problems(
    checkpoint: Checkpoint,
    scope: str | None,
    logs: Mapping[str, Anchor],
    public_key: bytes | str | None = None,
) -> list[Problem]:
    """Every case the checkpoint holds whose stored history or redaction records no longer
    extend it, and what is wrong with the checkpoint itself.

    Args:
        scope: the store's authority.
        logs: for each case the store holds of the checkpoint's, its `anchor`.
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
        if held is not None:
            found += _redaction_problems(case, held[2])
    return found


def _redaction_problems(
    case: CheckpointCase, records: Mapping[int, tuple[int, str | None]]
) -> list[Problem]:
    found = []
    for head in case.redactions:
        count, at = records.get(head.seq, (0, None))
        if count < head.count:
            what = (
                f"redaction records removed: the checkpoint holds {head.count} for this entry, "
                f"the store {count}"
            )
        elif at != head.hash:
            what = (
                f"redaction record {head.count} rewritten: its hash differs from the "
                "checkpoint's, so who removed what, when or why was changed after it was taken"
            )
        else:
            continue
        found.append(Problem(case.case_id, head.seq, what))
    return found


def _scope(authority: str | None) -> str:
    return "every authority's cases" if authority is None else f"the cases of {authority!r}"
