"""Count every AWS request the process makes, by service and operation, with DynamoDB units.

Boto3 and PynamoDB each build their own botocore clients (PynamoDB even its own
session), but every call of both goes through ``BaseClient._make_api_call``;
wrapping that one method, in the benchmark process only, sees them all.
Counting is switched on only inside ``counter.counting()`` so setup work
(creating tables, the local driver's receives) stays out of the figures.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client

from benchmarks.dynamodb_units import IndexSpec, UnitLedger

__all__ = ["RequestCounter", "index_specs"]


def index_specs(models: Any) -> tuple[IndexSpec, ...]:
    """The run table's GSIs as the PynamoDB model declares them."""
    specs = []
    for index in models.run._get_schema()["global_secondary_indexes"]:
        keys = tuple(k["AttributeName"] for k in index["key_schema"])
        projection = index["projection"]
        projected = None if projection["ProjectionType"] == "ALL" else tuple(projection.get("NonKeyAttributes", ()))
        specs.append(IndexSpec(index["index_name"], keys, projected))
    return tuple(specs)


class RequestCounter:
    def __init__(self, ledger: UnitLedger) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.ledger = ledger
        self._active = False
        self._original: Any = None

    def install(self) -> None:
        original = self._original = botocore.client.BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            response = original(client, operation_name, api_params)
            if counter._active:
                counter.record(client.meta.service_model.service_name, operation_name, api_params, response)
            return response

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            botocore.client.BaseClient._make_api_call = self._original  # type: ignore[method-assign]

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        self._active = True
        try:
            yield
        finally:
            self._active = False

    def record(self, service: str, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        self.calls[(service, operation)] += 1
        if service != "dynamodb":
            return
        ledger = self.ledger
        if operation == "PutItem":
            ledger.put(params["TableName"], params["Item"], transactional=False)
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                if "Put" in entry:
                    ledger.put(entry["Put"]["TableName"], entry["Put"]["Item"], transactional=True)
                elif "Update" in entry:
                    ledger.update(entry["Update"]["TableName"], entry["Update"]["Key"], transactional=True)
                else:
                    ledger.add(f"WRU txn {next(iter(entry))}", 2)
        elif operation == "UpdateItem":
            ledger.update(params["TableName"], params["Key"], transactional=False)
        elif operation == "DeleteItem":
            ledger.add("WRU write <=1KB", 1)
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        ledger.put(table, request["PutRequest"]["Item"], transactional=False)
                    else:
                        ledger.add("WRU write <=1KB", 1)
        elif operation == "GetItem":
            ledger.read(response.get("Item"), consistent=bool(params.get("ConsistentRead")))
        elif operation == "Query":
            for item in response.get("Items", []) or [None]:
                ledger.read(item, consistent=bool(params.get("ConsistentRead")))

    def reset(self) -> None:
        self.calls.clear()
        self.ledger.units.clear()
