"""SPARQL queries over the dataset (pyoxigraph engine).

The query's default graph is the UNION of all graphs (default + named), and
``GRAPH ?g { ... }`` patterns see each named graph. The project prefixes (``ssc:``,
``sscid:``, ``rdfs:`` ...) are predeclared. Results are deterministic: quads are
loaded in sorted order, so the same data and query give the same rows in the same
order (use ``ORDER BY`` for an order that means something).

``SERVICE`` (federated query: network access) is refused unless
``allow_network=True``.

Limits: ``timeout`` (seconds) and ``max_results`` (rows or triples; more is an error,
never a silent cut), both off by default. Queries run in a forked worker process, which
is killed at the deadline; a query that crashes the engine (pyoxigraph overflows its
stack on a few thousand levels of nesting) ends the worker, not the caller.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .errors import (
    FormatError,
    QueryError,
    QueryTimeoutError,
    RemoteQueryError,
    ResultLimitError,
)
from .formats import FORMATS, format_names, resolve_format
from .namespaces import PREFIXES, compact_iri

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Dataset, Graph
    from rdflib.term import Node

__all__ = ["RESULT_FORMATS", "QueryResult", "memory_store", "query", "query_quads", "query_store"]

QueryKind: TypeAlias = Literal["select", "ask", "construct"]

RESULT_FORMATS: tuple[str, ...] = ("table", "csv", "tsv", "json", "xml")
"""Formats for SELECT and ASK results (``xml`` is the SPARQL Query Results XML format)."""

_XSD = "http://www.w3.org/2001/XMLSchema#"
_PLAIN_DATATYPES = {_XSD + t for t in ("string", "integer", "decimal", "double", "boolean")}

# Tokens that may contain the word SERVICE without being the keyword. The patterns are
# compiled on first use (``re`` caches them), not at import time.
_NOT_KEYWORDS = (
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*"
)
_SERVICE = r"(?<![\w:?$\-.])SERVICE(?![\w:\-])"
_CODEPOINT_ESCAPE = r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})"
_SYNTAX_POSITION = r"^error at (\d+):(\d+):\s*"


def _codepoint(match: re.Match[str]) -> str:
    """The character of a ``\\u``/``\\U`` escape; beyond Unicode (``\\U00110000``) a space:
    not a keyword, and the SPARQL parser reports the bad escape."""
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= 0x10FFFF else " "


def _uses_service(sparql: str) -> bool:
    """True if the query has a SERVICE clause (outside strings, IRIs and comments)."""
    decoded = re.sub(_CODEPOINT_ESCAPE, _codepoint, sparql)
    without = re.sub(_NOT_KEYWORDS, " ", decoded, flags=re.DOTALL)
    return bool(re.search(_SERVICE, without, flags=re.IGNORECASE))


def _cell(term: Any) -> str:
    """A term for the text table: prefixed names, text@lang, lexical numbers."""
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        text = compact_iri(term.value)
    elif isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    elif isinstance(term, ox.Literal):
        text = term.value
        if term.language:
            text = f"{text}@{term.language}"
        elif term.datatype.value not in _PLAIN_DATATYPES:
            text = f"{text}^^{compact_iri(term.datatype.value)}"
    else:
        text = str(term)
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _width(text: str) -> int:
    import unicodedata

    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@dataclass(frozen=True)
class QueryResult:
    """Result of :func:`query`.

    * ``kind == "select"``: ``variables`` and ``rows`` (rdflib terms, ``None`` when unbound);
    * ``kind == "ask"``: ``boolean``;
    * ``kind == "construct"`` (CONSTRUCT and DESCRIBE): ``graph``.

    The result holds pyoxigraph terms (``solutions``, ``triples``); ``rows`` and
    ``graph`` are rdflib views made on first access (rdflib is imported only then).
    """

    kind: QueryKind
    variables: tuple[str, ...] = ()
    boolean: bool | None = None
    solutions: tuple[tuple[Any, ...], ...] = ()
    """SELECT: the rows as pyoxigraph terms (``None`` when unbound)."""
    triples: tuple[Any, ...] = ()
    """CONSTRUCT/DESCRIBE: the triples as :class:`pyoxigraph.Triple` objects."""
    _results_json: bytes = b""
    """The SELECT/ASK results in SPARQL JSON, as written by pyoxigraph."""

    @cached_property
    def rows(self) -> tuple[tuple[Node | None, ...], ...]:
        """SELECT: the rows as rdflib terms (``None`` when unbound)."""
        from .io import quiet_rdflib

        with quiet_rdflib():
            return tuple(
                tuple(None if t is None else _to_rdflib(t) for t in row) for row in self.solutions
            )

    @cached_property
    def graph(self) -> Graph | None:
        """CONSTRUCT/DESCRIBE: the triples as an :class:`rdflib.Graph` (else None)."""
        if self.kind != "construct":
            return None
        from rdflib import Graph

        from .io import quiet_rdflib

        graph = Graph()
        with quiet_rdflib():
            for triple in self.triples:
                graph.add(
                    (
                        _to_rdflib(triple.subject),
                        _to_rdflib(triple.predicate),
                        _to_rdflib(triple.object),
                    )
                )
        return graph

    def __iter__(self) -> Iterator[Any]:
        """SELECT: the rows; CONSTRUCT/DESCRIBE: the triples (sorted); ASK: the boolean."""
        if self.kind == "select":
            return iter(self.rows)
        if self.kind == "ask":
            return iter((self.boolean,))
        assert self.graph is not None
        return iter(sorted(self.graph, key=lambda t: tuple(term.n3() for term in t)))

    def formats(self) -> list[str]:
        """The output formats that apply to this result."""
        if self.kind == "construct":
            return format_names()
        return list(RESULT_FORMATS)

    def to_table(self) -> str:
        """Aligned text for people (ASK: ``true`` / ``false``)."""
        if self.kind == "ask":
            return "true\n" if self.boolean else "false\n"
        if self.kind == "construct":
            raise FormatError("a CONSTRUCT/DESCRIBE result is a graph: choose an RDF format")
        header = list(self.variables)
        body = [[_cell(term) for term in row] for row in self.solutions]
        widths = [max([_width(h), *(_width(r[i]) for r in body)]) for i, h in enumerate(header)]
        lines = [
            "  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(),
            "  ".join("-" * w for w in widths),
        ]
        lines.extend(
            "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in body
        )
        count = len(self.solutions)
        lines.append(f"({count} row{'s' if count != 1 else ''})")
        return "\n".join(lines) + "\n"

    def serialize(self, fmt: str = "table") -> bytes:
        """Write the result.

        SELECT/ASK: ``table``, ``csv``, ``tsv``, ``json``, ``xml`` (SPARQL 1.1 Query
        Results formats, written by pyoxigraph). CONSTRUCT/DESCRIBE: any RDF format
        of :data:`ssc_kg.formats.FORMATS` (``xml`` is RDF/XML here).

        :raises FormatError: the format does not apply to this kind of result.
        """
        name = fmt.strip().lower()
        if self.kind == "construct":
            import pyoxigraph as ox

            from .io import serialize_quads

            if name in RESULT_FORMATS and name != "xml":
                raise FormatError(
                    f"format {fmt!r} is for SELECT/ASK results; a CONSTRUCT/DESCRIBE result "
                    f"is a graph: choose one of {', '.join(format_names())}"
                )
            quads = [ox.Quad(t.subject, t.predicate, t.object) for t in self.triples]
            return serialize_quads(quads, resolve_format(name))
        if name == "table":
            return self.to_table().encode("utf-8")
        if name not in RESULT_FORMATS:
            raise FormatError(
                f"format {fmt!r} does not apply to {self.kind.upper()} results; "
                f"choose one of {', '.join(RESULT_FORMATS)}"
            )
        import pyoxigraph as ox

        results_format = {
            "csv": ox.QueryResultsFormat.CSV,
            "tsv": ox.QueryResultsFormat.TSV,
            "json": ox.QueryResultsFormat.JSON,
            "xml": ox.QueryResultsFormat.XML,
        }[name]
        if name == "json":
            return self._results_json
        try:
            parsed = ox.parse_query_results(self._results_json, ox.QueryResultsFormat.JSON)
        except MemoryError:
            raise FormatError(f"{_BUFFER_LIMIT}: write it as json or table") from None
        output = parsed.serialize(format=results_format)
        assert output is not None
        return output


def _to_rdflib(term: object) -> Node:
    import pyoxigraph as ox
    from rdflib import BNode, URIRef
    from rdflib import Literal as RdfLiteral

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return RdfLiteral(term.value, lang=term.language)
        if term.datatype.value == _XSD + "string":
            return RdfLiteral(term.value)
        return RdfLiteral(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    raise QueryError(f"unsupported term in query result: {term!r}")


_REFUSED_SERVICE = "SERVICE (federated query) needs network access, which is off"


def _check_request(
    sparql: str, allow_network: bool, timeout: float | None, max_results: int | None
) -> None:
    if not allow_network and _uses_service(sparql):
        raise RemoteQueryError(_REFUSED_SERVICE)
    if timeout is not None and not timeout > 0:
        raise QueryError(f"the timeout must be a positive number of seconds, not {timeout!r}")
    if max_results is not None and max_results < 0:
        raise QueryError(f"the maximum number of results cannot be negative ({max_results})")


def _too_many(max_results: int) -> ResultLimitError:
    return ResultLimitError(
        f"the query has more than {max_results} result{'s' if max_results != 1 else ''} "
        "(--max-results); add LIMIT or raise the limit"
    )


def _syntax_message(error: SyntaxError) -> str:
    message = str(error.msg if error.msg else error)
    position = re.match(_SYNTAX_POSITION, message)
    if position:
        line, column = position.groups()
        message = f"line {line}, column {column}: {message[position.end() :]}"
    return f"SPARQL syntax error: {message}"


_CAN_FORK = hasattr(os, "fork")
"""Queries run in a forked worker where there is ``fork`` (POSIX), else in a thread."""

_BUFFER_LIMIT = "a value in the results is longer than the 16 MiB pyoxigraph's results reader takes"


def _evaluate(store: ox.Store, sparql: str, max_results: int | None) -> tuple[bytes, bytes]:
    """Run the query and write its results: ``(kind, payload)``.

    SELECT and ASK: SPARQL JSON as pyoxigraph writes it; CONSTRUCT and DESCRIBE:
    N-Triples, or the pickled triples if a line is too long for the N-Triples reader
    (a literal over 16 MiB). At most ``max_results + 1`` results are read: more is an
    error, not a truncation.
    """
    import itertools

    import pyoxigraph as ox

    try:
        result = store.query(sparql, prefixes=dict(PREFIXES), use_default_graph_as_union=True)
        if isinstance(result, ox.QueryBoolean):
            payload = result.serialize(format=ox.QueryResultsFormat.JSON)
            assert payload is not None
            return _ASK, payload
        if isinstance(result, ox.QuerySolutions):
            if max_results is None:
                payload = result.serialize(format=ox.QueryResultsFormat.JSON)
                assert payload is not None
                return _SELECT, payload
            variables = [v.value for v in result.variables]
            rows = list(itertools.islice(result, max_results + 1))
            if len(rows) > max_results:
                raise _too_many(max_results)
            # the rows read, written as pyoxigraph writes them: through its TSV
            tsv = "\t".join("?" + v for v in variables) + "\n"
            tsv += "".join(
                "\t".join("" if term is None else str(term) for term in row) + "\n" for row in rows
            )
            parsed = ox.parse_query_results(tsv.encode("utf-8"), ox.QueryResultsFormat.TSV)
            payload = parsed.serialize(format=ox.QueryResultsFormat.JSON)
            assert payload is not None
            return _SELECT, payload
        if max_results is None:
            triples = list(result)
        else:
            triples = list(itertools.islice(result, max_results + 1))
            if len(triples) > max_results:
                raise _too_many(max_results)
        payload = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        if len(payload) > _READER_LIMIT and re.search(rb"[^\n]{%d}" % _READER_LIMIT, payload):
            import pickle

            return _TRIPLES, pickle.dumps(triples, protocol=5)
        return _GRAPH, payload
    except SyntaxError as error:
        raise QueryError(_syntax_message(error)) from None
    except QueryError:
        raise
    except MemoryError as error:
        if "buffer maximal size" in str(error):
            raise QueryError(_BUFFER_LIMIT) from None
        raise QueryError("SPARQL evaluation ran out of memory") from None
    except (OSError, ValueError, RuntimeError) as error:
        raise QueryError(f"SPARQL evaluation failed: {error}") from None


def _result(kind: bytes, payload: bytes) -> QueryResult:
    """The :class:`QueryResult` of what :func:`_evaluate` wrote."""
    import pyoxigraph as ox

    try:
        if kind == _ASK:
            parsed = ox.parse_query_results(payload, ox.QueryResultsFormat.JSON)
            return QueryResult(kind="ask", boolean=bool(parsed), _results_json=payload)
        if kind == _SELECT:
            parsed = ox.parse_query_results(payload, ox.QueryResultsFormat.JSON)
            assert isinstance(parsed, ox.QuerySolutions)
            variables = tuple(v.value for v in parsed.variables)
            rows = tuple(tuple(solution) for solution in parsed)
            return QueryResult(
                kind="select", variables=variables, solutions=rows, _results_json=payload
            )
        if kind == _TRIPLES:
            import pickle

            # pickled by our own forked child (_run_in_worker) or thread: trusted
            return QueryResult(kind="construct", triples=tuple(pickle.loads(payload)))
        triples = tuple(q.triple for q in ox.parse(payload, ox.RdfFormat.N_TRIPLES))
        return QueryResult(kind="construct", triples=triples)
    except MemoryError:
        raise QueryError(_BUFFER_LIMIT) from None


# What the worker sends: one byte, then the payload. Results: SPARQL JSON (ASK, SELECT),
# N-Triples or pickled triples (CONSTRUCT, DESCRIBE); errors: the message.
_ASK, _SELECT, _GRAPH, _TRIPLES, _ERROR, _LIMIT = b"A", b"S", b"G", b"T", b"E", b"L"
_READER_LIMIT = 16 << 20
"""pyoxigraph's readers take at most 16 MiB in one token (a literal, an IRI)."""


