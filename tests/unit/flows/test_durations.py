"""Human durations become whole seconds; anything ambiguous is refused rather than guessed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.flows.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("2m", 120),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1h30m", 5400),
        ("1d2h3m4s", 93784),
        ("1h 30m", 5400),
        (" 45s ", 45),
        ("0s", 0),
        ("90m", 5400),
        ("1h1h", 7200),
        (0, 0),
        (45, 45),
        (86400, 86400),
    ],
)
def test_parses(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "30",
        "s",
        "30x",
        "30S",
        "1.5h",
        "-5s",
        "h1",
        "1h30",
        "thirty seconds",
        "30 secs",
        "P1D",
        "1h-30m",
    ],
)
def test_refuses_text_that_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_refuses_negative_integers() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_duration(-1)


@pytest.mark.parametrize("flag", [True, False])
def test_refuses_booleans_although_they_are_ints(flag: bool) -> None:
    with pytest.raises(ValueError, match="number of seconds"):
        parse_duration(flag)


@pytest.mark.parametrize("value", [1.5, None, [30]])
def test_refuses_other_types(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("smhdw")), min_size=1, max_size=5))
def test_a_sum_of_parts_is_the_sum_of_their_seconds(parts: list[tuple[int, str]]) -> None:
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = "".join(f"{amount}{letter}" for amount, letter in parts)

    assert parse_duration(text) == sum(amount * unit[letter] for amount, letter in parts)
