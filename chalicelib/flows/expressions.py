"""JMESPath expressions compiled once at load, and dotted context paths.

Definitions hold :class:`Expression` objects, never raw strings, so a bad
expression fails when the definition loads and evaluation never re-parses.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Annotated, Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import PlainSerializer, PlainValidator

__all__ = ["Expression", "ExpressionField", "ContextPath", "ContextPathField", "is_truthy"]


@functools.lru_cache(maxsize=1024)
def _compile(source: str) -> ParsedResult:
    return jmespath.compile(source)


class Expression:
    """A compiled JMESPath expression; ``search`` applies it to a document."""

    __slots__ = ("source", "_parsed")

    def __init__(self, source: str) -> None:
        if not isinstance(source, str) or not source.strip():
            raise ValueError("an expression must be a non-empty JMESPath string")
        try:
            self._parsed = _compile(source)
        except JMESPathError as exc:
            raise ValueError(f"invalid JMESPath '{source}': {str(exc).splitlines()[0]}") from exc
        self.source = source

    def search(self, document: Any) -> Any:
        """Apply the expression; every evaluation failure is a ``JMESPathError``.

        jmespath lets an ordering comparison of a string with a number reach Python
        (``amount > `10``` with ``amount: "20"``), which raises a bare ``TypeError``;
        it is re-raised so callers handle one family. Failing is deliberate: treating
        it as null would silently skip a branch such as an approval threshold.
        """
        try:
            return self._parsed.search(document)
        except TypeError as exc:
            raise JMESPathError(f"cannot evaluate '{self.source}': {exc}") from exc

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


def _to_expression(value: Any) -> Expression:
    return value if isinstance(value, Expression) else Expression(value)


ExpressionField = Annotated[
    Expression,
    PlainValidator(_to_expression),
    PlainSerializer(lambda e: e.source, return_type=str),
]

_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class ContextPath:
    """Where a result lands in the run context: ``order.total`` or ``$`` (the whole context)."""

    __slots__ = ("source", "segments")

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise ValueError("a result path is a dotted name like 'order.total', or '$'")
        self.source = source
        if source == "$":
            self.segments: tuple[str, ...] = ()
            return
        segments = tuple(source.split("."))
        bad = [s for s in segments if not _SEGMENT.match(s)]
        if bad:
            raise ValueError(f"'{source}' is not a result path: use dotted names like 'order.total', or '$'")
        self.segments = segments

    def assign(self, document: dict[str, Any], value: Any) -> dict[str, Any]:
        """Return a copy of ``document`` with ``value`` at this path; the input is not mutated."""
        if not self.segments:
            if not isinstance(value, dict):
                raise TypeError(f"result path '$' needs an object result, got {type(value).__name__}")
            return copy.deepcopy(value)
        result = copy.deepcopy(document)
        node = result
        for segment in self.segments[:-1]:
            child = node.get(segment)
            if not isinstance(child, dict):
                child = {}
                node[segment] = child
            node = child
        node[self.segments[-1]] = copy.deepcopy(value)
        return result

    def __repr__(self) -> str:
        return f"ContextPath({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContextPath) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


ContextPathField = Annotated[
    ContextPath,
    PlainValidator(lambda v: v if isinstance(v, ContextPath) else ContextPath(v)),
    PlainSerializer(lambda p: p.source, return_type=str),
]


def is_truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, empty strings, lists and objects are false."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True