def _run_in_worker(
    store: ox.Store, sparql: str, timeout: float | None, max_results: int | None
) -> tuple[bytes, bytes]:
    """:func:`_evaluate` in a forked child: it can be killed at the deadline (pyoxigraph
    has no timeout) and a crash of the engine (deep nesting overflows its stack) ends
    the child only. The child shares the store's memory (copy on write)."""
    import select
    import signal
    import time
    import warnings

    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork() with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: evaluate, send, and leave without running any cleanup
        code = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                kind, payload = _evaluate(store, sparql, max_results)
            except ResultLimitError as error:
                kind, payload = _LIMIT, str(error).encode("utf-8")
            except QueryError as error:
                kind, payload = _ERROR, str(error).encode("utf-8")
            except BaseException as error:  # reported to the parent
                kind = _ERROR
                payload = f"SPARQL evaluation failed: {type(error).__name__}: {error}".encode()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(kind)
                pipe.write(payload)
        except BaseException:  # e.g. the parent went away
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    deadline = None if timeout is None else time.monotonic() + timeout
    chunks: list[bytes] = []
    reaped = False
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise QueryTimeoutError(
                    f"the query did not finish within {timeout:g} s (--timeout)"
                )
            ready, _, _ = select.select([read_end], [], [], remaining)
            if ready:
                chunk = os.read(read_end, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_end)
        if not reaped:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
    data = b"".join(chunks)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            name = signal.Signals(number).name if number in signal.valid_signals() else number
            raise QueryError(
                f"the SPARQL engine crashed on this query ({name}); "
                "it may be nested too deeply or too long"
            )
        raise QueryError("the SPARQL engine ended without an answer")
    kind, payload = data[:1], data[1:]
    if kind == _LIMIT:
        raise ResultLimitError(payload.decode("utf-8", "replace"))
    if kind == _ERROR:
        raise QueryError(payload.decode("utf-8", "replace"))
    return kind, payload


