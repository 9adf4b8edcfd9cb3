"""What a store's methods take: a value of the wrong kind is refused with `FormInvalid`, the
same on every engine, before any database is asked (a text for a date was compared as text by
one engine, refused by another and crashed a third)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from reintegration_fsm import rules
from reintegration_fsm.calendar import SchoolCalendar
from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import FormInvalid, describe
from reintegration_fsm.fields import is_day
from reintegration_fsm.protocol.definition import Protocol, protocol_registry
from reintegration_fsm.stores.checkpoints import Checkpoint
from reintegration_fsm.vocabulary import Actor


def case(method: str, value: object) -> Reintegration:
    """`value`, a case (`Reintegration`).

    Raises:
        FormInvalid: it is not one (an id, a history, None).
    """
    if not isinstance(value, Reintegration) and not hasattr(value, "case_id"):
        # (Anything naming a case goes on to the checks a case meets: its stored row, R15.)
        raise FormInvalid(method, "case", f"must be a Reintegration, not {type(value).__name__}")
    return value  # type: ignore[return-value]


def case_id(method: str, value: object) -> str:
    """`value`, a case's id: text (a store would look a list up as a key, and a driver refuse
    it, which read as a database failure).

    Raises:
        FormInvalid: it is not text (None, a number, a list of ids).
    """
    if not isinstance(value, str):
        raise FormInvalid(method, "case_id", f"must be text, not {type(value).__name__}")
    return value


def seq(method: str, value: object) -> int | None:
    """`value`, an entry's number in its case's log (1 for `open`), or None.

    Raises:
        FormInvalid: it is neither a whole number nor None (a list, a text, 2.0, True).
    """
    if value is not None and type(value) is not int:
        raise FormInvalid(
            method,
            "seq",
            f"must be an entry's number (a whole number) or None, not {type(value).__name__}",
        )
    return value


def day(method: str, name: str, value: object) -> date:
    """`value`, a date (a datetime is not one: it would compare with a time of day).

    Raises:
        FormInvalid: it is not a date.
    """
    if not is_day(value):
        raise FormInvalid(method, name, f"must be a date, not {type(value).__name__}")
    return value


def business_day(method: str, name: str, value: object) -> date:
    """`value`, the business date of something done now (a redaction, a retention run): a date
    no later than today (the machine's local date).

    Raises:
        FormInvalid: it is not a date, or lies after today (a removal dated ahead would remove
            personal data still to be kept, and date its record ahead).
    """
    found = day(method, name, value)
    today = rules.furthest_date() - rules.FURTHEST_AHEAD  # (the day R16 counts from)
    if found > today:
        raise FormInvalid(
            method,
            name,
            f"{found.isoformat()} is after today ({today.isoformat()}): personal data still to "
            "be kept would be removed, and the record dated ahead; date it the day it is done",
        )
    return found


def actor(method: str, value: object) -> Actor:
    """`value`, the `Actor` who does something (checked before anything is done, whether or not
    there turns out to be anything to do).

    Raises:
        FormInvalid: it is not an Actor.
    """
    if not isinstance(value, Actor):
        raise FormInvalid(method, "by", f"must be an Actor, not {type(value).__name__}")
    return value


def period(method: str, start: object, end: object) -> None:
    """Refuse a `start` or `end` of a period that is not a date, and a period that ends before
    it starts (the two given the wrong way round, which would find nothing).

    Raises:
        FormInvalid: naming the one at fault.
    """
    first, last = day(method, "start", start), day(method, "end", end)
    if last < first:
        raise FormInvalid(
            method,
            "end",
            f"the period ends on {last.isoformat()} before it starts on {first.isoformat()}: "
            "give the start first",
        )


def flag(method: str, name: str, value: object) -> None:
    """Refuse a `value` that is neither True, False nor None (`"no"` would read as true).

    Raises:
        FormInvalid: saying what it is.
    """
    if value is not None and type(value) is not bool:
        raise FormInvalid(method, name, f"must be True, False or None, not {type(value).__name__}")


def text_or_none(method: str, name: str, value: object) -> None:
    """Refuse a `value` that is neither text nor None.

    Raises:
        FormInvalid: saying what it is.
    """
    if value is not None and not isinstance(value, str):
        raise FormInvalid(method, name, f"must be text or None, not {type(value).__name__}")


def case_ids(method: str, value: Iterable[Any]) -> list[str]:
    """The ids of `value`, in order, each once: a collection of texts (one id alone is not
    one: its letters would be taken for ids).

    Raises:
        FormInvalid: `value` is a text or not iterable, or holds something other than text.
    """
    return list(dict.fromkeys(_texts(method, "case_ids", "case ids", "one id: [case_id]", value)))


def _texts(method: str, name: str, what: str, example: str, value: object) -> list[str]:
    """The texts of `value`, a collection of `what` (one alone is not one: its letters would be
    taken for them), in order; `example` shows how to give one alone."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise FormInvalid(
            method, name, f"must be a collection of {what}, not {type(value).__name__} ({example})"
        )
    given = list(value)
    for position, item in enumerate(given, start=1):
        if not isinstance(item, str):
            raise FormInvalid(method, name, f"item {position} is {type(item).__name__}, not text")
    return given


