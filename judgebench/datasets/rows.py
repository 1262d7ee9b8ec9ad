"""The one reader stack for every input file: questions, answers, references, outcomes, AlpacaEval files.

Three layers, each written once:

1. `file_kind` and `read_text`: the file exists, its suffix names a supported format, and its bytes are
   UTF-8 (a byte-order mark is accepted). Anything else (Latin-1, UTF-16, a binary file) is one `InputError`
   naming the file, the line and the byte offset of the first bad byte, and saying to re-encode as UTF-8.
2. `read_rows`: the records of a file as `Row`s, each remembering its file and position, so that any problem
   found later is reported as `file:line` with the field at fault. Positions are 1-based lines for JSONL and
   JSON arrays (the line where the object starts), the line where the record starts for CSV (the header is
   line 1), and the row number counted from 1 for Parquet, which has no lines. JSON that Python's reader
   accepts but judgebench cannot use (nesting deeper than the reader's recursion limit, lone surrogate
   escapes such as "\\ud800", which no UTF-8 text can hold) is an error at its line; CSV cells of any size
   are read, and a CSV quote never closed is an error at the record that opens it.
3. `read_table`: a whole file as columns (a pandas DataFrame) for the column-wise readers (outcomes,
   AlpacaEval annotations and weights). Parquet, CSV and JSON Lines are parsed by pyarrow, so a million
   outcomes load in a fraction of a second; a file pyarrow rejects is read again by layer 2, which either
   names the line at fault (the same message as everywhere else) or reads what pyarrow could not (mixed
   types, cells larger than pyarrow's block). JSON Lines with nested values (lists, objects: arena-hard-auto's
   `games`) go to layer 2 too, as pyarrow misreads them (a list whose first item is null slides later records'
   items into the wrong records). `Table.error` points at a row's line, found on demand.
   `read_parquet` gives a Parquet file as an Arrow table, with no pandas step, for callers that rate straight
   from Arrow columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgebench.config import setting_name
from judgebench.errors import InputError, first_few

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# File types the readers take, by suffix, and the parser each one gets.
FILE_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
              ".parquet": "parquet", ".pq": "parquet"}
SUFFIXES = tuple(FILE_KINDS)
_DELIMITERS = {"csv": ",", "tsv": "\t"}
ENCODING_HINT = ("re-encode the file as UTF-8, for example with `iconv -f LATIN1 -t UTF-8 FILE > NEW` or your "
                 "editor's 'save as UTF-8'; UTF-8 with a byte-order mark is accepted")
# A `\uD800`-`\uDFFF` escape: the only way a JSON text can smuggle a surrogate into a Python string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class Row:
    """One record of an input file and its position there.

    `unit` is "line" for text files and "row" for Parquet; `textual` is true for CSV, where every value
    arrives as a string and list fields are JSON-encoded.
    """

    data: dict[str, Any]
    path: Path
    position: int
    unit: str = "line"
    textual: bool = False

    def error(self, message: str, *, field: str | None = None, hint: str | None = None,
              kind: type[InputError] = InputError) -> InputError:
        """An `InputError` (or `kind` of one) pointing at this row (and field): `file:line` for text files,
        `file row N` else."""
        if self.unit == "line":
            return kind(message, path=self.path, line=self.position, field=field, hint=hint)
        error = kind(message, path=f"{self.path} row {self.position}", field=field, hint=hint)
        error.path, error.line = self.path, self.position  # keep the attributes machine-readable
        return error

    def where(self) -> str:
        """`file:line` (or `file row N`), for messages that point at a second row."""
        return f"{self.path}:{self.position}" if self.unit == "line" else f"{self.path} row {self.position}"


# -- layer 1: the file and its encoding ---------------------------------------------------------------------


def file_kind(path: Path) -> str:
    """The parser for this file ("jsonl", "json", "csv", "tsv" or "parquet"); an error if it cannot be read."""
    if not path.is_file():
        if path.exists():
            raise InputError("is a directory, not a file" if path.is_dir() else "is not a file", path=path,
                             hint="give a file here")
        raise InputError("file not found", path=path, hint="check the path")
    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"unsupported file type '{path.suffix}'", path=path,
                         hint=f"use one of {', '.join(SUFFIXES)}")
    return kind


def read_bytes(path: Path) -> bytes:
    """The file's bytes, checked to be UTF-8 text, without a leading byte-order mark."""
    data = _raw_bytes(path)
    if not data.isascii() or b"\x00" in data:  # ASCII without NUL (most outcome files) is UTF-8: skip decoding
        _decode(data, path)
    return data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data


