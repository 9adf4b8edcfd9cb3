"""How long a text and how large a number the library keeps may be: what every store's
columns hold."""

from __future__ import annotations

ID_LENGTH = 100
"""The most characters a case id may have (every store's column holds this many)."""
NAME_LENGTH = 200
"""The most characters a name may have: a person, a school, an authority, an actor's id."""
INTEGER_MOST = 2_147_483_647
"""The most a whole number the library keeps may be: what every engine's INTEGER column holds."""
DAYS_IN_A_YEAR = 366
"""The days of a leap year: the most a count of one year's exclusions may be."""
