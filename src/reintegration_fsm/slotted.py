"""Cached properties of attrs' slotted classes, read without a `__getattr__` on the class.

attrs keeps a slotted class's `functools.cached_property` in a slot of its own, which a
`__getattr__` it adds to the class fills on the first read. CPython reads every attribute of an
instance whose class has a `__getattr__` the slow way (no specialised or cached read, two lookups
of the hook per read): a form read a dozen times on every trigger paid that on each of its
fields. `cached_reads` gives each cached property a descriptor of its own that reads its slot and
asks attrs' `__getattr__` only when the slot is still empty, and drops the hook from the class.
attrs may come to do this itself (python-attrs/attrs pull request 1488, open as of December
2026); a class whose `__getattr__` attrs did not make is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

_C = TypeVar("_C", bound=type)


def cached_reads(cls: _C) -> _C:
    """`cls` (an attrs slotted class), its cached properties each read through a descriptor of
    its own and its attrs-made `__getattr__` removed. A class whose `__getattr__` is its own
    (or that has none) is returned as it is."""
    hook = cls.__dict__.get("__getattr__")
    if hook is None or "attrs generated" not in getattr(
        getattr(hook, "__code__", None), "co_filename", ""
    ):
        return cls
    fields = {field.name for field in attrs.fields(cls)}
    for name, slot in list(cls.__dict__.items()):
        if name in fields or name.startswith("__") or type(slot).__name__ != "member_descriptor":
            continue
        setattr(cls, name, property(_reader(slot, hook, name), slot.__set__, slot.__delete__))
    delattr(cls, "__getattr__")
    return cls


def _reader(slot: Any, hook: Callable[[Any, str], Any], name: str) -> Callable[[Any], Any]:
    get = slot.__get__

    def read(instance: Any) -> Any:
        try:
            return get(instance)
        except AttributeError:  # not read yet: attrs' hook computes it and fills the slot
            return hook(instance, name)

    return read
