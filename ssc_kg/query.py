"""SPARQL queries over the dataset (pyoxigraph engine).

The query's default graph is the UNION of all graphs (default + named), and
``GRAPH ?g { ... }`` patterns see each named graph. The project prefixes (``ssc:``,
``sscid:``, ``rdfs:`` ...) are predeclared. Results are deterministic: quads are
loaded in sorted order, so the same data and query give the same rows in the same
order (use ``ORDER BY`` for an order that means something).

``SERVICE`` (federated query: network access) is refused unless
``allow_network=True``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .errors import FormatError, QueryError
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


def _uses_service(sparql: str) -> bool:
    """True if the query has a SERVICE clause (outside strings, IRIs and comments)."""
    decoded = re.sub(_CODEPOINT_ESCAPE, lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)
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
        parsed = ox.parse_query_results(self._results_json, ox.QueryResultsFormat.JSON)
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


def query_store(store: ox.Store, sparql: str, *, allow_network: bool = False) -> QueryResult:
    """Run a SPARQL 1.1 query on a :class:`pyoxigraph.Store` (the engine under :func:`query`).

    The union of all graphs is the default graph; same rules and errors as :func:`query`.
    """
    import pyoxigraph as ox

    if not allow_network and _uses_service(sparql):
        raise QueryError("SERVICE (federated query) needs network access, which is off")
    try:
        result = store.query(sparql, prefixes=dict(PREFIXES), use_default_graph_as_union=True)
        if isinstance(result, ox.QueryBoolean):
            payload = result.serialize(format=ox.QueryResultsFormat.JSON)
            assert payload is not None
            return QueryResult(kind="ask", boolean=bool(result), _results_json=payload)
        if isinstance(result, ox.QuerySolutions):
            payload = result.serialize(format=ox.QueryResultsFormat.JSON)
            assert payload is not None
            parsed = ox.parse_query_results(payload, ox.QueryResultsFormat.JSON)
            assert isinstance(parsed, ox.QuerySolutions)
            variables = tuple(v.value for v in parsed.variables)
            rows = tuple(tuple(solution) for solution in parsed)
            return QueryResult(
                kind="select", variables=variables, solutions=rows, _results_json=payload
            )
        return QueryResult(kind="construct", triples=tuple(result))
    except SyntaxError as error:
        message = str(error.msg if error.msg else error)
        position = re.match(_SYNTAX_POSITION, message)
        if position:
            line, column = position.groups()
            message = f"line {line}, column {column}: {message[position.end() :]}"
        raise QueryError(f"SPARQL syntax error: {message}") from None
    except QueryError:
        raise
    except (OSError, ValueError, RuntimeError) as error:
        raise QueryError(f"SPARQL evaluation failed: {error}") from None


def memory_store(quads: Iterable[ox.Quad]) -> ox.Store:
    """An in-memory store holding the canonical form of *quads* (loaded in sorted order)."""
    import pyoxigraph as ox

    from .io import canonical_quads

    store = ox.Store()
    store.extend(canonical_quads(quads))
    return store


def query_quads(
    quads: Iterable[ox.Quad], sparql: str, *, allow_network: bool = False
) -> QueryResult:
    """Run a SPARQL query over pyoxigraph quads (see :func:`query`)."""
    if not allow_network and _uses_service(sparql):
        raise QueryError("SERVICE (federated query) needs network access, which is off")
    return query_store(memory_store(quads), sparql, allow_network=allow_network)


def query(ds: Dataset | Graph, sparql: str, *, allow_network: bool = False) -> QueryResult:
    """Run a SPARQL 1.1 query.

    :param ds: the dataset; its union is the default graph, ``GRAPH ?g`` sees each
        named graph.
    :param sparql: the query; the project prefixes are predeclared.
    :param allow_network: allow ``SERVICE`` (federated query over HTTP).
    :raises QueryError: syntax error (one line, with position), evaluation error,
        or ``SERVICE`` without ``allow_network``.
    """
    from .io import oxigraph_quads

    if not allow_network and _uses_service(sparql):
        raise QueryError("SERVICE (federated query) needs network access, which is off")
    return query_quads(oxigraph_quads(ds), sparql, allow_network=allow_network)


def describe_formats() -> str:
    """Help text listing the output formats."""
    rdf = ", ".join(FORMATS)
    return f"SELECT/ASK: {', '.join(RESULT_FORMATS)}; CONSTRUCT/DESCRIBE: {rdf}"
