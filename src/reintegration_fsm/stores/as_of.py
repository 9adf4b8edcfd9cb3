"""What was due on a day, from the cases as they stood at the end of it.

`store.due(on)` reads what binds now; a tribunal asks what was overdue on 1 March, before later
steps met or closed it. `due_as_of` loads each case as it stood (`load(case_id, as_of=...)`) and
lists its open items as `due()` would have then.
"""

from __future__ import annotations

import datetime as dt

from reintegration_fsm.case import Reintegration
from reintegration_fsm.errors import CaseNotFound, UnknownProtocol
from reintegration_fsm.rules import at_school
from reintegration_fsm.stores import arguments
from reintegration_fsm.stores.base import Store
from reintegration_fsm.stores.listings import binds_on, due_item, due_order
from reintegration_fsm.stores.model import CaseSummary, DueItem
from reintegration_fsm.stores.rows import open_item_rows


def check_as_of(as_of: object) -> None:
    """Refuse an `as_of` that is neither None nor a date (a datetime or a text included).

    Raises:
        FormInvalid: saying what it is.
    """
    if as_of is not None:
        arguments.day("load", "as_of", as_of)


def _stood(store: Store, as_of: dt.date) -> list[Reintegration]:
    """Every case `store` may show as it stood at the end of `as_of` (those opened by then).

    Raises:
        UnknownProtocol: a case runs under a protocol the store was not given (or was given
            with other rules, `ChangedProtocol`); its `case_id` names the case.
    """
    found = []
    for summary in store.cases():
        try:
            found.append(store.load(summary.case_id, as_of=as_of))
        except CaseNotFound:
            continue
        except UnknownProtocol as error:  # one case among many: named, as a retention run does
            raise error.naming(summary.case_id) from None
    return found


def due_as_of(
    store: Store, as_of: dt.date, on: dt.date | None = None, *, school: str | None = None
) -> list[DueItem]:
    """What bound on `on` (default `as_of`), soonest first, across the cases `store` may show, each
    as it stood at the end of `as_of`; a case not yet opened then is left out. With `school`,
    only the cases whose AP setting or host school it was then.

    Raises:
        FormInvalid: `as_of` is not a date, `on` neither a date nor None, or `school` neither
            text nor None.
    """
    arguments.day("due_as_of", "as_of", as_of)
    if on is not None:
        arguments.day("due_as_of", "on", on)
    arguments.text_or_none("due_as_of", "school", school)
    day = as_of if on is None else on
    rows = []
    for case in _stood(store, as_of):
        if school is not None and not at_school(school, case.ap_setting, case.host_school):
            continue
        rows += [row for row in open_item_rows(case, case.local_authority) if binds_on(row, day)]
    return [due_item(row) for row in sorted(rows, key=due_order)]


def cases_as_of(store: Store, as_of: dt.date) -> list[CaseSummary]:
    """The cases `store` may show as `cases()` would have listed them at the end of `as_of`
    (their stage and host school then); a case not yet opened then is left out.

    Raises:
        FormInvalid: `as_of` is not a date.
    """
    arguments.day("cases_as_of", "as_of", as_of)
    return [
        CaseSummary(
            case.case_id,
            case.pupil.name,
            case.stage,
            case.ap_setting,
            case.host_school,
            case.local_authority,
            case.opened_on,
            case.last_on or case.opened_on,
        )
        for case in _stood(store, as_of)
    ]