def read_text(path: Path) -> str:
    """The file's text: strict UTF-8 (a byte-order mark is dropped), or an `InputError` saying where it is not."""
    return _decode(_raw_bytes(path), path)


def _raw_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror})", path=path) from None


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 text (after a byte-order mark, if any), or an `InputError` at the first byte that is not UTF-8.

    NUL bytes are refused too: they are valid UTF-8 but appear in text only when it is UTF-16 or UTF-32.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8", path=path, line=1,
                         hint=ENCODING_HINT.replace("LATIN1", "UTF-16"))
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    nul = data.find(b"\x00", start)
    try:
        text = data[start:nul if nul >= 0 else len(data)].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        raise InputError(f"is not UTF-8: byte 0x{data[offset]:02x} at byte offset {offset} cannot be decoded",
                         path=path, line=data.count(b"\n", 0, offset) + 1, hint=ENCODING_HINT) from None
    if nul >= 0:
        raise InputError(f"is not UTF-8 text: NUL byte at byte offset {nul} (UTF-16 or UTF-32 text, or a binary "
                         "file)", path=path, line=data.count(b"\n", 0, nul) + 1,
                         hint=ENCODING_HINT.replace("LATIN1", "UTF-16"))
    return text


# -- layer 2: records with their positions ------------------------------------------------------------------


def read_rows(path: Path) -> list[Row]:
    """All records of one JSONL, JSON, CSV, TSV or Parquet file, in file order."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "parquet":
        return _parquet_rows(path)
    return _text_rows(read_text(path), path, kind)


def _text_rows(text: str, path: Path, kind: str) -> list[Row]:
    if kind == "jsonl":
        return list(_jsonl_rows(text, path))
    if kind == "json":
        return list(_json_rows(text, path))
    return _csv_rows(text, path, _DELIMITERS[kind])


def answer_files(paths: list[Path], exclude: AbstractSet[Path] = frozenset()) -> list[Path]:
    """The answer files named by the user: files as given, directories expanded to their readable files.

    Directories are read one level deep, in name order, without their hidden files (`unread_in_directories`);
    files in `exclude` (the questions and references files, when they sit in the same directory) are left out.
    A file named twice (itself twice, or itself and its directory) is an error: its answers would read as a model
    answering each question twice.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                           and not p.name.startswith(".") and p.resolve() not in exclude)
            if not found:
                raise InputError("no answer files in this directory", path=path,
                                 hint=f"put one file per model ({', '.join(SUFFIXES)}) there")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputError("file not found", path=path, hint=f"check the path ({setting_name('answers')})")
    seen: dict[Path, Path] = {}
    for path in files:
        if path.resolve() in seen:
            also = "" if seen[path.resolve()] == path else f" (also as {seen[path.resolve()]})"
            raise InputError(f"this answers file is given twice{also}", path=path,
                             hint=f"name each file or directory once in {setting_name('answers')}")
        seen[path.resolve()] = path
    return files


def unread_in_directories(paths: list[Path]) -> list[str]:
    """Notes naming what answers directories hold that `answer_files` does not read: their subfolders (a directory
    is read one level deep; hidden ones go unnamed), files of a type no reader takes (`x.jsonl.gz`, `notes.txt`:
    a model whose answers were compressed vanished from the run without a word) and hidden files of a readable type
    (macOS's `._NAME.jsonl` AppleDouble files, which hold no answers: read, they failed as UTF-16 text)."""
    notes: list[str] = []
    for path in (Path(p) for p in paths if Path(p).is_dir()):
        entries = sorted(path.iterdir())
        folders = [f"{p.name}/" for p in entries if p.is_dir() and not p.name.startswith(".")]
        other_types = [p.name for p in entries if p.is_file() and not p.name.startswith(".")
                       and p.suffix.lower() not in SUFFIXES]
        hidden = [p.name for p in entries if p.is_file() and p.name.startswith(".") and p.suffix.lower() in SUFFIXES]
        if folders:
            notes.append(f"the answers directory {path} has subfolders that are not read: {first_few(folders, 10)} "
                         f"(only the files directly in it are; name a subfolder in {setting_name('answers')} to read "
                         "its files)")
        if other_types:
            notes.append(f"the answers directory {path} holds files of types that are not read: "
                         f"{first_few(other_types, 10)} (only {', '.join(SUFFIXES)} files are; decompress or "
                         "convert a file to read it)")
        if hidden:
            notes.append(f"hidden files in the answers directory {path} are not read: {first_few(hidden, 10)} "
                         "(such as the ._NAME files macOS leaves, which hold no answers)")
    return notes


