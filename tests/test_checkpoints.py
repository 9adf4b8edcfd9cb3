"""Checkpoints: RFC 6962's Merkle tree hash, JSON that refuses what it cannot read, and Ed25519
signatures made with a key the store never sees."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from reintegration_fsm import AlteredRow, Checkpoint, MalformedCheckpoint
from reintegration_fsm.stores import InMemoryStore
from reintegration_fsm.stores.checkpoints import (
    CHECKPOINT,
    CheckpointCase,
    RedactionHead,
    merkle_root,
)
from store_contract import CALENDAR, built

# Certificate Transparency's test vectors (certificate-transparency, merkle_tree_test): the
# leaves' data and the tree heads of the first n of them.
CT_LEAVES = (
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)
CT_ROOTS = (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)
TAKEN = dt.datetime(2027, 1, 5, 2, 0, 0)


@pytest.mark.parametrize("size", range(1, len(CT_LEAVES) + 1))
def test_the_root_is_rfc_6962s_merkle_tree_hash(size: int) -> None:
    leaves = [hashlib.sha256(b"\x00" + bytes.fromhex(d)).digest() for d in CT_LEAVES[:size]]
    assert merkle_root(leaves).hex() == CT_ROOTS[size - 1]


def test_the_root_of_no_cases_is_the_hash_of_nothing() -> None:
    assert merkle_root([]).hex() == hashlib.sha256(b"").hexdigest()


def test_a_leaf_is_the_cases_id_version_last_hash_and_redaction_heads() -> None:
    heads = (RedactionHead(2, 1, "b" * 64), RedactionHead(5, 3, "c" * 64))
    case = CheckpointCase("case-01", 3, "a" * 64, heads)
    held = ["case-01", 3, "a" * 64, [[2, 1, "b" * 64], [5, 3, "c" * 64]]]
    data = json.dumps(held, separators=(",", ":")).encode()
    assert case.leaf() == hashlib.sha256(b"\x00" + data).digest()
    plain = json.dumps(["case-01", 3, "a" * 64, []], separators=(",", ":")).encode()
    assert CheckpointCase("case-01", 3, "a" * 64).leaf() == hashlib.sha256(b"\x00" + plain).digest()


def test_a_format_1_leaf_is_the_cases_id_version_and_last_hash() -> None:
    case = CheckpointCase("case-01", 3, "a" * 64)
    data = json.dumps(["case-01", 3, "a" * 64], separators=(",", ":")).encode()
    assert case.leaf(1) == hashlib.sha256(b"\x00" + data).digest()


def checkpoint(*cases: tuple[str, int]) -> Checkpoint:
    return Checkpoint.of(
        [
            (case_id, version, hashlib.sha256(case_id.encode()).hexdigest())
            for case_id, version in cases
        ],
        None,
        TAKEN,
    )


def test_cases_are_held_by_id_and_the_json_round_trips() -> None:
    found = checkpoint(("case-02", 5), ("case-01", 3))
    assert [c.case_id for c in found.cases] == ["case-01", "case-02"]
    text = found.to_json()
    assert json.loads(text)["taken_at"] == "2027-01-05T02:00:00Z"
    assert Checkpoint.from_json(text) == found
    assert Checkpoint.from_json(text.encode()) == found


def _case(**changes: object) -> dict[str, object]:
    return {"case_id": "c", "version": 1, "last_hash": "a" * 64, "redactions": []} | changes


def _edited(**changes: object) -> str:
    value = json.loads(checkpoint(("case-01", 3)).to_json())
    for key, item in changes.items():
        if item is KeyError:
            del value[key]
        else:
            value[key] = item
    return json.dumps(value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("not json", "json"),
        (None, "json"),  # a checkpoint file that was never written
        (7, "json"),
        ("[1, 2]", "json"),
        (_edited(format="something else"), "format"),
        (_edited(format_version=3), "format_version"),
        (_edited(format_version="2"), "format_version"),
        (_edited(format_version=True), "format_version"),
        (_edited(extra=1), "extra"),
        (_edited(root=KeyError), "root"),
        (_edited(taken_at="yesterday"), "taken_at"),
        (_edited(taken_at="2027-13-45T02:00:00Z"), "taken_at"),
        (_edited(root="ab"), "root"),
        (_edited(size=7), "size"),
        (_edited(authority=3), "authority"),
        (_edited(authority="\ud800"), "authority"),  # JSON can spell a lone surrogate
        (_edited(cases=[{"case_id": "\ud800", "version": 1, "last_hash": "a" * 64}]), "case_id"),
        (_edited(cases=[{"case_id": "c", "version": 0, "last_hash": "a" * 64}]), "version"),
        (_edited(cases=[{"case_id": "c", "version": 1, "last_hash": "xyz"}]), "last_hash"),
        (_edited(cases=[{"case_id": "c", "version": 1}]), "cases[1]"),
        (_edited(cases=[{"case_id": "c", "version": 1, "last_hash": "a" * 64}]), "cases[1]"),
        (_edited(cases=[_case(redactions="none")]), "cases[1].redactions"),
        (_edited(cases=[_case(redactions=[[1, 1]])]), "cases[1].redactions"),
        (_edited(cases=[_case(redactions=[[0, 1, "b" * 64]])]), "cases[1].redactions"),
        (_edited(cases=[_case(redactions=[[1, True, "b" * 64]])]), "cases[1].redactions"),
        (_edited(cases=[_case(redactions=[[1, 1, "B" * 64]])]), "cases[1].redactions"),
        (_edited(cases=[_case(redactions=[[2, 1, "b" * 64], [1, 1, "b" * 64]])]), "redactions"),
        (_edited(cases=[_case(redactions=[[1, 1, "b" * 64], [1, 2, "b" * 64]])]), "redactions"),
        (_edited(cases="all of them"), "cases"),
        (_edited(signature={"algorithm": "RSA", "key_id": "a" * 64, "value": "x"}), "algorithm"),
        (_edited(signature=[]), "signature"),
    ],
)
def test_malformed_json_is_refused_naming_the_field(text: object, field: str) -> None:
    with pytest.raises(MalformedCheckpoint) as refused:
        Checkpoint.from_json(text)  # type: ignore[arg-type]
    assert field in str(refused.value)
    assert isinstance(refused.value, ValueError)  # a FormInvalid: bad input


def test_the_same_case_twice_is_refused() -> None:
    value = json.loads(checkpoint(("case-01", 3)).to_json())
    value["cases"] *= 2
    value["size"] = 2
    with pytest.raises(MalformedCheckpoint, match="twice"):
        Checkpoint.from_json(json.dumps(value))


@pytest.mark.parametrize(
    ("head", "redactions", "wrong"),
    [
        (("case-01", 3, "00"), {}, "the hash of its entry 3 is not a 32-byte digest"),
        (("case-01", 3, "AB" * 32), {}, "the hash of its entry 3 is not a 32-byte digest"),
        (("case-01", 0, "ab" * 32), {}, "seq (0) is not a whole number of 1 or more"),
        (("case-01", 3, "ab" * 32), {"case-01": [(2, 1, "00")]}, "a redaction record"),
    ],
)
def test_a_head_no_checkpoint_can_hold_is_refused_as_an_altered_row(
    head: tuple[str, int, str], redactions: dict[str, list[tuple[int, int, str]]], wrong: str
) -> None:
    """What `from_json` would refuse to read back is never anchored, nor signed (found by a
    review: one `hash = X'00'` lost the night's anchor of every case)."""
    with pytest.raises(AlteredRow, match="run verify") as refused:
        Checkpoint.of([head], None, dt.datetime(2026, 3, 2, 18), redactions)
    assert refused.value.case_id == "case-01"
    assert wrong in str(refused.value)


def test_redaction_heads_are_held_by_entry_and_round_trip() -> None:
    found = Checkpoint.of(
        [("case-01", 4, "a" * 64), ("case-02", 2, "d" * 64)],
        None,
        TAKEN,
        {"case-01": [(3, 2, "c" * 64), (1, 1, "b" * 64)]},
    )
    assert found.cases[0].redactions == (
        RedactionHead(1, 1, "b" * 64),
        RedactionHead(3, 2, "c" * 64),
    )
    assert found.cases[1].redactions == ()
    value = json.loads(found.to_json())
    assert value["format_version"] == 2
    assert value["cases"][0]["redactions"] == [[1, 1, "b" * 64], [3, 2, "c" * 64]]
    assert Checkpoint.from_json(found.to_json()) == found
    unanchored = attrs.evolve(
        found, cases=(attrs.evolve(found.cases[0], redactions=()), *found.cases[1:])
    )
    assert unanchored.computed_root != found.root  # the root covers the heads


def _format_1(found: Checkpoint) -> str:
    """`found` as a format-1 file (before redaction heads), its root as that format made it."""
    value = json.loads(found.to_json())
    value["format_version"] = 1
    for case in value["cases"]:
        del case["redactions"]
    value["root"] = merkle_root([case.leaf(1) for case in found.cases]).hex()
    return json.dumps(value)


def test_a_format_1_checkpoint_is_still_read_and_checks_a_store() -> None:
    store = InMemoryStore(calendar=CALENDAR)
    store.save(built("case-01", 3))
    text = _format_1(store.checkpoint())
    old = Checkpoint.from_json(text)
    assert old.format_version == 1
    assert old.computed_root == old.root
    assert json.loads(old.to_json()) == json.loads(text)  # written back in its own format
    assert store.verify(checkpoint=old) == []
    store._log["case-01"].pop()  # truncated behind the store: the old anchor still tells
    assert [p.what for p in store.verify(checkpoint=old) if p.seq is None][-1].startswith(
        "truncated"
    )


def test_a_format_1_checkpoint_cannot_pass_for_format_2() -> None:
    """The format is signed and shapes every leaf: relabelled, its root no longer matches."""
    store = InMemoryStore(calendar=CALENDAR)
    store.save(built("case-01", 3))
    value = json.loads(_format_1(store.checkpoint()))
    value["format_version"] = 2
    for case in value["cases"]:
        case["redactions"] = []
    relabelled = Checkpoint.from_json(json.dumps(value))
    assert relabelled.computed_root != relabelled.root
    assert "root does not match" in store.verify(checkpoint=relabelled)[0].what


def _pem(key: ed25519.Ed25519PrivateKey) -> tuple[bytes, bytes]:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def test_a_signed_checkpoint_verifies_with_its_public_key_only() -> None:
    private, public = _pem(ed25519.Ed25519PrivateKey.generate())
    _, other = _pem(ed25519.Ed25519PrivateKey.generate())
    signed = checkpoint(("case-01", 3)).sign(private)
    assert signed.signature is not None
    again = Checkpoint.from_json(signed.to_json())
    assert again.signature_problem(public) is None
    assert again.signature_problem(public.decode()) is None
    assert again.signature_problem(other) == (
        "the checkpoint was signed with another key than the public key given"
    )
    assert checkpoint(("case-01", 3)).signature_problem(public) == "the checkpoint is not signed"


def test_a_signature_covers_the_time_the_scope_and_the_root() -> None:
    private, public = _pem(ed25519.Ed25519PrivateKey.generate())
    signed = checkpoint(("case-01", 3), ("case-02", 4)).sign(private)
    for changed in (
        attrs.evolve(signed, taken_at=TAKEN + dt.timedelta(days=1)),
        attrs.evolve(signed, authority="Another Council"),
        attrs.evolve(signed, root="0" * 64),
        attrs.evolve(signed, cases=signed.cases[:1], root=checkpoint(("case-01", 3)).root),
    ):
        assert changed.signature_problem(public) == (
            "the checkpoint's signature does not verify with the public key"
        )


def test_an_encrypted_signing_key_needs_its_password() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"correct horse"),
    )
    with pytest.raises(MalformedCheckpoint, match="signing key"):
        checkpoint(("case-01", 3)).sign(private)
    signed = checkpoint(("case-01", 3)).sign(private, password=b"correct horse")
    assert signed.signature_problem(_pem(key)[1]) is None


