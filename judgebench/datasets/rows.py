"""Reading input files into rows that remember where they came from.

Every loader works on `Row`s: one JSON object (or CSV record, or Parquet row) plus its file and position,
so that any problem found later can be reported as `file:line` with the field at fault. Positions are
1-based file lines for JSONL and JSON arrays (the line where the object starts), the line where the record
starts for CSV (the header is line 1, so the first data row is line 2), and the row number counted from 1
for Parquet, which has no lines.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebench.errors import InputError

# File types the loaders read, by suffix.
SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


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

    def error(self, message: str, *, field: str | None = None, hint: str | None = None) -> InputError:
        """An `InputError` pointing at this row (and field): `file:line` for text files, `file row N` else."""
        if self.unit == "line":
            return InputError(message, path=self.path, line=self.position, field=field, hint=hint)
        error = InputError(message, path=f"{self.path} row {self.position}", field=field, hint=hint)
        error.path, error.line = self.path, self.position  # keep the attributes machine-readable
        return error


def read_rows(path: Path) -> list[Row]:
    """All records of one JSONL, JSON, CSV or Parquet file, in file order."""
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise InputError("is not a file", path=path, hint="give a file here")
        raise InputError("file not found", path=path, hint="check the path")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return list(_jsonl_rows(path))
    if suffix == ".json":
        return list(_json_rows(path))
    if suffix == ".csv":
        return list(_csv_rows(path))
    if suffix == ".parquet":
        return list(_parquet_rows(path))
    raise InputError(f"unsupported file type '{path.suffix}'", path=path,
                     hint=f"use one of {', '.join(SUFFIXES)}")


def answer_files(paths: list[Path], exclude: set[Path] = frozenset()) -> list[Path]:
    """The answer files named by the user: files as given, directories expanded to their readable files.

    Directories are read one level deep, in name order; files in `exclude` (the questions and references
    files, when they sit in the same directory) are left out.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in SUFFIXES and p.resolve() not in exclude)
            if not found:
                raise InputError("no answer files in this directory", path=path,
                                 hint=f"put one file per model ({', '.join(SUFFIXES)}) there")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise InputError("file not found", path=path, hint="check the --answers path")
    return files


def _jsonl_rows(path: Path) -> Iterator[Row]:
    """One row per non-blank line; bad JSON or a non-object line is an error at that line."""
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"malformed JSON ({error.msg} at column {error.colno})", path=path,
                                 line=number, hint="each line must hold one complete JSON object") from None
            yield _object_row(data, path, number)


def _json_rows(path: Path) -> Iterator[Row]:
    """A JSON array of objects, each with the line where it starts; a file of objects is read as JSONL."""
    text = path.read_text(encoding="utf-8-sig")
    start = _skip_space(text, 0)
    if start < len(text) and text[start] == "{":
        yield from _jsonl_rows(path)
        return
    if start >= len(text) or text[start] != "[":
        raise InputError("expected a JSON array of objects", path=path, line=1 + text.count("\n", 0, start),
                         hint="write [ {...}, {...} ] or one object per line (JSONL)")
    decoder = json.JSONDecoder()
    index, line, counted = _skip_space(text, start + 1), 1, 0
    while True:
        line += text.count("\n", counted, index)
        counted = index
        if index < len(text) and text[index] == "]":
            return
        try:
            data, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            raise InputError(f"malformed JSON ({error.msg} at column {error.colno})", path=path,
                             line=error.lineno, hint="fix the JSON syntax at this line") from None
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


def _csv_rows(path: Path) -> Iterator[Row]:
    """One row per CSV record, positioned at the line where the record starts (quoted newlines included)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        header = [name.strip() for name in header]
        start = reader.line_num + 1
        for values in reader:
            if values:
                if len(values) != len(header):
                    raise InputError(f"has {len(values)} values but the header has {len(header)} columns",
                                     path=path, line=start, hint="quote values that contain commas")
                yield Row(dict(zip(header, values, strict=True)), path, start, textual=True)
            start = reader.line_num + 1


def _parquet_rows(path: Path) -> Iterator[Row]:
    """One row per Parquet row, numbered from 1."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for unreadable files
        raise InputError(f"cannot read Parquet ({error})", path=path, hint="is this a Parquet file?") from None
    for number, data in enumerate(table.to_pylist(), start=1):
        yield Row(data, path, number, unit="row")
