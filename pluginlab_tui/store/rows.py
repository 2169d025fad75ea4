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
from typing import Any, ClassVar, Self, cast


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
    """Mixin for a dataclass stored as one row (declare `__slots__ = ()` kept by the mixin)."""

    __slots__ = ()
    #: Properties written as columns (derived values, never read back).
    COMPUTED: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """The columns an INSERT writes, in field order, then the computed ones."""
        written = (f.name for f in fields(_data(cls)) if _codec(f.metadata).written)
        return (*written, *cls.COMPUTED)

    def row(self) -> dict[str, Any]:
        """The values of the columns an INSERT writes."""
        values = {
            f.name: _codec(f.metadata).write(getattr(self, f.name))
            for f in fields(_data(self))
            if _codec(f.metadata).written
        }
        values.update((name, getattr(self, name)) for name in self.COMPUTED)
        return values

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | sqlite3.Row) -> Self:
        """The record of a row read back (a column the row lacks takes the field's default)."""
        keys = row.keys()
        values: dict[str, Any] = {}
        for f in fields(_data(cls)):
            if f.name in keys:
                value = row[f.name]
                # NULL stays None, unless the field has a default to fall back to (an old row)
                if value is None and (f.default is not MISSING or f.default_factory is not MISSING):
                    continue
                values[f.name] = value if value is None else _codec(f.metadata).read(value)
        return cls(**values)


_PLAIN = Codec()


def _data(record: object) -> Any:
    """The dataclass (or its instance) behind a Row, as `fields` takes it."""
    return cast(Any, record)


def _codec(metadata: Mapping[str, Any]) -> Codec:
    found = metadata.get("codec", _PLAIN)
    assert isinstance(found, Codec)
    return found
