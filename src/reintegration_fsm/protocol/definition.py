"""`Protocol` and what goes with it, by the path integrators, tests and the rest of the library
import them from; each is defined in the module that holds its job:

- `protocols`: `Protocol` itself, the seed's `WORCESTERSHIRE` and the library's own (`KNOWN`);
- `field_checks`: the checks and conversions of a protocol's fields, and its bounds;
- `toml_file`: a protocol file's TOML, read strictly, where each of its keys is, and a value
  written as TOML writes it (`toml_value`);
- `fingerprints`: the digest of the rules a protocol sets;
- `registry`: the protocols a store or replay knows, the editions of the rules, and the check of
  the library's own protocols against the rules they were published with.

The names an import may take from here are re-exported below; the modules' own helpers that
nothing outside them reads are not (a test patching one patches it where it is defined).
"""

from __future__ import annotations

from reintegration_fsm.protocol.field_checks import COUNTS_MOST as COUNTS_MOST
from reintegration_fsm.protocol.field_checks import DAYS_MOST as DAYS_MOST
from reintegration_fsm.protocol.field_checks import POINTS_MOST as POINTS_MOST
from reintegration_fsm.protocol.field_checks import RETENTION_TOO_SHORT as RETENTION_TOO_SHORT
from reintegration_fsm.protocol.field_checks import RETENTION_YEARS_LEAST as RETENTION_YEARS_LEAST
from reintegration_fsm.protocol.field_checks import SOURCE_LENGTH as SOURCE_LENGTH
from reintegration_fsm.protocol.field_checks import TITLE_LENGTH as TITLE_LENGTH
from reintegration_fsm.protocol.field_checks import EvidenceGiven as EvidenceGiven
from reintegration_fsm.protocol.field_checks import PartiesGiven as PartiesGiven
from reintegration_fsm.protocol.field_checks import RoleCheck as RoleCheck
from reintegration_fsm.protocol.field_checks import RolesGiven as RolesGiven
from reintegration_fsm.protocol.field_checks import add_opening_check as add_opening_check
from reintegration_fsm.protocol.field_checks import add_role_check as add_role_check
from reintegration_fsm.protocol.field_checks import check_set_of as check_set_of
from reintegration_fsm.protocol.field_checks import to_parties as to_parties
from reintegration_fsm.protocol.fingerprints import FINGERPRINT as FINGERPRINT
from reintegration_fsm.protocol.fingerprints import FINGERPRINTED as FINGERPRINTED
from reintegration_fsm.protocol.fingerprints import NAMING_FIELDS as NAMING_FIELDS
from reintegration_fsm.protocol.protocols import EDITIONS as EDITIONS
from reintegration_fsm.protocol.protocols import KNOWN as KNOWN
from reintegration_fsm.protocol.protocols import WORCESTERSHIRE as WORCESTERSHIRE
from reintegration_fsm.protocol.protocols import WORCESTERSHIRE_1 as WORCESTERSHIRE_1
from reintegration_fsm.protocol.protocols import WORCESTERSHIRE_2 as WORCESTERSHIRE_2
from reintegration_fsm.protocol.protocols import Protocol as Protocol
from reintegration_fsm.protocol.protocols import read_aloud as read_aloud
from reintegration_fsm.protocol.protocols import read_seed_file as read_seed_file
from reintegration_fsm.protocol.protocols import seed_default as seed_default
from reintegration_fsm.protocol.protocols import shipped_id as shipped_id
from reintegration_fsm.protocol.registry import EDITION_3_ADDS as EDITION_3_ADDS
from reintegration_fsm.protocol.registry import OWN_ID_EXAMPLE as OWN_ID_EXAMPLE
from reintegration_fsm.protocol.registry import SHIPPED_RULES as SHIPPED_RULES
from reintegration_fsm.protocol.registry import check_shipped as check_shipped
from reintegration_fsm.protocol.registry import differing_rules as differing_rules
from reintegration_fsm.protocol.registry import edition_problem as edition_problem
from reintegration_fsm.protocol.registry import find_protocol as find_protocol
from reintegration_fsm.protocol.registry import in_some_edition as in_some_edition
from reintegration_fsm.protocol.registry import opening_refusal as opening_refusal
from reintegration_fsm.protocol.registry import protocol_registry as protocol_registry
from reintegration_fsm.protocol.registry import refuse_unpublished as refuse_unpublished
from reintegration_fsm.protocol.registry import registered_alike as registered_alike
from reintegration_fsm.protocol.registry import under_earlier_edition as under_earlier_edition
from reintegration_fsm.protocol.registry import unpublished_error as unpublished_error
from reintegration_fsm.protocol.toml_file import DIGITS_MOST as DIGITS_MOST
from reintegration_fsm.protocol.toml_file import DOTS_MOST as DOTS_MOST
from reintegration_fsm.protocol.toml_file import LINE_DOTS_MOST as LINE_DOTS_MOST
from reintegration_fsm.protocol.toml_file import TEXT_MOST as TEXT_MOST
from reintegration_fsm.protocol.toml_file import WHOLE_FILE as WHOLE_FILE
from reintegration_fsm.protocol.toml_file import key_lines as key_lines
from reintegration_fsm.protocol.toml_file import located_in as located_in
from reintegration_fsm.protocol.toml_file import protocol_text as protocol_text

__all__ = [
    "EDITIONS",
    "KNOWN",
    "WORCESTERSHIRE",
    "WORCESTERSHIRE_1",
    "WORCESTERSHIRE_2",
    "Protocol",
    "edition_problem",
    "protocol_registry",
]