def protocols(value: object) -> tuple[Protocol, ...]:
    """The protocols a store is given, each checked as a replay would check it.

    Raises:
        ProtocolDefinitionError: `value` is not a collection of protocols (None, a text), or
            two of them share an `(id, version)`.
    """
    collection = isinstance(value, Iterable) and not isinstance(value, str | bytes)
    given: Any = tuple(value) if collection else value  # type: ignore[arg-type]
    protocol_registry(given)  # refuses what is not a collection of protocols
    return tuple(given)


def engine_options(durable: object, busy_timeout: object) -> None:
    """Refuse a SQL store's `durable` that is not True or False, or a `busy_timeout` that is not
    a number of seconds, 0 or more.

    Raises:
        FormInvalid: naming the one that is wrong.
    """
    if not isinstance(durable, bool):
        raise FormInvalid("store", "durable", f"must be True or False, not {durable!r}")
    if (
        not isinstance(busy_timeout, int | float)
        or isinstance(busy_timeout, bool)
        or not 0 <= busy_timeout < float("inf")
    ):
        raise FormInvalid(
            "store",
            "busy_timeout",
            f"must be a number of seconds, 0 or more, not {describe(busy_timeout)}",
        )


def calendar(value: object) -> None:
    """Refuse a store's `calendar` that is not a `SchoolCalendar` (nor None).

    Raises:
        FormInvalid: saying what it is.
    """
    if value is not None and not isinstance(value, SchoolCalendar):
        raise FormInvalid(
            "store", "calendar", f"must be a SchoolCalendar or None, not {type(value).__name__}"
        )


def paths(method: str, value: object) -> list[str]:
    """The paths of `value`, in order: a collection of texts (one path alone is not one: its
    letters would be taken for paths).

    Raises:
        FormInvalid: `value` is a text or not iterable, or holds something other than text.
    """
    return _texts(method, "paths", "paths", "one path: [path]", value)


def verifying(checkpoint: object, progress: object, public_key: object = None) -> None:
    """Refuse a `checkpoint` that is not a `Checkpoint` (its JSON text: read it with
    `Checkpoint.from_json`), a `progress` that cannot be called, or a `public_key` without a
    checkpoint (whose signature alone it checks), before anything is checked.

    Raises:
        FormInvalid: naming the one that is wrong.
    """
    if public_key is not None and checkpoint is None:
        raise FormInvalid(
            "verify",
            "public_key",
            "checks a checkpoint's signature: give the checkpoint too (nothing was checked)",
        )
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        hint = " (read its JSON with Checkpoint.from_json)" if isinstance(checkpoint, str) else ""
        raise FormInvalid(
            "verify", "checkpoint", f"must be a Checkpoint, not {type(checkpoint).__name__}{hint}"
        )
    if progress is not None and not callable(progress):
        raise FormInvalid(
            "verify", "progress", f"must be callable or None, not {type(progress).__name__}"
        )


def extending(extends: object, public_key: bytes | str | None) -> None:
    """Refuse an `extends` that is not a `Checkpoint`, or a `public_key` without one, before
    anything is read; and a public key that is not an Ed25519 one in PEM.

    Raises:
        FormInvalid: naming the one that is wrong (`MalformedCheckpoint` for the key).
    """
    if public_key is not None and extends is None:
        raise FormInvalid(
            "checkpoint",
            "public_key",
            "checks the signature of the checkpoint it extends: give `extends` too "
            "(nothing was taken)",
        )
    if extends is not None and not isinstance(extends, Checkpoint):
        hint = " (read its JSON with Checkpoint.from_json)" if isinstance(extends, str) else ""
        raise FormInvalid(
            "checkpoint", "extends", f"must be a Checkpoint, not {type(extends).__name__}{hint}"
        )
    if extends is not None and public_key is not None:
        extends.signature_problem(public_key)  # (a key that does not read: raised here)


def all_or_nothing(value: object) -> bool:
    """`value`, True or False (`import_histories`' `all_or_nothing`).

    Raises:
        FormInvalid: it is neither.
    """
    if type(value) is not bool:
        raise FormInvalid(
            "import_histories", "all_or_nothing", f"must be True or False, not {describe(value)}"
        )
    return value


def batch_size(value: object) -> int:
    """`value`, a whole number of histories of at least 1.

    Raises:
        FormInvalid: it is not.
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise FormInvalid(
            "import_histories", "batch_size", f"must be 1 or more, not {describe(value)}"
        )
    return value


def histories(value: Iterable[Any]) -> Iterator[tuple[str, Any]]:
    """Each `(authority, history)` pair of `value`, checked as it is reached.

    Raises:
        FormInvalid: `value` is not a collection of such pairs, an item is not such a pair, or
            its authority is not text.
    """
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise FormInvalid(
            "import_histories",
            "histories",
            f"must be pairs (authority, history), not {type(value).__name__}",
        )
    for position, item in enumerate(value, start=1):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise FormInvalid(
                "import_histories",
                str(position),
                f"must be a pair (authority, history), not {type(item).__name__}",
            )
        authority, history = item
        if not isinstance(authority, str):
            raise FormInvalid(
                "import_histories",
                str(position),
                f"its authority must be text, not {type(authority).__name__}",
            )
        if isinstance(history, str | bytes) or not isinstance(history, Iterable):
            raise FormInvalid(
                "import_histories",
                str(position),
                f"its history must be a sequence of transitions, not {type(history).__name__}",
            )
        yield authority, history
