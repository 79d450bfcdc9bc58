"""AWS list prices the cost figures are computed from: the ONE place they live.

us-east-1, on-demand, as listed on the AWS pricing pages for DynamoDB, SQS,
Lambda and Step Functions and recorded in issue #5 (checked November 2025;
re-check before quoting a figure outside this repo). Free tiers are ignored.

The latency figures are not prices: they model how long a Lambda worker waits
on each AWS call (typical in-region p50s), which is what Lambda bills as
duration. Moto answers in microseconds, so measured time would flatter us.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRICES", "Prices", "LATENCY_MS", "PRICES_AS_OF"]

PRICES_AS_OF = "us-east-1 on-demand list prices, aws.amazon.com/<service>/pricing, as of 2025-11"


@dataclass(frozen=True)
class Prices:
    dynamodb_per_wru: float = 0.625 / 1e6  # one write request unit: 1 KB, standard write
    dynamodb_per_rru: float = 0.125 / 1e6  # one read request unit: 4 KB strongly consistent (2 eventually)
    dynamodb_transaction_factor: int = 2  # TransactWriteItems/TransactGetItems cost 2x the units
    sqs_per_request: float = 0.40 / 1e6  # standard queue; each 64 KB chunk of a payload is one request
    sqs_chunk_bytes: int = 64 * 1024
    lambda_per_request: float = 0.20 / 1e6
    lambda_per_gb_second: float = 0.0000166667  # x86
    lambda_memory_gb: float = 256 / 1024  # .chalice/config.json lambda_memory_size
    sfn_standard_per_transition: float = 25.0 / 1e6
    sfn_express_per_request: float = 1.00 / 1e6
    sfn_express_per_gb_second: float = 0.00001667  # first tier
    sfn_express_memory_gb: float = 64 / 1024  # billed in 64 MB chunks; small flows use one
    sfn_express_max_seconds: int = 300


PRICES = Prices()

# Modelled time a worker spends waiting on each call (ms), for Lambda's billed duration.
LATENCY_MS: dict[tuple[str, str], float] = {
    ("dynamodb", "GetItem"): 4.0,
    ("dynamodb", "PutItem"): 6.0,
    ("dynamodb", "TransactWriteItems"): 12.0,
    ("dynamodb", "Query"): 6.0,
    ("sqs", "SendMessage"): 8.0,
}
DEFAULT_LATENCY_MS = 8.0
