"""Make moto's TransactWriteItems cost O(items in the transaction) instead of O(table).

moto backs up a whole table with ``copy.deepcopy`` for every item of every
transaction, so a run with thousands of items (a 1,000-item map writes ~3,000)
slows quadratically. This patch snapshots only the items the transaction
touches and restores them if it is cancelled, which is the same all-or-nothing
behaviour. Applied by the embedded stack only; AWS is not involved.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

__all__ = ["install"]

_installed = False


class _TableCopyIsFree:
    """Stands in for ``copy`` inside moto's DynamoDB backend: tables are not copied, anything else is."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, self._table_type) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    models.copy = _TableCopyIsFree(Table)  # type: ignore[attr-defined]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        touched = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.get_table(op["TableName"])
            if "Item" in op:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            before = self.get_item(op["TableName"], key)
            touched.append((op["TableName"], key, copy.deepcopy(before.to_json()["Attributes"]) if before else None))
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(touched):
                if attrs is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attrs)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items
    _installed = True
