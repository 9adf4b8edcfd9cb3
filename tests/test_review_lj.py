"""Review LJ: small items earlier sessions left open (RG6, J4's rest, ...)."""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from reintegration_fsm import ReferralRoute
from reintegration_fsm.stores import SqlAlchemyStore
from scenario import AP_HEAD, CONSENTED, PSP, PUPIL, REFERRED, consent, information
from store_contract import CALENDAR, opened
from test_cli_boundary import OPEN_DATA, invoke, no_traceback, write

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


def _actor(name: str, organisation: str = AP_HEAD.organisation) -> list[str]:
    return [
        *("--actor-id", AP_HEAD.id, "--actor-name", name),
        *("--role", "ap_head", "--organisation", organisation),
    ]


def test_apply_names_a_noncharacter_in_the_actor_beside_bad_data(tmp_path: Path) -> None:
    """J4's rest: a noncharacter in `--actor-name` was named only on a second run, once the
    data's problems were mended; every reason is named in one run now, and nothing is
    written."""
    url = f"sqlite:///{tmp_path / 'j4.sqlite'}"
    data = {key: value for key, value in OPEN_DATA.items() if key != "local_authority"}
    opening = write(tmp_path / "open.json", json.dumps(data))
    result = invoke(url, "apply", "J4-1", "open", "--data", opening, *_actor("Morgan\ufffeReed"))
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "local_authority" in result.output
    assert "--actor-name holds a noncharacter (U+FFFE at position 6)" in result.output
    assert not (tmp_path / "j4.sqlite").exists()


def test_apply_names_every_actor_noncharacter_and_an_unknown_protocol_at_once(
    tmp_path: Path,
) -> None:
    """With good data, the actor's noncharacters and an unknown `--under` are named together
    (the unknown protocol was named alone, then each noncharacter on later runs), exit 2."""
    url = f"sqlite:///{tmp_path / 'j4.sqlite'}"
    opening = write(tmp_path / "open.json", json.dumps(OPEN_DATA))
    actor = _actor("Morgan\ufffeReed", organisation=f"{AP_HEAD.organisation}\uffff")
    result = invoke(
        url,
        "apply",
        "J4-1",
        "open",
        "--data",
        opening,
        *actor,
        "--under",
        "nosuch",
        "--format",
        "json",
    )
    no_traceback(result)
    assert result.exit_code == 2, result.output
    failure = json.loads(result.stdout)
    assert failure["error"].startswith("--actor-name holds a noncharacter (U+FFFE")
    assert failure["reasons"][0].startswith("--organisation holds a noncharacter (U+FFFF")
    assert failure["reasons"][1].startswith("no protocol 'nosuch' is known.")
    assert not (tmp_path / "j4.sqlite").exists()
