"""Shared fixtures: the store tests' database URLs (see tests/store_contract.py), and the
hypothesis profiles."""

from __future__ import annotations

import os

import pytest
from hypothesis import Phase, settings

from reintegration_fsm import SchoolCalendar

# No wall-clock limits: these machines are shared and noisy, so hypothesis' per-example deadline
# is off everywhere. CI also derandomizes, so that a run is reproducible from its commit.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
# For a quick look while changing code: few examples and no shrinking (RFSM_HYPOTHESIS=quick).
settings.register_profile(
    "quick", deadline=None, max_examples=10, phases=[Phase.explicit, Phase.reuse, Phase.generate]
)
settings.load_profile(
    os.environ.get("RFSM_HYPOTHESIS") or ("ci" if os.environ.get("CI") else "local")
)


def _database_url(variable: str) -> str:
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{variable} is not set: no database to run these store tests against")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """RFSM_TEST_POSTGRES_URL; the test skips when it is unset (and fails if unreachable)."""
    return _database_url("RFSM_TEST_POSTGRES_URL")


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    """RFSM_TEST_MARIADB_URL; the test skips when it is unset (and fails if unreachable)."""
    return _database_url("RFSM_TEST_MARIADB_URL")


@pytest.fixture(scope="session")
def calendar() -> SchoolCalendar:
    """The package's sample calendar."""
    return SchoolCalendar.sample()
