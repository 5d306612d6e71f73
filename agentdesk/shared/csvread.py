"""Reading an uploaded CSV in bounded memory and time: rows are streamed from the bytes (never
decoded into one string), only the columns the caller knows are kept, and a file wider than
`MAX_COLUMNS` or with a physical line longer than `MAX_LINE_CHARS` is refused before it is parsed
further.

Why: `csv.DictReader` makes every row a dict with one entry per header column, so a 1.9 MB file
with 250,000 header columns and a few one-cell rows grew the server by 119 MiB, and a header of
100,000 columns made each row of a do-not-call upload cost ~20 ms.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

# Far above the contact API's ~50 fields; a wider file is not a contact list.
MAX_COLUMNS = 200
# One physical line (a quoted cell may span several); bounds what one row can cost to parse.
MAX_LINE_CHARS = 256 * 1024
# One row, also when quoted cells span lines.
MAX_ROW_CHARS = 1024 * 1024
SNIFF_CHARS = 4096


class CsvRejected(ValueError):
    """The file as a whole cannot be used; the message says why."""


@dataclass
class Table:
    header: list[str]  # stripped column names, at most MAX_COLUMNS
    rows: Iterator[tuple[int, dict[str, str]]]  # (line, {known column: cell}), read lazily


def open_table(data: bytes, *, known: Collection[str], max_columns: int = MAX_COLUMNS) -> Table:
    """The header, and the rows as they are read; CsvRejected (also while iterating) says
    what is wrong with the file."""
    if not is_utf8(data):
        raise CsvRejected(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."))
    head = data[: SNIFF_CHARS * 4].decode("utf-8-sig", errors="ignore")[:SNIFF_CHARS]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(head, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    feed = _Feed(stream)
    reader = csv.reader(feed, dialect=dialect)
    try:
        first = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as error:
        raise _unreadable(reader.line_num or 1, error) from None
    except _TooLong:
        raise CsvRejected(
            _(
                "The header row is longer than %(max)d characters; at most %(columns)d columns "
                "are read. Remove the columns that are not fields of this list."
            )
            % {"max": MAX_LINE_CHARS, "columns": max_columns}
        ) from None
    if first is None:
        return Table([], iter(()))
    if len(first) > max_columns:
        raise CsvRejected(
            _(
                "The header row has %(count)d columns; at most %(max)d are read. Remove the "
                "columns that are not fields of this list."
            )
            % {"count": len(first), "max": max_columns}
        )
    header = [name.strip() for name in first]
    wanted = [(index, name) for index, name in enumerate(header) if name in known]
    return Table(header, _rows(reader, feed, wanted, max_columns))


class _Feed:
    """The stream's lines for csv.reader, refusing a physical line over MAX_LINE_CHARS and a
    row (quoted cells may span lines) over MAX_ROW_CHARS: a row of millions of one-line quoted
    cells would otherwise be parsed whole before its width could be checked."""

    def __init__(self, stream: io.TextIOWrapper) -> None:
        self.stream = stream
        self.row_chars = 0  # reset by the reader of rows after each row

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self.row_chars += len(line)
        if len(line) > MAX_LINE_CHARS:
            raise _TooLong(MAX_LINE_CHARS)
        if self.row_chars > MAX_ROW_CHARS:
            raise _TooLong(MAX_ROW_CHARS)
        return line


class _TooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def _rows(
    reader: Iterator[list[str]], feed: _Feed, wanted: list[tuple[int, str]], max_columns: int
) -> Iterator[tuple[int, dict[str, str]]]:
    line_num = 1
    feed.row_chars = 0
    try:
        for cells in reader:
            feed.row_chars = 0
            line_num = reader.line_num  # type: ignore[attr-defined]
            if len(cells) > max_columns:
                raise CsvRejected(
                    _(
                        "Line %(line)d has %(count)d cells; at most %(max)d columns are read. "
                        "Check the delimiter."
                    )
                    % {"line": line_num, "count": len(cells), "max": max_columns}
                )
            yield line_num, {name: cells[index] for index, name in wanted if index < len(cells)}
    except (csv.Error, UnicodeDecodeError) as error:
        raise _unreadable(reader.line_num + 1, error) from None  # type: ignore[attr-defined]
    except _TooLong as too_long:
        raise CsvRejected(
            _(
                "The row from line %(line)d on is longer than %(max)d characters (a line, or "
                "quoted cells over several lines)."
            )
            % {"line": line_num + 1, "max": too_long.limit}
        ) from None


def _unreadable(line: int, error: Exception) -> CsvRejected:
    if isinstance(error, UnicodeDecodeError):
        return CsvRejected(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."))
    # e.g. a cell over the csv module's 128 KiB limit, or a bare CR inside an unquoted cell
    return CsvRejected(
        _(
            "Line %(line)d cannot be read as CSV (%(error)s). Quote cells that contain "
            "line breaks, and keep each cell under 128 KiB."
        )
        % {"line": line, "error": error}
    )


def is_utf8(data: bytes) -> bool:
    """Whether the bytes are UTF-8, checked a chunk at a time (no decoded copy of the file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