class JSONProblem(ValueError):
    """Why a JSON text cannot be used; `line` is the 1-based line within that text, when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


def parse_json(text: str, start: int = 0) -> tuple[Any, int]:
    """One JSON value of `text` from index `start`, and the index after it (`json.JSONDecoder.raw_decode`).

    Raises `JSONProblem` for malformed JSON, for nesting deeper than Python's recursion limit, and for strings
    holding a lone surrogate (a `\\uD800`-style escape without its pair), which json accepts but no UTF-8
    text (a prompt, the store, an output file) can hold.
    """
    try:
        value, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as error:
        # json's "Unterminated string starting at" already ends in "at"
        raise JSONProblem(f"malformed JSON ({error.msg.removesuffix(' at')} at column {error.colno})",
                          error.lineno) from None
    except RecursionError:
        raise JSONProblem("JSON nested too deeply (Python's json reader stops near 1,000 levels)") from None
    if _SURROGATE_ESCAPE.search(text, start, end) and _has_lone_surrogate(value):
        raise JSONProblem("a string holds a lone surrogate escape (like \\ud800), which is not a character")
    return value, end


def loads(text: str) -> Any:
    """The single JSON value `text` holds (spaces around it allowed), checked as `parse_json` does."""
    value, end = parse_json(text, _skip_space(text, 0))
    end = _skip_space(text, end)
    if end < len(text):
        raise JSONProblem(f"malformed JSON (extra data at column {end + 1 - (text.rfind(chr(10), 0, end) + 1)})",
                          1 + text.count("\n", 0, end))
    return value


_DECODER = json.JSONDecoder()


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string in a decoded JSON value (keys included) cannot be encoded as UTF-8."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _jsonl_rows(text: str, path: Path) -> Iterator[Row]:
    """One row per non-blank line; bad JSON or a non-object line is an error at that line."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            data = loads(line)
        except JSONProblem as problem:
            raise InputError(problem.message, path=path, line=number,
                             hint="each line must hold one complete JSON object") from None
        yield _object_row(data, path, number)


def _json_rows(text: str, path: Path) -> Iterator[Row]:
    """A JSON array of objects, each with the line where it starts; a file of objects is read as JSONL."""
    start = _skip_space(text, 0)
    if start < len(text) and text[start] == "{":
        yield from _jsonl_rows(text, path)
        return
    if start >= len(text) or text[start] != "[":
        raise InputError("expected a JSON array of objects", path=path, line=1 + text.count("\n", 0, start),
                         hint="write [ {...}, {...} ] or one object per line (JSONL)")
    index, line, counted = _skip_space(text, start + 1), 1, 0
    while True:
        line += text.count("\n", counted, index)
        counted = index
        if index < len(text) and text[index] == "]":
            return
        try:
            data, end = parse_json(text, index)
        except JSONProblem as problem:
            raise InputError(problem.message, path=path, line=problem.line or line,
                             hint="fix the JSON at this line") from None
        yield _object_row(data, path, line)
        index = _skip_space(text, end)
        if index < len(text) and text[index] == ",":
            index = _skip_space(text, index + 1)
        elif index >= len(text) or text[index] != "]":
            raise InputError("malformed JSON (expected ',' or ']' after an array element)", path=path,
                             line=1 + text.count("\n", 0, index), hint="fix the JSON syntax at this line")


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _object_row(data: Any, path: Path, line: int) -> Row:
    if not isinstance(data, dict):
        raise InputError(f"expected a JSON object, found {type(data).__name__}", path=path, line=line,
                         hint="each record must be an object with named fields")
    return Row(data, path, line)


