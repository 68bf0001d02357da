"""Dates as briefing pages write them ("2024-09-11", "2024年9月11日", "June 11, 2018",
"11 June 2018"): read into ISO dates (pure, no HTML)."""

from __future__ import annotations

import re

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {m: i for i, m in enumerate(MONTHS, 1)}
_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日"), "ymd"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "ymd"),
    (re.compile(r"([A-Z][a-z]{2,8})\.? ?(\d{1,2}), ?(\d{4})"), "mdy"),  # also "June11, 2018"
    (re.compile(r"(\d{1,2}) ([A-Z][a-z]{2,8}) (\d{4})"), "dmy"),
)


def find_date(text: str) -> str | None:
    for pattern, order in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            a, b, c = m.groups()
            if order == "ymd":
                y, mo, d = int(a), int(b), int(c)
            elif order == "mdy":
                mo, d, y = _MONTHS.get(a.lower(), 0) or _month_abbr(a), int(b), int(c)
            else:
                d, mo, y = int(a), _MONTHS.get(b.lower(), 0) or _month_abbr(b), int(c)
            if 1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _month_abbr(word: str) -> int:
    word = word.lower()[:3]
    return next((i for name, i in _MONTHS.items() if name.startswith(word)), 0)