def test_keys_that_are_not_ed25519_pem_are_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    private = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(MalformedCheckpoint, match="not an Ed25519 private key"):
        checkpoint(("case-01", 3)).sign(private)
    with pytest.raises(MalformedCheckpoint, match="not an Ed25519 public key"):
        checkpoint(("case-01", 3)).signature_problem(public)
    with pytest.raises(MalformedCheckpoint, match="cannot be read"):
        checkpoint(("case-01", 3)).sign(b"-----BEGIN NOTHING-----")


def test_without_the_signing_extra_signing_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives", None)
    with pytest.raises(MalformedCheckpoint, match=r"reintegration-fsm\[signing\]"):
        checkpoint(("case-01", 3)).sign(b"")


def test_a_store_reports_a_bad_signature_as_a_problem() -> None:
    store = InMemoryStore(calendar=CALENDAR)
    store.save(built("case-01", 3))
    private, public = _pem(ed25519.Ed25519PrivateKey.generate())
    _, other = _pem(ed25519.Ed25519PrivateKey.generate())
    signed = store.checkpoint().sign(private)
    assert store.verify(checkpoint=signed, public_key=public) == []
    [problem] = store.verify(checkpoint=signed, public_key=other)
    assert problem.case_id == CHECKPOINT
    assert "another key" in problem.what
    [problem] = store.verify(checkpoint=store.checkpoint(), public_key=public)
    assert problem.what == "the checkpoint is not signed"
