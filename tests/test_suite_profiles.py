"""The compat hypothesis profile (CI's leg under the oldest Python) caps the examples of the
tests that set their own, functions and stateful test cases alike, and leaves fewer alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from conftest import COMPAT_EXAMPLES, _cap_examples


def test_a_property_tests_own_examples_are_capped_and_fewer_kept() -> None:
    @settings(max_examples=300, stateful_step_count=7)
    @given(st.integers())
    def many(x: int) -> None: ...

    @settings(max_examples=3)
    @given(st.integers())
    def few(x: int) -> None: ...

    _cap_examples(many)
    _cap_examples(few)
    kept = many._hypothesis_internal_use_settings  # type: ignore[attr-defined]
    assert kept.max_examples == COMPAT_EXAMPLES
    assert kept.stateful_step_count == 7
    assert few._hypothesis_internal_use_settings.max_examples == 3  # type: ignore[attr-defined]
    drawn: list[int] = []

    @settings(max_examples=300, database=None)
    @given(st.integers())
    def counted(x: int) -> None:
        drawn.append(x)

    _cap_examples(counted)
    counted()
    assert 0 < len(drawn) <= COMPAT_EXAMPLES


def test_a_stateful_tests_own_examples_are_capped() -> None:
    class Machine(RuleBasedStateMachine):
        @rule()
        def step(self) -> None: ...

    Machine.TestCase.settings = settings(max_examples=100, stateful_step_count=4)
    _cap_examples(Machine.TestCase)
    assert Machine.TestCase.settings.max_examples == COMPAT_EXAMPLES
    assert Machine.TestCase.settings.stateful_step_count == 4
    _cap_examples(None)  # a test with no class: nothing to cap
