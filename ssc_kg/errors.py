"""Exceptions raised by :mod:`ssc_kg`.

Every error caused by user input is a :class:`SscKgError`; the command line turns
it into a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import os

__all__ = ["FormatError", "InputError", "QueryError", "SscKgError", "ValidationError"]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class SscKgError(Exception):
    """Base class of all errors raised by :mod:`ssc_kg`."""

    def __str__(self) -> str:
        return _one_line(super().__str__())


class InputError(SscKgError):
    """Unreadable or malformed input (file, stdin, shapes).

    ``str(error)`` is a single line ``path:line: message`` (``path: message`` when
    the position is unknown), the form compilers use and editors understand.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = _one_line(message)
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "") + ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        return where + self.message


class FormatError(SscKgError, ValueError):
    """Unknown format name or file extension."""


class QueryError(SscKgError):
    """SPARQL syntax or evaluation error, or a refused query (e.g. ``SERVICE``)."""


class ValidationError(SscKgError):
    """SHACL validation could not run (e.g. broken shapes); not "data does not conform"."""
