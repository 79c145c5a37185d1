"""Periods an amount is given per: "4 times a day", "1 g in 24 hours", "in one day ... is 3 grams"."""
from __future__ import annotations

import re

PER = re.compile(r"(?:\s+of\s+(?!\d)[\w-]+(?:\s+(?!\d)[\w-]+)?(?=\s+(?:per|a|an|each|every|in|within|over)\b))?\s*(?:(?:per|a|an|each|every|in|within|over|in any|in one|in a|/)\s*(?P<n>\d+|one|a|an)?\s*"
                  r"(?P<u>hours?|hrs?|h|days?|24-hour period|weeks?|fortnights?|months?|years?|doses?|nights?)|"
                  r"(?P<adv>daily|weekly|monthly|nightly|hourly))(?![\w-])", re.IGNORECASE)


_PER_BEFORE = re.compile(r"\b(?:in|per|each|every|within|over)\s+(?:one|a|an|1|any|any one|a single)\s+"
                         r"(?P<u>day|24-hour period|week|month|hour)\b[^.;:]{0,60}$", re.IGNORECASE)


def per_before(before: str) -> str:
    """A period named before the amount ("in one day ... is 3 grams"): the amount is per that period."""
    match = _PER_BEFORE.search(before)
    if not match:
        return ""
    unit = match.group("u").lower()
    return "day" if unit.startswith("24") else unit


def per_label(match: re.Match[str]) -> str:
    """The period a :data:`PER` match names: "day", "week", "hour", or "N hours"."""
    if match.group("adv"):
        return {"daily": "day", "weekly": "week", "monthly": "month", "nightly": "day", "hourly": "hour"}[
            match.group("adv").lower()]
    unit = match.group("u").lower().rstrip("s")
    unit = {"hr": "hour", "h": "hour", "24-hour period": "day", "night": "day"}.get(unit, unit)
    count = (match.group("n") or "").lower()
    if unit == "hour" and count == "24":
        return "day"
    if unit == "hour" and count and count not in {"a", "an", "one"}:
        return f"{count} hours"
    return unit
