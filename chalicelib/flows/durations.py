"""Human durations (``30s``, ``2h``, ``1d``, ``1h30m``) as whole seconds."""

from __future__ import annotations

import re

__all__ = ["parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+[smhdw])+$")


def parse_duration(text: str | int) -> int:
    """Return the duration in seconds; plain integers are taken as seconds."""
    if isinstance(text, bool):
        raise ValueError("a duration is a number of seconds or text like '30s', '2h', '1d'")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"duration {text} is negative")
        return text
    compact = str(text).replace(" ", "")
    if not _WHOLE.match(compact):
        raise ValueError(f"'{text}' is not a duration: use a number with a unit s, m, h, d or w, e.g. '30s', '1h30m'")
    return sum(int(amount) * _UNITS[unit] for amount, unit in _PART.findall(compact))
