"""DynamoDB capacity units of a request, computed from its items the way AWS bills them.

Moto does not bill, so the benchmark sizes items itself: attribute names plus
values (strings as UTF-8, numbers ~1 byte per 2 digits + 1, maps/lists 3 bytes
+ 1 per element), rounded up to 1 KB per write and 4 KB per strongly
consistent read. Global secondary indexes are billed too: a write that changes
an index key costs a delete plus a put on that index, a write that only changes
a projected attribute costs one put, and one that removes the key costs one delete.
Index writes are standard writes even inside a transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["item_size", "IndexSpec", "UnitLedger"]

_INDEX_ENTRY_OVERHEAD = 100


def _value_size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = len(raw.lstrip("-").replace(".", "").lstrip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in raw)
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in raw)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, dict[str, Any]]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[str, ...]
    projected: tuple[str, ...] | None  # None: ALL

    def entry(self, item: dict[str, Any] | None, table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        if item is None or any(k not in item for k in self.keys):
            return None
        names = set(self.keys) | set(table_keys) | (set(item) if self.projected is None else set(self.projected))
        return {n: item[n] for n in names if n in item}


@dataclass
class UnitLedger:
    """Counts units per kind; remembers the last version of each item to price index writes."""

    indexes: dict[str, tuple[IndexSpec, ...]] = field(default_factory=dict)  # table -> specs
    table_keys: tuple[str, ...] = ("pk", "sk")
    units: dict[str, float] = field(default_factory=dict)
    _items: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def add(self, kind: str, amount: float) -> None:
        self.units[kind] = self.units.get(kind, 0.0) + amount

    def put(self, table: str, item: dict[str, Any], transactional: bool) -> None:
        size = item_size(item)
        factor = 2 if transactional else 1
        label = f"{'txn ' if transactional else ''}write {'<=1KB' if size <= 1024 else '>1KB'}"
        self.add(f"WRU {label}", factor * math.ceil(size / 1024))
        key = (table, *(str(item.get(k)) for k in self.table_keys))
        old = self._items.get(key)
        self._items[key] = item
        for spec in self.indexes.get(table, ()):
            self.add(f"WRU index {spec.name}", self._index_writes(spec, old, item))

    def update(self, table: str, key: dict[str, Any], transactional: bool) -> None:
        """An UpdateItem is billed on the larger of the item before and after: the last put of it seen here.

        Index writes of an update are not priced: updates here set counters and flags (join items) or
        make a map item due, whose index entry the item's next put rewrites and prices.
        """
        old = self._items.get((table, *(str(key.get(k)) for k in self.table_keys)))
        size = item_size(old) if old else 0
        factor = 2 if transactional else 1
        label = f"{'txn ' if transactional else ''}update {'<=1KB' if size <= 1024 else '>1KB'}"
        self.add(f"WRU {label}", factor * max(1, math.ceil(size / 1024)))

    def _index_writes(self, spec: IndexSpec, old: dict[str, Any] | None, new: dict[str, Any]) -> int:
        before, after = spec.entry(old, self.table_keys), spec.entry(new, self.table_keys)
        if before == after:
            return 0
        units = lambda entry: math.ceil((item_size(entry) + _INDEX_ENTRY_OVERHEAD) / 1024)  # noqa: E731
        if before is None:
            return units(after)
        if after is None:
            return 1
        if any(before.get(k) != after.get(k) for k in spec.keys):
            return 1 + units(after)
        return units(after)

    def read(self, item: dict[str, Any] | None, consistent: bool, transactional: bool = False) -> None:
        size = item_size(item) if item else 0
        units = max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)
        if transactional:
            units *= 2
        self.add(f"RRU {'consistent' if consistent else 'eventual'} read", units)
