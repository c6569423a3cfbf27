"""Exceptions raised by :mod:`ssc_kg`.

Every error caused by user input is a :class:`SscKgError`; the command line turns
it into a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import os

__all__ = [
    "FormatError",
    "InputError",
    "InputLimitError",
    "LimitError",
    "NetworkAccessError",
    "QueryError",
    "QueryTimeoutError",
    "RemoteImportError",
    "RemoteInputError",
    "RemoteQueryError",
    "ResultLimitError",
    "SscKgError",
    "ValidationError",
]


MAX_MESSAGE = 1000
"""Longer messages are cut: an error is a line people read, not a dump of the input."""


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 4] + " ..."


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
        return _one_line(where + self.message)


class FormatError(SscKgError, ValueError):
    """Unknown format name or file extension."""


class QueryError(SscKgError):
    """SPARQL syntax or evaluation error, or a refused query (e.g. ``SERVICE``)."""


class ValidationError(SscKgError):
    """SHACL validation could not run (e.g. broken shapes); not "data does not conform"."""


# --------------------------------------------------------------------------- by cause
# The errors above say where the problem is (an input file, a query, the shapes); these
# two say why, so that callers can catch every refusal of one kind at once.


class NetworkAccessError(SscKgError):
    """Refused: the input asks for network (or external file) access, which is off.

    Raised for a remote JSON-LD ``@context``, an external DTD or entity in RDF/XML,
    ``SERVICE`` in SPARQL and ``owl:imports`` in shapes, unless ``allow_network=True``
    where that is possible (see ``docs/security.md``).
    """


class LimitError(SscKgError):
    """A limit was reached: query timeout, result count, input size, entity expansion."""


class RemoteInputError(InputError, NetworkAccessError):
    """An input file refers to a remote or external document (never loaded)."""


class InputLimitError(InputError, LimitError):
    """An input file is too large, or would expand too much, to be read safely."""


class RemoteQueryError(QueryError, NetworkAccessError):
    """A query needs network access (``SERVICE``) and ``allow_network`` is off."""


class QueryTimeoutError(QueryError, LimitError):
    """A query ran longer than its ``timeout``."""


class ResultLimitError(QueryError, LimitError):
    """A query has more results than ``max_results`` (nothing is silently dropped)."""


class RemoteImportError(ValidationError, NetworkAccessError):
    """The shapes ``owl:imports`` a document and ``allow_network`` is off."""
