"""`SqlAlchemyStore`'s listings, read from its indexes: what is due, the cases and their
authorities, and the Fair Access weightings and their ledger."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from reintegration_fsm.fields import NAME_LENGTH, folded_name, searched_stretch, text_problem
from reintegration_fsm.stores import arguments
from reintegration_fsm.stores.failures import read_back
from reintegration_fsm.stores.guard import guarded
from reintegration_fsm.stores.listings import (
    as_stage,
    found_by,
    ledger_entry,
    summary,
    weighting_totals,
)
from reintegration_fsm.stores.model import KINDS, PARTIES, CaseSummary, DueItem, LedgerEntry
from reintegration_fsm.stores.schema import cases, open_items, weightings
from reintegration_fsm.stores.sql_shared import (
    _LIST_CASES,
    _LIST_DUE,
    _READ_LEDGER,
    _SUM_WEIGHTINGS,
    SqlShared,
)
from reintegration_fsm.vocabulary import Stage


class SqlListing(SqlShared):
    """`due`, `authorities`, `cases`, `weightings` and `ledger` of `SqlAlchemyStore`."""

    @guarded(_LIST_DUE)
    def due(self, on: date, *, school: str | None = None) -> list[DueItem]:
        """What still binds on `on`, soonest first: pending deadlines and open obligations due
        by then, an undated obligation from the day it was opened; undated ones last.

        Read from the open-items index.

        Args:
            school: only for the cases with this AP setting or host school.
        """
        arguments.day("due", "on", on)
        arguments.text_or_none("due", "school", school)
        if self._no_such_school(school):
            return []
        statements = self._due_sql if school is None else self._due_at_school(school)
        # SQLite keeps a DATE as its ISO text (SQLAlchemy's format), and compares it as text.
        value: Any = on.isoformat() if self._dialect == "sqlite" else on
        found: list[Any] = []
        ran = [_LIST_DUE]
        # PostgreSQL: each statement reads its own snapshot under READ COMMITTED either way, so
        # read in autocommit: no BEGIN before and no ROLLBACK after (two round trips for a read).
        with read_back(_LIST_DUE):
            with (
                self._lent(ran, autocommit=self._dialect == "postgresql") as dbapi,
                contextlib.closing(dbapi.cursor()) as cursor,
            ):
                for text, names, bound in statements:
                    ran.append(text)
                    params = bound | {"b_on": value}
                    cursor.execute(text, params if names is None else [params[n] for n in names])
                    found.extend(cursor.fetchall())
            # Per row: a tuple built in C (a named tuple's own constructor is a Python
            # function), each day parsed once (rows share a few), kinds and parties by lookup.
            days: dict[Any, date | None] = {None: None}
            parse = date.fromisoformat
            for due in {row[2] for row in found}.difference(days):
                days[due] = parse(due) if type(due) is str else due
            make, kinds, parties = tuple.__new__, KINDS, PARTIES
            return [
                make(DueItem, (case_id, kinds[kind], days[due], item, parties[owner]))
                for case_id, kind, due, item, owner in found
            ]

    @guarded(_LIST_CASES)
    def authorities(self) -> list[str]:
        """The local authorities whose cases this store may show, each as its cases name it,
        sorted (read from the case rows' index)."""
        if self.authority is not None:
            query = select(cases.c.authority).where(cases.c.authority == self.authority).limit(1)
        else:
            query = select(cases.c.authority).distinct()
        with read_back(_LIST_CASES), self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    @guarded(_LIST_CASES)
    def cases(
        self, stage: Stage | None = None, school: str | None = None, text: str | None = None
    ) -> list[CaseSummary]:
        """The cases this store may show, ordered by case id (read from the case rows).

        Args:
            stage: only cases in this stage.
            school: only cases with this AP setting or host school.
            text: only cases whose id or child's name contains it, ignoring case.
        """
        arguments.text_or_none("cases", "school", school)
        arguments.text_or_none("cases", "text", text)
        if self._no_such_school(school) or (
            isinstance(text, str) and text_problem(text) is not None
        ):
            return []  # no stored id or name holds such text
        query = select(
            cases.c.case_id,
            cases.c.pupil_name,
            cases.c.stage,
            cases.c.ap_setting,
            cases.c.host_school,
            cases.c.authority,
            cases.c.opened_on,
            cases.c.last_on,
        )
        if self.authority is not None:
            query = query.where(cases.c.authority == self.authority)
        if stage is not None:
            query = query.where(cases.c.stage == as_stage(stage).value)
        if school is not None:
            query = query.where(self._at_school(school))
        needle = None if text is None else searched_stretch(text)
        if needle:  # narrowed by the folded columns, then each case compared whole below
            query = query.where(
                or_(
                    self._holds(cases.c.case_id_folded, needle),
                    self._holds(cases.c.pupil_name_folded, needle),
                )
            )
        with read_back(_LIST_CASES):
            with self.engine.connect() as conn:
                rows = conn.execute(query.order_by(cases.c.case_id)).mappings().all()
            listed = [summary(row) for row in rows]
        return listed if text is None else found_by(text, listed)

    @staticmethod
    def _no_such_school(school: str | None) -> bool:
        """`school` is text no stored school's name can be (a lone surrogate, say, which
        PostgreSQL would refuse to compare)."""
        return school is not None and (
            text_problem(school, single_line=True, most=NAME_LENGTH) is not None
        )

    @staticmethod
    def _at_school(school: str) -> Any:
        """The condition on a case row that its AP setting or host school is `school`, as the
        rules read a school's name (`rules.at_school`), by the folded columns' indexes."""
        folded = folded_name(school)
        return or_(cases.c.ap_setting_folded == folded, cases.c.host_school_folded == folded)

    def _due_at_school(self, school: str) -> list[tuple[str, list[str] | None, dict[str, Any]]]:
        """`due()`'s two statements, as the driver's text, for the cases of `school` only."""
        of_school = open_items.c.case_id.in_(select(cases.c.case_id).where(self._at_school(school)))
        return [
            self._driver_sql(query.where(of_school))
            for query in (self._select_dated, self._select_undated)
        ]

    def _holds(self, column: Any, needle: str) -> Any:
        """`column` contains `needle`, character for character: on SQLite by `instr`, as its
        LIKE reads the noncharacters U+FFFE and U+FFFF as one (both columns are folded, so
        LIKE's ignoring of ASCII case is not wanted either)."""
        if self._dialect == "sqlite":
            return func.instr(column, needle) > 0
        return column.contains(needle, autoescape=True)

    def _ledger_entries(self, start: date, end: date, action: str) -> list[LedgerEntry]:
        """The ledger's entries dated `start` to `end` inclusive, by date, then case id, then
        school; `action` names the call in its errors."""
        where = [weightings.c.on_date >= start, weightings.c.on_date <= end]
        if self.authority is not None:
            where.append(weightings.c.authority == self.authority)
        query = (
            select(weightings)
            .where(*where)
            .order_by(weightings.c.on_date, weightings.c.case_id, weightings.c.school)
        )
        with read_back(action), self.engine.connect() as conn:
            return [ledger_entry(row) for row in conn.execute(query).mappings()]

    @guarded(_SUM_WEIGHTINGS)
    def weightings(self, start: date, end: date) -> dict[str, int]:
        """The Fair Access weightings from `start` to `end` inclusive: school -> net points.

        Summed from the ledger table by index, never by replaying histories; a school named
        in several ways is one school, under the spelling of its first entry
        (`listings.weighting_totals`).
        """
        arguments.period("weightings", start, end)
        return weighting_totals(self._ledger_entries(start, end, _SUM_WEIGHTINGS))

    @guarded(_READ_LEDGER)
    def ledger(self, start: date, end: date) -> list[LedgerEntry]:
        """Each school's weighting change from each success dated `start` to `end` inclusive,
        by date, then case id, then school."""
        arguments.period("ledger", start, end)
        return self._ledger_entries(start, end, _READ_LEDGER)