def _run_in_thread(
    store: ox.Store, sparql: str, timeout: float | None, max_results: int | None
) -> tuple[bytes, bytes]:
    """Where there is no ``fork`` (Windows): the query runs in a thread, which cannot
    be stopped at the deadline; it is left to finish in the background."""
    import threading

    outcome: list[Any] = []

    def work() -> None:
        try:
            outcome.append(_evaluate(store, sparql, max_results))
        except BaseException as error:  # re-raised below
            # pyoxigraph's results must be freed in this thread: drop the frames (and
            # their locals) that the traceback and the chained exceptions hold
            error.__traceback__ = error.__context__ = error.__cause__ = None
            outcome.append(error)

    worker = threading.Thread(target=work, name="ssc-kg-query", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise QueryTimeoutError(f"the query did not finish within {timeout:g} s (--timeout)")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]  # type: ignore[no-any-return]


def query_store(
    store: ox.Store,
    sparql: str,
    *,
    allow_network: bool = False,
    timeout: float | None = None,
    max_results: int | None = None,
) -> QueryResult:
    """Run a SPARQL 1.1 query on a :class:`pyoxigraph.Store` (the engine under :func:`query`).

    The union of all graphs is the default graph; same rules, limits and errors as
    :func:`query`. The query runs in a forked worker process (POSIX) that shares the
    store's memory, so that it can be stopped at the *timeout* and a crash of the
    engine cannot take the caller down.
    """
    _check_request(sparql, allow_network, timeout, max_results)
    run = _run_in_worker if _CAN_FORK else _run_in_thread
    return _result(*run(store, sparql, timeout, max_results or None))


