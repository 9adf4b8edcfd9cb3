"""Review LJ: small items earlier sessions left open (RG6, J4's rest, ...)."""

from __future__ import annotations

import attrs

from reintegration_fsm import ReferralRoute
from reintegration_fsm.stores import SqlAlchemyStore
from scenario import AP_HEAD, CONSENTED, PSP, PUPIL, REFERRED, consent, information
from store_contract import CALENDAR, opened

SEND = "SEN support: speech and language"
ETHNICITY = "White and Black Caribbean"
"""Special category data (UK GDPR Art. 9) a repr, which logs and error trackers print, must
not show."""


def _hides_special_category(shown: str) -> None:
    for hidden in ("speech and language", "Caribbean", "send_level", "ethnicity"):
        assert hidden not in shown


def test_information_repr_leaves_out_its_special_category_data() -> None:
    """RG6: `ReintegrationInformation`'s repr named the SEND level and ethnicity that
    `Pupil`'s leaves out (LG9); it names neither now, and the form keeps both."""
    form = information(send_level=SEND, ethnicity=ETHNICITY)
    shown = repr(form)
    assert "reasons_for_success=" in shown  # the repr is still the form's
    _hides_special_category(shown)
    assert form.send_level == SEND
    assert form.ethnicity == ETHNICITY
    assert form != attrs.evolve(form, ethnicity="")


def test_transition_repr_leaves_out_special_category_data(database_url: str) -> None:
    """RG6: a `Transition`'s repr printed its data whole: the opening step's pupil and the
    referral's information, SEND level and ethnicity included. Neither shows now, in a case
    as recorded or as loaded from a store; the data still holds both."""
    pupil = attrs.evolve(PUPIL, send_level=SEND, ethnicity=ETHNICITY)
    case = opened("lj-rg6", pupil=pupil)
    case.record_consent(consent(), by=AP_HEAD, on=CONSENTED)
    case.refer_to_fair_access(
        ReferralRoute.VIRTUAL,
        information(send_level=SEND, ethnicity=ETHNICITY),
        PSP,
        by=AP_HEAD,
        on=REFERRED,
    )
    store = SqlAlchemyStore(database_url, calendar=CALENDAR)
    try:
        store.save(case)
        loaded = store.load("lj-rg6")
    finally:
        store.close()
    for history in (case.history, loaded.history):
        shown = repr(list(history))
        assert PUPIL.name in shown
        assert "reasons_for_success" in shown
        _hides_special_category(shown)
        assert history[0].data["pupil"]["ethnicity"] == ETHNICITY
        assert history[2].data["information"]["send_level"] == SEND
