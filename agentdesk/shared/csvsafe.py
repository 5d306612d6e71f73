"""Cells for CSV files people open in spreadsheets."""

import re

_NUMBER_LIKE = re.compile(r"^[+-]?[0-9][0-9 ().\-]*$")


def safe_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers and phone
    numbers such as +49 30 123 stay as they are."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in ("=", "@", "\t", "\r") or (value[0] in "+-" and not _NUMBER_LIKE.match(value)):
        return "'" + value
    return value