def _csv_rows(text: str, path: Path, delimiter: str) -> list[Row]:
    """One row per CSV record, positioned at the line where the record starts (quoted newlines included)."""
    records = _csv_records(text, path, delimiter)
    header_line = next(records, None)
    if header_line is None:
        return []
    header = [name.strip() for name in header_line[0]]
    _check_header(header, path, header_line[1])
    rows: list[Row] = []
    for values, start in records:
        if len(values) != len(header):
            raise InputError(f"has {len(values)} values but the header has {len(header)} columns",
                             path=path, line=start, hint="quote values that contain the delimiter")
        rows.append(Row(dict(zip(header, values, strict=True)), path, start, textual=True))
    return rows


def _csv_records(text: str, path: Path, delimiter: str) -> Iterator[tuple[list[str], int]]:
    """The non-empty records of a CSV text with the line each starts on, the header first.

    A quote that is never closed is an error at the record that opens it: the csv module (and pyarrow) read
    it to the end of the file without a word, the following records becoming part of one value.
    """
    handle = io.StringIO(text, newline="")
    with _unlimited_csv_fields():
        reader = csv.reader(handle, delimiter=delimiter)
        start, offset = 1, 0
        try:
            for values in reader:
                if values:
                    if handle.tell() == len(text) and _ends_in_open_quote(text[offset:], delimiter):
                        rest = f"lines {start}-{reader.line_num}" if reader.line_num > start else f"line {start}"
                        raise InputError(
                            f"a quoted field opened here is never closed (the rest of the file, {rest}, would be "
                            "read as one value)", path=path, line=start,
                            hint='close the quote; a quote inside a quoted value is written as two: ""')
                    yield values, start
                start, offset = reader.line_num + 1, handle.tell()
        except csv.Error as error:
            raise InputError(f"malformed CSV ({error})", path=path, line=start,
                             hint="check the quoting of this record") from None