def memory_store(quads: Iterable[ox.Quad]) -> ox.Store:
    """An in-memory store holding the canonical form of *quads* (loaded in sorted order)."""
    import pyoxigraph as ox

    from .io import canonical_quads

    store = ox.Store()
    store.extend(canonical_quads(quads))
    return store


def query_quads(
    quads: Iterable[ox.Quad],
    sparql: str,
    *,
    allow_network: bool = False,
    timeout: float | None = None,
    max_results: int | None = None,
) -> QueryResult:
    """Run a SPARQL query over pyoxigraph quads (see :func:`query`)."""
    _check_request(sparql, allow_network, timeout, max_results)
    return query_store(
        memory_store(quads),
        sparql,
        allow_network=allow_network,
        timeout=timeout,
        max_results=max_results,
    )


def query(
    ds: Dataset | Graph,
    sparql: str,
    *,
    allow_network: bool = False,
    timeout: float | None = None,
    max_results: int | None = None,
) -> QueryResult:
    """Run a SPARQL 1.1 query.

    :param ds: the dataset; its union is the default graph, ``GRAPH ?g`` sees each
        named graph.
    :param sparql: the query; the project prefixes are predeclared.
    :param allow_network: allow ``SERVICE`` (federated query over HTTP).
    :param timeout: stop the query after this many seconds (``None``: no limit). The
        time to load *ds* is not counted.
    :param max_results: the most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) the
        query may return (``None`` or 0: no limit, as ``ssc-kg serve --max-results 0``).
        More is an error, never a silent cut.
    :raises QueryError: syntax error (one line, with position), evaluation error, or
        a crash of the SPARQL engine; :class:`~ssc_kg.errors.RemoteQueryError` for
        ``SERVICE`` without ``allow_network``; :class:`~ssc_kg.errors.QueryTimeoutError`
        and :class:`~ssc_kg.errors.ResultLimitError` for the limits.
    """
    from .io import oxigraph_quads

    _check_request(sparql, allow_network, timeout, max_results)
    return query_quads(
        oxigraph_quads(ds),
        sparql,
        allow_network=allow_network,
        timeout=timeout,
        max_results=max_results,
    )


def describe_formats() -> str:
    """Help text listing the output formats."""
    rdf = ", ".join(FORMATS)
    return f"SELECT/ASK: {', '.join(RESULT_FORMATS)}; CONSTRUCT/DESCRIBE: {rdf}"
