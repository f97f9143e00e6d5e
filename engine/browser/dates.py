"""What a person types into a date or time field, as the value the field holds.

A browser shows ``<input type="date">`` as ``mm/dd/yyyy`` (en-US) and ``type="time"`` as ``hh:mm AM``,
and a person types it so, but the field's value, and so Playwright's ``fill``, is ISO: ``2011-01-28``,
``18:09``.  Given ``"01/28/2011"`` or ``"6:09 PM"`` (or any value it cannot read) the browser empties the
field without a word, although that is exactly what the page shows and an instruction says.
:func:`field_value` turns the usual ways of writing a date, a time, a date and time or a month into the
value of the field's type; anything it does not read is passed on unchanged, and ``fill`` checks the
field afterwards and fails the action when it stayed empty (``planact.browser.actions``).  Numeric dates
are read month first (the en-US order the browser shows).
"""

from __future__ import annotations

import re

# the field types read here, each with how it may be written (for the message of a value the field drops)
FIELD_TYPES = {
    "date": "01/28/2011 or 2011-01-28",
    "time": "6:09 PM or 18:09",
    "datetime-local": "01/28/2011 6:09 PM or 2011-01-28T18:09",
    "month": "03/2016 or 2016-03",
}

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")  # month first
_YEAR_FIRST = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_NAMED_DATE = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")  # January 28, 2011
_DAY_FIRST_NAMED = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")  # 28 January 2011
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap])?\.?\s*(?:m\.?)?")
_NUMERIC_MONTH = re.compile(r"(\d{1,2})[/.-](\d{4})")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_NAMED_MONTH = re.compile(r"([a-z]+)\.?,?\s+(\d{4})")


def field_value(field_type: str, text: str) -> str:
    """``text`` as the value of an ``<input type=field_type>``; ``text`` itself where it is not a date or
    time this reads (or the type is not one of :data:`FIELD_TYPES`)."""
    said = " ".join(text.strip().lower().split())
    match field_type:
        case "date":
            found = _date(said)
        case "time":
            found = _time(said)
        case "datetime-local":
            found = _date_time(said)
        case "month":
            found = _month(said)
        case _:
            found = None
    return text if found is None else found


def _ymd(year: int, month: int, day: int) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31 and year >= 1):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date(said: str) -> str | None:
    if m := _ISO_DATE.fullmatch(said):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _YEAR_FIRST.fullmatch(said):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _NUMERIC_DATE.fullmatch(said):
        return _ymd(int(m[3]), int(m[1]), int(m[2]))
    if (m := _NAMED_DATE.fullmatch(said)) and m[1] in _MONTHS:
        return _ymd(int(m[3]), _MONTHS[m[1]], int(m[2]))
    if (m := _DAY_FIRST_NAMED.fullmatch(said)) and m[2] in _MONTHS:
        return _ymd(int(m[3]), _MONTHS[m[2]], int(m[1]))
    return None


def _time(said: str) -> str | None:
    m = _TIME.fullmatch(said)
    if m is None or (m[2] is None and m[4] is None):  # a bare number is no time
        return None
    hour, minute, second, half = int(m[1]), int(m[2] or 0), m[3], m[4]
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59 or (second is not None and int(second) > 59):
        return None
    return f"{hour:02d}:{minute:02d}" + ("" if second is None else f":{second}")


def _date_time(said: str) -> str | None:
    head, sep, tail = said.partition("t")
    if sep and _ISO_DATE.fullmatch(head):  # 2011-01-28t18:09
        day, clock = _date(head), _time(tail)
        return None if day is None or clock is None else f"{day}T{clock}"
    for cut in range(len(said) - 1, 0, -1):  # the date, then the time: "01/28/2011 6:09 PM", "Jan 28, 2011, 18:09"
        if said[cut] in " ,":
            day, clock = _date(said[:cut].strip(" ,")), _time(said[cut:].strip(" ,"))
            if day is not None and clock is not None:
                return f"{day}T{clock}"
    return None


def _month(said: str) -> str | None:
    if m := _YEAR_MONTH.fullmatch(said):
        year, month = int(m[1]), int(m[2])
    elif m := _NUMERIC_MONTH.fullmatch(said):
        year, month = int(m[2]), int(m[1])
    elif (m := _NAMED_MONTH.fullmatch(said)) and m[1] in _MONTHS:
        year, month = int(m[2]), _MONTHS[m[1]]
    else:
        return None
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None