def _ends_in_open_quote(record: str, delimiter: str) -> bool:
    """Whether this text (the file's last record) ends inside a quoted field, as the strict csv reader tells."""
    try:
        for _ in csv.reader(io.StringIO(record, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _check_quotes_closed(data: bytes, path: Path, kind: str) -> None:
    """Refuse a CSV or TSV file with a quote never closed (`_csv_records`): the check for files read by pyarrow,
    which reads such a quote to the end of the file as well. Only a file with an odd number of quote characters
    is read (a million outcomes with quoted names took 0.7 s more): quotes that open and close a value, and
    those doubled inside it, come in pairs, so an even count misses only a quote never closed beside an odd
    number of quotes standing alone in unquoted values (`5" screen`)."""
    if kind in _DELIMITERS and data.count(b'"') % 2:  # quotes all closed come in pairs (a quote in a quoted value
        for _ in _csv_records(data.decode("utf-8"), path, _DELIMITERS[kind]):  # is two): only an odd count is read
            pass


@contextmanager
def _unlimited_csv_fields() -> Iterator[None]:
    """Lift the csv module's cell size limit (131,072 characters) while a file is read: answers can be longer."""
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _parquet_rows(path: Path) -> list[Row]:
    """One row per Parquet row, numbered from 1."""
    return [Row(data, path, number, unit="row") for number, data in enumerate(read_parquet(path).to_pylist(), 1)]


def read_parquet(path: Path, dictionary_columns: tuple[str, ...] = ()) -> pa.Table:
    """A Parquet file as an Arrow table, with no per-row Python objects (a million rows in well under a second).

    `dictionary_columns` (those present) are read dictionary-encoded: repeated names such as models cost
    one string each.
    """
    import pyarrow.parquet as pq

    try:
        names = set(pq.read_schema(path).names)
        return pq.ParquetFile(path, read_dictionary=[c for c in dictionary_columns if c in names]).read()
    except Exception as error:  # pyarrow raises several types for damaged files
        raise InputError(f"cannot read Parquet ({error})", path=path, hint="is it a complete Parquet file?") from None


# -- layer 3: whole files as columns ------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A whole input file as a DataFrame, able to point at the line (or Parquet row) of any data row."""

    frame: pd.DataFrame
    path: Path
    kind: str
    records: list[Row] | None = field(default=None, repr=False)

    def row(self, index: int) -> Row:
        """The `Row` of the 0-based data row `index` (its position is found by re-reading the file if needed)."""
        if self.kind == "parquet":
            return Row({}, self.path, index + 1, unit="row")
        return self._rows[index]

    def error(self, index: int | None, message: str, *, field: str | None = None,
              hint: str | None = None) -> InputError:
        """An `InputError` at data row `index` (or about the whole file when None)."""
        if index is None:
            return InputError(message, path=self.path, field=field, hint=hint)
        return self.row(index).error(message, field=field, hint=hint)

    def missing_column(self, name: str, hint: str) -> InputError:
        """The error for a column the file lacks: `hint` says what the file needs, and the error which columns
        it has (a header in other capitals, or a file separated by another character, read as one column)."""
        found = [str(column) for column in self.frame.columns]
        shown = first_few(found, 12)
        separator = next((mark for mark in (";", "\t", "|") if len(found) == 1 and mark in found[0]), None)
        if separator is not None and self.kind in _DELIMITERS:
            said = "tabs" if separator == "\t" else f"'{separator}'"
            hint += (f"; its header is one column, {found[0]!r}: a file separated by {said} is read as one column "
                     "(a .csv file is separated by commas, a .tsv file by tabs)")
        else:
            hint += f"; the file's columns: {shown}"
        return self.error(None, "missing column", field=name, hint=hint)

    @cached_property
    def _rows(self) -> list[Row]:
        return self.records if self.records is not None else read_rows(self.path)


def read_table(path: Path, text_columns: tuple[str, ...] = ()) -> Table:
    """A whole file as columns; `text_columns` (those present) stay strings in CSV and JSON Lines."""
    import pandas as pd

    path = Path(path)
    kind = file_kind(path)
    if kind == "parquet":
        return _unique_columns(Table(read_parquet(path).to_pandas(), path, kind))
    data = read_bytes(path)
    # JSON arrays, and files pyarrow refuses (its messages name no line), go record by record: that names the
    # line at fault, or reads what pyarrow cannot (mixed types, a cell larger than its block).
    arrow = None if kind == "json" and data.lstrip()[:1] == b"[" else _arrow_text_table(data, kind, text_columns)
    if arrow is not None:
        _check_quotes_closed(data, path, kind)
        return _unique_columns(Table(arrow.to_pandas(), path, kind))
    records = _text_rows(data.decode("utf-8"), path, kind)
    return Table(pd.DataFrame.from_records([row.data for row in records]), path, kind, records)


def _unique_columns(table: Table) -> Table:
    """`table` without its columns that have neither a name nor a value (a spreadsheet's export ends every line in
    ",,"), refused when its header names a column twice (`_check_header`)."""
    frame = table.frame
    empty = [k for k, name in enumerate(frame.columns)
             if not str(name).strip() and frame.iloc[:, k].astype("string").fillna("").str.strip().eq("").all()]
    if empty:
        frame = frame.iloc[:, [k for k in range(frame.shape[1]) if k not in empty]]
        table = Table(frame, table.path, table.kind, table.records)
    _check_header([str(name) for name in frame.columns], table.path, 1 if table.kind in _DELIMITERS else None)
    return table


def _check_header(names: list[str], path: Path, line: int | None) -> None:
    """Refuse a header that names a column twice: which of the two a field means is unknown (a column read by
    name was then a table, not a column, and the reader's error an internal one). Columns without a name are
    not read by name, so several of them are no conflict."""
    repeated = [name for k, name in enumerate(names) if name.strip() and name in names[:k]]
    if repeated:
        raise InputError(f"the header names column '{repeated[0]}' more than once", path=path, line=line,
                         hint="rename or remove all but one of them")


def _arrow_text_table(data: bytes, kind: str, text_columns: tuple[str, ...]) -> pa.Table | None:
    """CSV, TSV or JSON Lines parsed by pyarrow, or None where pyarrow refuses the file or would misread it
    (JSON Lines with nested values)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson

    try:
        if kind not in _DELIMITERS:
            table = pjson.read_json(pa.BufferReader(data))
            # pyarrow's JSON reader misplaces the items of nested lists after a null one: left to layer 2
            return None if any(pa.types.is_nested(column.type) for column in table.schema) else table
        return pcsv.read_csv(pa.BufferReader(data),
                             parse_options=pcsv.ParseOptions(delimiter=_DELIMITERS[kind], newlines_in_values=True),
                             convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in text_columns}))
    except pa.ArrowException:
        return None
