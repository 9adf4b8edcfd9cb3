"""The store keeps the rules each authority's first case under a protocol `(id, version)` recorded.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

An `open` under an authority's protocol records its rules' fingerprint, but only in the case's
own first log entry. A protocol file edited in place (without a new version) was refused for
the cases opened before the edit, and opened new cases under the edited rules, so that the store
held one `(id, version)` under two sets of rules and part of its caseload failed to load
whichever file was registered. `rfsm_protocols` keeps, for each local authority and `(id,
version)`, the fingerprint the authority's first case under it recorded, and the store refuses a
new case of the authority recording other rules.

The upgrade fills it from the stored cases' first entries (with the authority of their case
rows), the earliest recorded first (by `recorded_at`, then case id), skipping those that record
no fingerprint (the library's own protocols, and cases opened before fingerprints were) and
those that do not read as an `open` records its protocol (a row altered behind the store, which
`verify()` reports). Cut off part way and run again, it adds what it had not. The downgrade
drops the table: no earlier revision reads it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from alembic import op

from reintegration_fsm.stores.migrations import resumable

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NAME = 200
"""`schema.NAME` at this revision."""
ID = 100
"""`schema.ID` at this revision."""
HASH = 64

FULL = "$full"
"""The key wrapping data kept in full (`protocol.at_rest.FULL`)."""
FINGERPRINT = re.compile(r"[0-9a-f]{64}")
"""A fingerprint as the library writes it: a SHA-256 in lower-case hex."""

entries = sa.table(
    "rfsm_transitions",
    sa.column("case_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("trigger_name", sa.String),
    sa.column("recorded_at", sa.DateTime),
    sa.column("data", sa.Text),
)
cases = sa.table("rfsm_cases", sa.column("case_id", sa.String), sa.column("authority", sa.String))
protocols = sa.table(
    "rfsm_protocols",
    sa.column("authority", sa.String),
    sa.column("protocol_id", sa.String),
    sa.column("version", sa.String),
    sa.column("fingerprint", sa.String),
    sa.column("first_case_id", sa.String),
)


def _text(length: int) -> sa.types.TypeEngine[str]:
    """A text column's type, with the C collation on PostgreSQL, as revision 0010 gives every
    text column there."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _named(text: Any) -> tuple[str, str, str] | None:
    """The protocol id, version and fingerprint an `open` entry's data records, or None (none
    recorded, or data that does not read as an `open`'s: `verify()` reports such a row)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return None
    if isinstance(data, dict) and isinstance(data.get(FULL), dict):
        data = data[FULL]
    named = data.get("protocol") if isinstance(data, dict) else None
    if not isinstance(named, dict):
        return None
    protocol_id, version, fingerprint = (named.get(key) for key in ("id", "version", "fingerprint"))
    if not (
        isinstance(protocol_id, str)
        and isinstance(version, str)
        and isinstance(fingerprint, str)
        and 0 < len(protocol_id) <= NAME
        and 0 < len(version) <= NAME
        and FINGERPRINT.fullmatch(fingerprint)
    ):
        return None
    return protocol_id, version, fingerprint


def _fill() -> None:
    """Add the protocol of each authority's earliest case recorded under each `(id, version)`
    not kept."""
    bind = op.get_bind()
    kept = {
        tuple(row)
        for row in bind.execute(
            sa.select(protocols.c.authority, protocols.c.protocol_id, protocols.c.version)
        )
    }
    query = (
        sa.select(entries.c.case_id, entries.c.data, cases.c.authority)
        .join(cases, cases.c.case_id == entries.c.case_id)
        .where(entries.c.seq == 1, entries.c.trigger_name == "open")
        .order_by(entries.c.recorded_at, entries.c.case_id)
    )
    added = []
    for case_id, data, authority in bind.execute(query):
        named = _named(data)
        if named is None or (authority, *named[:2]) in kept:
            continue
        kept.add((authority, *named[:2]))
        protocol_id, version, fingerprint = named
        added.append(
            {
                "authority": authority,
                "protocol_id": protocol_id,
                "version": version,
                "fingerprint": fingerprint,
                "first_case_id": case_id,
            }
        )
    if added:
        bind.execute(sa.insert(protocols), added)


def upgrade() -> None:
    resumable.create_table(
        "rfsm_protocols",
        sa.Column("authority", _text(NAME), nullable=False),
        sa.Column("protocol_id", _text(NAME), nullable=False),
        sa.Column("version", _text(NAME), nullable=False),
        sa.Column("fingerprint", _text(HASH), nullable=False),
        sa.Column("first_case_id", _text(ID), nullable=False),
        sa.PrimaryKeyConstraint("authority", "protocol_id", "version", name="pk_rfsm_protocols"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    _fill()


def downgrade() -> None:
    resumable.drop_table("rfsm_protocols")
