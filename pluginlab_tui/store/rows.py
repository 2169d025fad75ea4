"""A dataclass as a table's row: its fields are the columns, each field's codec declared once.

A field's metadata may hold a Codec (how its value is written to and read from its column); a
field marked STORED is read back but never written (the store fills it: ids, marks). A class may
name properties whose values are columns written but not read (`COMPUTED`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from operator import attrgetter
from typing import Any, ClassVar, Self


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Codec:
    write: Callable[[Any], Any] = _same
    read: Callable[[Any], Any] = _same
    #: False: a column the store fills; it is read, never written.
    written: bool = True


def codec(
    write: Callable[[Any], Any] = _same, read: Callable[[Any], Any] = _same, *, written: bool = True
) -> Mapping[str, Codec]:
    """Field metadata holding a codec: `field(default=..., metadata=codec(...))`."""
    return {"codec": Codec(write, read, written)}


#: A 0/1 column read as a bool.
FLAG = codec(int, bool)
#: A JSON text column.
JSON = codec(json.dumps, json.loads)
#: A column the store fills (read back, never written).
STORED = codec(written=False)


class Row:
    """Mixin for a dataclass stored as one row of a table (slotted dataclasses welcome)."""

    __slots__ = ()
    #: Properties written as columns (derived values, never read back).
    COMPUTED: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """The columns an INSERT writes, in field order, then the computed ones."""
        written = (name for name, codec, _ in _plan(cls) if codec.written)
        return (*written, *cls.COMPUTED)

    @classmethod
    def params(cls) -> str:
        """The INSERT's placeholders for `row()`: `?, ?, ...`, one per column."""
        return ", ".join("?" * len(cls.columns()))

    def row(self) -> tuple[Any, ...]:
        """The values of the columns an INSERT writes, in `columns()` order (for `params()`)."""
        read, encoders = _writer(type(self))
        values = list(read(self))
        for index, write in encoders:
            values[index] = write(values[index])
        return tuple(values)

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | sqlite3.Row) -> Self:
        """The record of a row read back (a column the row lacks takes the field's default)."""
        keys = row.keys()
        values: dict[str, Any] = {}
        for name, codec, has_default in _plan(cls):
            if name in keys:
                value = row[name]
                if value is not None:
                    values[name] = codec.read(value)
                elif not has_default:  # NULL is None; a field with a default takes it (old rows)
                    values[name] = None
        return cls(**values)


_PLAIN = Codec()


_Plan = tuple[tuple[str, Codec, bool], ...]
_PLANS: dict[type, _Plan] = {}
#: A class's row writer: one getter of every written value, then the codecs that change them.
_Writer = tuple[Callable[[Any], tuple[Any, ...]], tuple[tuple[int, Callable[[Any], Any]], ...]]
_WRITERS: dict[type, _Writer] = {}


def _plan(cls: type) -> _Plan:
    """Each field of a Row dataclass: its name, its codec, whether it has a default (cached)."""
    plan = _PLANS.get(cls)
    if plan is None:
        steps = []
        for f in fields(cls):
            codec = f.metadata.get("codec", _PLAIN)
            assert isinstance(codec, Codec)
            has_default = f.default is not MISSING or f.default_factory is not MISSING
            steps.append((f.name, codec, has_default))
        plan = _PLANS[cls] = tuple(steps)
    return plan


def _writer(cls: type[Row]) -> _Writer:
    """How a row of the class is written (cached): a plain field's value is taken as it is."""
    writer = _WRITERS.get(cls)
    if writer is None:
        codecs = [codec for _, codec, _ in _plan(cls) if codec.written]
        encoders = tuple((i, c.write) for i, c in enumerate(codecs) if c.write is not _same)
        names = cls.columns()
        getter = attrgetter(*names) if len(names) > 1 else lambda row: (getattr(row, names[0]),)
        writer = _WRITERS[cls] = (getter, encoders)
    return writer
