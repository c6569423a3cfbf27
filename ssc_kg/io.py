"""Reading and writing RDF.

The engine is pyoxigraph: files are parsed into :class:`pyoxigraph.Quad` lists
(:func:`parse_quads`), written from them (:func:`serialize_quads`), and queried and
counted through :mod:`ssc_kg.query` / :mod:`ssc_kg.stats`. rdflib is imported only
where an rdflib object is handed out or taken in: :func:`load` / :func:`parse_files`
return an :class:`rdflib.Dataset` (``default_union`` is False: the default graph is
only the triples written outside ``GRAPH`` blocks), and :func:`serialize` accepts one.

Blank nodes are scoped per source (``_:b1`` in two files are two nodes) and relabelled
``b0``, ``b1`` ... in order of first appearance, so labels never depend on the parser.

Writing is deterministic: the same dataset gives byte-identical output in every
run, whatever ``PYTHONHASHSEED``. Quads are deduplicated and sorted (graph, subject,
predicate, object, compared as N-Quads term strings; the default graph first) and
blank nodes are relabelled with RDFC-1.0 canonical labels (``_:c14n0`` ...).

Triple formats (turtle, nt, xml) hold one graph: the UNION of all graphs is written
and the graph names are lost. Use trig, nquads or jsonld to keep provenance.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias

from .errors import FormatError, InputError, SscKgError
from .formats import FORMATS, Format, format_from_path, resolve_format
from .namespaces import PREFIXES

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Dataset, Graph
    from rdflib.term import Node

__all__ = [
    "STDIN",
    "Canonical",
    "canonical",
    "canonical_quads",
    "load",
    "open_atomic",
    "oxigraph_quads",
    "parse_files",
    "parse_quads",
    "quads_to_dataset",
    "quiet_rdflib",
    "rdflib_quads",
    "serialize",
    "serialize_quads",
    "source_paths",
    "union_graph",
    "used_prefixes",
    "write_all",
    "write_atomic",
]

PathLike: TypeAlias = "str | os.PathLike[str]"

STDIN = "-"
"""The path that means standard input."""

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_DEFAULT_GRAPH_ID = "urn:x-rdflib:default"

# "Parser error at line 3 between columns 1 and 5: msg", "... at line 1 column 10: msg",
# "Parser error between line 3 column 11 and line 5 column 1: msg"
_POSITION_PREFIX = r"^Parser error (?:at|between) line \d+[^:]*:\s*"

_TRIPLE_TERMS = "RDF 1.2 triple terms (RDF-star) are not supported"
_DIRECTIONAL = "directional language-tagged strings (RDF 1.2) are not supported"


@contextlib.contextmanager
def quiet_rdflib() -> Iterator[None]:
    """Silence rdflib's logged tracebacks for ill-typed literals (``"abc"^^xsd:date``).

    rdflib logs "Failed to convert Literal lexical form to value" with a full
    traceback through the ``rdflib.term`` logger; for user data that is noise, and
    ill-typed literals are reported by :func:`ssc_kg.validate` instead.
    """
    import logging

    logger = logging.getLogger("rdflib.term")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


# --------------------------------------------------------------------------- parsing


def _display(source: PathLike) -> str:
    text = os.fspath(source)
    return "<stdin>" if text == STDIN else text


def _source_format(source: PathLike, input_format: str | Format | None) -> Format:
    if os.fspath(source) == STDIN:
        if input_format is None:
            raise InputError("reading standard input needs an input format", path="<stdin>")
        return resolve_format(input_format)
    try:
        return format_from_path(source)
    except FormatError:
        if input_format is None:
            raise
        return resolve_format(input_format)


def _syntax_error(error: SyntaxError, source: PathLike) -> InputError:
    import re

    text = str(error.msg if error.msg else error)
    message = re.sub(_POSITION_PREFIX, "", text)
    if "LoadDocumentCallback" in message:
        message = (
            "remote JSON-LD @context is never fetched (no network access); "
            "put the context inline in the document"
        )
    line = error.lineno if isinstance(error.lineno, int) else None
    column = error.offset if isinstance(error.offset, int) else None
    if line is not None and column is not None:
        message += f" (column {column})"
    return InputError(message, path=_display(source), line=line, column=column)


def read_source(source: PathLike) -> bytes:
    """The bytes of *source* (``"-"``: all of standard input).

    :raises InputError: missing file, a directory, or unreadable.
    """
    name = _display(source)
    try:
        if os.fspath(source) == STDIN:
            return sys.stdin.buffer.read()
        path = Path(source)
        if not path.exists():
            raise InputError("no such file", path=name)
        if path.is_dir():
            raise InputError("is a directory, not a file", path=name)
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot read file: {reason}", path=name) from None


# Which bytes can announce a blank node / an RDF 1.2 term, per syntax. A source without
# them cannot contain one, so the (exact, slower) per-quad pass is skipped. None: always
# run the exact pass (JSON-LD and RDF/XML make blank nodes and directions implicitly).
_BNODE_HINTS: dict[str, tuple[bytes, ...] | None] = {
    "nt": (b"_:",),
    "nquads": (b"_:",),
    "turtle": (b"_:", b"[", b"(", b"{|"),  # {| |}: an RDF 1.2 annotation's reifier
    "trig": (b"_:", b"[", b"(", b"{|"),
    "jsonld": None,
    "xml": None,
}
_RDF12_HINTS: dict[str, tuple[bytes, ...] | None] = {
    "nt": (b"<<", b"--"),
    "nquads": (b"<<", b"--"),
    "turtle": (b"<<", b"--", b"{|", b"~"),  # triple terms, directions, annotations, reifiers
    "trig": (b"<<", b"--", b"{|", b"~"),
    "jsonld": None,
    "xml": None,
}


def _may_contain(data: bytes, hints: tuple[bytes, ...] | None) -> bool:
    return hints is None or any(hint in data for hint in hints)


class _BlankNodes:
    """Relabels blank nodes ``b0``, ``b1`` ... by first appearance, scoped per source."""

    def __init__(self) -> None:
        self.labels: dict[tuple[int, str], Any] = {}

    def term(self, term: Any, scope: int) -> Any:
        import pyoxigraph as ox

        key = (scope, term.value)
        node = self.labels.get(key)
        if node is None:
            node = self.labels[key] = ox.BlankNode(f"b{len(self.labels)}")
        return node


def _fix_quads(
    quads: list[ox.Quad],
    *,
    scope: int,
    source: PathLike,
    blank_nodes: _BlankNodes | None,
    check_rdf12: bool,
) -> list[ox.Quad]:
    """Relabel blank nodes and refuse RDF 1.2 terms, in one pass over *quads*."""
    import pyoxigraph as ox

    blank, literal, triple, quad_type = ox.BlankNode, ox.Literal, ox.Triple, ox.Quad
    fixed: list[ox.Quad] = []
    append = fixed.append
    for quad in quads:
        obj = quad.object
        kind = type(obj)
        if check_rdf12:
            if kind is triple:
                raise InputError(_TRIPLE_TERMS, path=_display(source))
            if kind is literal and obj.direction is not None:  # type: ignore[union-attr]
                raise InputError(_DIRECTIONAL, path=_display(source))
        if blank_nodes is not None:
            subject, graph = quad.subject, quad.graph_name
            if kind is blank or type(subject) is blank or type(graph) is blank:
                if type(subject) is blank:
                    subject = blank_nodes.term(subject, scope)
                if kind is blank:
                    obj = blank_nodes.term(obj, scope)
                if type(graph) is blank:
                    graph = blank_nodes.term(graph, scope)
                quad = quad_type(subject, quad.predicate, obj, graph)
        append(quad)
    return fixed


def _parse_source(
    data: bytes, source: PathLike, fmt: Format, scope: int, blank_nodes: _BlankNodes
) -> list[ox.Quad]:
    import pyoxigraph as ox

    try:
        quads = list(ox.parse(data, fmt.rdf_format))
    except SyntaxError as error:
        raise _syntax_error(error, source) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not valid UTF-8 ({error.reason})", path=_display(source)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot read file: {reason}", path=_display(source)) from None
    relabel = _may_contain(data, _BNODE_HINTS[fmt.name])
    check = _may_contain(data, _RDF12_HINTS[fmt.name])
    if relabel or check:
        quads = _fix_quads(
            quads,
            scope=scope,
            source=source,
            blank_nodes=blank_nodes if relabel else None,
            check_rdf12=check,
        )
    return quads


def _as_list(paths: Iterable[PathLike] | PathLike | None) -> list[PathLike]:
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):  # one path, not an iterable of characters
        return [paths]
    return list(paths)


def source_paths(paths: Iterable[PathLike] | PathLike | None, *, shipped: bool) -> list[PathLike]:
    """The files :func:`load` reads: the shipped ``data/*.trig`` (if *shipped*), then *paths*."""
    from .resources import data_files

    return [*(data_files() if shipped else []), *_as_list(paths)]


def parse_quads(
    paths: Iterable[PathLike] | PathLike,
    *,
    input_format: str | Format | None = None,
    on_source: Callable[[PathLike, bytes], None] | None = None,
) -> list[ox.Quad]:
    """Parse *paths* (no shipped data) into a list of :class:`pyoxigraph.Quad`.

    Same rules as :func:`load` (formats, blank node scoping and labels, errors), but
    no rdflib: this is the engine layer under :func:`load` and the command line.
    Quads come in file order, then parser order; duplicates are kept.

    :param on_source: called as ``on_source(path, data)`` with each source's bytes
        before it is parsed (used to fingerprint the sources of a store).
    """
    from .progress import step

    blank_nodes = _BlankNodes()
    quads: list[ox.Quad] = []
    for scope, source in enumerate(_as_list(paths)):
        fmt = _source_format(source, input_format)
        step(f"parsing {os.path.basename(_display(source))}", count=len(quads), unit=" quads")
        data = read_source(source)
        if on_source is not None:
            on_source(source, data)
        quads.extend(_parse_source(data, source, fmt, scope, blank_nodes))
    return quads


def quads_to_dataset(quads: Iterable[ox.Quad]) -> Dataset:
    """A new :class:`rdflib.Dataset` holding *quads* (blank node labels kept)."""
    import pyoxigraph as ox
    from rdflib import BNode, Dataset, URIRef
    from rdflib import Literal as RdfLiteral

    dataset = Dataset()
    cache: dict[Any, Node] = {}
    graphs: dict[Any, Graph] = {}
    named, blank, literal = ox.NamedNode, ox.BlankNode, ox.Literal

    def convert(term: Any) -> Node:
        cached = cache.get(term)
        if cached is not None:
            return cached
        kind = type(term)
        converted: Node
        if kind is named:
            converted = URIRef(term.value)
        elif kind is blank:
            converted = BNode(term.value)
        elif kind is literal:
            if term.direction is not None:
                raise InputError(_DIRECTIONAL)
            if term.language:
                converted = RdfLiteral(term.value, lang=term.language)
            elif term.datatype.value == _XSD_STRING:
                converted = RdfLiteral(term.value)
            else:
                converted = RdfLiteral(
                    term.value, datatype=URIRef(term.datatype.value), normalize=False
                )
        else:
            raise InputError(_TRIPLE_TERMS)
        cache[term] = converted
        return converted

    default_graph = ox.DefaultGraph
    batch = []
    with quiet_rdflib():
        for quad in quads:
            s = convert(quad.subject)
            p = convert(quad.predicate)
            o = convert(quad.object)
            name = quad.graph_name
            if type(name) is default_graph:
                graph = dataset.default_graph
            else:
                graph = graphs.get(name)
                if graph is None:
                    graph = graphs[name] = dataset.graph(convert(name))  # type: ignore[arg-type]
            batch.append((s, p, o, graph))
        # The graphs are the dataset's own (backed by its store): add to the store
        # directly, without Dataset.addN re-resolving the graph of every quad.
        dataset.store.addN(batch)
    return dataset


def parse_files(paths: Iterable[PathLike], *, input_format: str | Format | None = None) -> Dataset:
    """Parse *paths* (no shipped data) into a new :class:`rdflib.Dataset`.

    Same rules as :func:`load`.
    """
    return quads_to_dataset(parse_quads(_as_list(paths), input_format=input_format))


def load(
    paths: Iterable[PathLike] | None = None,
    *,
    shipped: bool = True,
    input_format: str | Format | None = None,
) -> Dataset:
    """Load the shipped dataset and/or RDF files into one :class:`rdflib.Dataset`.

    :param paths: extra files; the format is taken from the extension (see
        :data:`ssc_kg.formats.FORMATS`); ``"-"`` reads standard input.
    :param shipped: include the shipped ``data/*.trig`` files (read first, sorted by name).
    :param input_format: format of standard input and of files whose extension is
        not recognised.
    :returns: a dataset; triples of triple formats (Turtle, N-Triples, RDF/XML) go to
        the default graph, named graphs of TriG, N-Quads and JSON-LD are kept.
    :raises InputError: missing, unreadable or malformed input (with file and line).
    :raises FormatError: unknown format or extension.

    JSON-LD input never causes network access: a remote ``@context`` is refused.
    """
    return parse_files(source_paths(paths, shipped=shipped), input_format=input_format)


# --------------------------------------------------------------------------- rdflib in


def _graph_is_default(name: Node | None) -> bool:
    return name is None or str(name) == _DEFAULT_GRAPH_ID


def rdflib_quads(data: Dataset | Graph) -> Iterator[tuple[Node, Node, Node, Node | None]]:
    """All quads of *data*; graph ``None`` means the default graph.

    A plain :class:`rdflib.Graph` is taken as a default graph.
    """
    from rdflib import Dataset

    if isinstance(data, Dataset):
        for s, p, o, g in data.quads((None, None, None, None)):
            yield s, p, o, (None if _graph_is_default(g) else g)
    else:
        for s, p, o in data:
            yield s, p, o, None


def union_graph(data: Dataset | Graph) -> Graph:
    """A new :class:`rdflib.Graph` holding the union of all graphs of *data*."""
    from rdflib import Graph

    union = Graph()
    for s, p, o, _ in rdflib_quads(data):
        union.add((s, p, o))
    return union


class _ToOxigraph:
    def __init__(self) -> None:
        self._cache: dict[Node, Any] = {}

    def term(self, term: Node) -> Any:
        import pyoxigraph as ox
        from rdflib import BNode, Literal, URIRef

        cached = self._cache.get(term)
        if cached is not None:
            return cached
        converted: Any
        try:
            if isinstance(term, URIRef):
                converted = ox.NamedNode(str(term))
            elif isinstance(term, BNode):
                try:
                    converted = ox.BlankNode(str(term))
                except ValueError:
                    converted = ox.BlankNode()
            elif isinstance(term, Literal):
                if term.language:
                    converted = ox.Literal(str(term), language=term.language)
                elif term.datatype is not None:
                    converted = ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
                else:
                    converted = ox.Literal(str(term))
            else:
                raise InputError(f"cannot write RDF term {term!r} ({type(term).__name__})")
        except ValueError as error:
            raise InputError(f"invalid RDF term {term.n3()}: {error}") from None
        self._cache[term] = converted
        return converted


def oxigraph_quads(data: Dataset | Graph) -> list[ox.Quad]:
    """The quads of *data* as pyoxigraph quads (unsorted, blank nodes as they are)."""
    import pyoxigraph as ox

    convert = _ToOxigraph()
    quads = []
    for s, p, o, g in rdflib_quads(data):
        graph = ox.DefaultGraph() if g is None else convert.term(g)
        quads.append(ox.Quad(convert.term(s), convert.term(p), convert.term(o), graph))
    return quads


# --------------------------------------------------------------------------- canonical form


@dataclass(frozen=True)
class Canonical:
    """Deduplicated, sorted quads with canonical blank node labels (see :func:`canonical`).

    ``lines[i]`` is ``items[i]`` written as an N-Quads line (an N-Triples line for a
    union) without the final `` .``; the lines are sorted by (graph, subject, predicate,
    object) as N-Quads term strings, the default graph first.
    """

    lines: list[str]
    items: list[Any]
    """:class:`pyoxigraph.Quad` objects; for a union, :class:`pyoxigraph.Triple` objects."""
    union: bool
    default_graph: int = 0
    """How many of the (first) lines are in the default graph (all of them for a union)."""

    def to_bytes(self) -> bytes:
        """The N-Quads (union: N-Triples) document: the lines, each ended by `` .``."""
        return b"".join(self.chunks(len(self.lines) or 1))

    def chunks(self, size: int = 100_000) -> Iterator[bytes]:
        """:meth:`to_bytes` in pieces of *size* lines."""
        lines = self.lines
        for start in range(0, len(lines), size):
            yield (" .\n".join(lines[start : start + size]) + " .\n").encode("utf-8")


def _group(quads: Iterable[ox.Quad]) -> tuple[list[ox.Quad], dict[Any, list[ox.Quad]]]:
    import pyoxigraph as ox

    default_graph = ox.DefaultGraph
    default: list[ox.Quad] = []
    named: dict[Any, list[ox.Quad]] = {}
    for quad in quads:
        graph = quad.graph_name
        if type(graph) is default_graph:
            default.append(quad)
        else:
            members = named.get(graph)
            if members is None:
                members = named[graph] = []
            members.append(quad)
    return default, named


def _has_blank_nodes(quads: Iterable[ox.Quad]) -> bool:
    import pyoxigraph as ox

    blank = ox.BlankNode
    return any(
        type(q.subject) is blank or type(q.object) is blank or type(q.graph_name) is blank
        for q in quads
    )


def _canonicalized(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    import pyoxigraph as ox

    dataset = ox.Dataset(quads)  # deduplicates
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return list(dataset)


def _sorted_unique(lines: list[str], items: Sequence[Any]) -> tuple[list[str], list[Any]]:
    """*lines* sorted without duplicates, and their items (the line is an exact serialization)."""
    from itertools import pairwise

    order = sorted(range(len(lines)), key=lines.__getitem__)
    sorted_lines = [lines[i] for i in order]
    sorted_items = [items[i] for i in order]
    if any(a == b for a, b in pairwise(sorted_lines)):
        keep = [
            0,
            *(i for i in range(1, len(sorted_lines)) if sorted_lines[i] != sorted_lines[i - 1]),
        ]
        sorted_lines = [sorted_lines[i] for i in keep]
        sorted_items = [sorted_items[i] for i in keep]
    return sorted_lines, sorted_items


def _quad_lines(quads: Sequence[ox.Quad]) -> tuple[list[str], list[ox.Quad], list[str]]:
    """Sorted, unique N-Quads lines of *quads* with their quads; also each line's graph."""
    default, named = _group(quads)
    lines, items = _sorted_unique(list(map(str, default)), default)
    graph_of = [""] * len(lines)
    for name, members in sorted(((str(g), m) for g, m in named.items()), key=lambda x: x[0]):
        group_lines, group_items = _sorted_unique(list(map(str, members)), members)
        lines.extend(group_lines)
        items.extend(group_items)
        graph_of.extend([name] * len(group_lines))
    return lines, items, graph_of


def _leading_default(graph_of: list[str]) -> int:
    """How many leading lines are in the default graph (graph name "")."""
    for index, name in enumerate(graph_of):
        if name:
            return index
    return len(graph_of)


def _union_without_blank_nodes(quads: list[ox.Quad], *, triples: bool) -> Canonical | None:
    """The union's canonical form, sorted straight from the triple lines; None with blank nodes.

    Same result as grouping by graph first (the general path below), without sorting each
    graph: a triple's N-Triples line is its quad's N-Quads line without the graph name.
    """
    objects = [quad.triple for quad in quads]
    lines = list(map(str, objects))
    if any("_:" in line for line in lines) and _has_blank_nodes(quads):
        return None  # blank nodes need RDFC-1.0 labels: the general path
    if not triples:
        unique = sorted(set(lines))
        return Canonical(unique, [], union=True, default_graph=len(unique))
    lines, objects = _sorted_unique(lines, objects)
    return Canonical(lines, objects, union=True, default_graph=len(lines))


def canonical(quads: Iterable[ox.Quad], *, union: bool = False, triples: bool = True) -> Canonical:
    """The canonical form of *quads*: deduplicated, sorted, RDFC-1.0 blank node labels.

    With ``union=True`` all graphs are merged into one (the graph names are dropped)
    and the result holds triples; ``triples=False`` leaves them out (``items`` is
    empty: only the lines are needed for N-Triples).

    Within a graph, sorting the N-Quads lines is sorting by (subject, predicate,
    object) term strings, the order of the previous implementation: where one term
    string is a prefix of another (``_:b1``, ``_:b10``), the longer one goes on with a
    character that sorts after the space separating the terms.
    """
    from .progress import step

    quad_list = quads if isinstance(quads, list) else list(quads)
    step("sorting", count=len(quad_list), unit=" quads")
    if union:
        fast = _union_without_blank_nodes(quad_list, triples=triples)
        if fast is not None:
            return fast
    lines, items, graph_of = _quad_lines(quad_list)
    blank = any("_:" in line for line in lines) and _has_blank_nodes(items)
    if not union:
        if blank:
            lines, items, graph_of = _quad_lines(_canonicalized(items))
        return Canonical(lines, items, union=False, default_graph=_leading_default(graph_of))
    # The union: drop the graph name from each line (it is the last term, " <g>").
    triple_lines = [
        line[: len(line) - len(name) - 1] if name else line
        for line, name in zip(lines, graph_of, strict=True)
    ]
    triple_lines, triple_items = _sorted_unique(triple_lines, items)
    if blank:
        import pyoxigraph as ox

        merged = _canonicalized(ox.Quad(q.subject, q.predicate, q.object) for q in triple_items)
        triple_lines, triple_items, _ = _quad_lines(merged)
    objects = [q.triple for q in triple_items] if triples else []
    return Canonical(triple_lines, objects, union=True, default_graph=len(triple_lines))


def canonical_quads(quads: Iterable[ox.Quad], *, union: bool = False) -> list[ox.Quad]:
    """Deduplicated, sorted quads with canonical (RDFC-1.0) blank node labels.

    With ``union=True`` all quads are moved to the default graph first.
    """
    import pyoxigraph as ox

    result = canonical(quads, union=union)
    if union:
        return [ox.Quad(t.subject, t.predicate, t.object) for t in result.items]
    return list(result.items)


# --------------------------------------------------------------------------- writing

# One N-Triples / N-Quads line as pyoxigraph writes it (RDF 1.1 terms).
_LINE = (
    r"(?:<([^>]*)>|_:\S+) <([^>]*)> "
    r'(?:<([^>]*)>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9\-]+|\^\^<([^>]*)>)?)'
    r"(?: (?:<([^>]*)>|_:\S+))?"
)


def used_prefixes(lines: Sequence[str]) -> dict[str, str]:
    """The project prefixes used by the IRIs (and datatype IRIs) of N-Quads *lines*.

    Sorted by prefix name. Literal text that merely contains an IRI does not count.
    """
    import re

    line_pattern = re.compile(_LINE)
    text = "\n".join(lines)
    used: dict[str, str] = {}
    for prefix, namespace in sorted(PREFIXES.items()):
        needle = "<" + namespace
        position = text.find(needle)
        while position >= 0:
            start = text.rfind("\n", 0, position) + 1
            end = text.find("\n", position)
            end = len(text) if end < 0 else end
            match = line_pattern.fullmatch(text, start, end)
            if match is None:  # pragma: no cover - pyoxigraph wrote a line we do not know
                raise SscKgError(f"cannot read back N-Quads line {text[start:end]!r}")
            if any(iri is not None and iri.startswith(namespace) for iri in match.groups()):
                used[prefix] = namespace
                break
            position = text.find(needle, end)
    return used


# A predicate can be written in RDF/XML only if it ends with an XML name (NCName).
_NCNAME_END = r"[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*$"


def _check_rdfxml(lines: Sequence[str]) -> None:
    import re

    predicates = {line.split(" ", 2)[1] for line in lines}
    ncname_end = re.compile(_NCNAME_END)
    for predicate in sorted(predicates):
        iri = predicate[1:-1]
        if not ncname_end.search(iri):
            raise FormatError(
                f"predicate <{iri}> cannot be written in RDF/XML "
                "(it does not end with an XML name); use another format"
            )


def serialize_canonical(data: Canonical, fmt: str | Format) -> bytes:
    """Write an already :func:`canonical` dataset (``union`` must match the format)."""
    import pyoxigraph as ox

    target = resolve_format(fmt)
    if data.union == target.quads:
        raise ValueError(f"{target.name} needs a canonical form with union={not target.quads}")
    if target.name in ("nt", "nquads"):
        return data.to_bytes()
    if target is FORMATS["jsonld"]:
        from .jsonld import to_jsonld

        return to_jsonld(data.items)
    if target is FORMATS["xml"]:
        _check_rdfxml(data.lines)
    output = ox.serialize(data.items, format=target.rdf_format, prefixes=used_prefixes(data.lines))
    assert output is not None
    return output


def serialize_quads(quads: Iterable[ox.Quad], fmt: str | Format) -> bytes:
    """Serialize pyoxigraph quads deterministically; same output as :func:`serialize`."""
    target = resolve_format(fmt)
    data = canonical(quads, union=not target.quads, triples=target is not FORMATS["nt"])
    if target is FORMATS["jsonld"]:
        from .jsonld import to_jsonld

        items = data.items
        del data  # the lines are not needed: free them before building the document
        return to_jsonld(items)
    return serialize_canonical(data, target)


def serialize(data: Dataset | Graph, fmt: str | Format) -> bytes:
    """Serialize *data* deterministically (byte-identical from run to run).

    :param data: a dataset (or a single graph, taken as the default graph).
    :param fmt: a format name or alias from :data:`ssc_kg.formats.FORMATS`.

    Triple formats (turtle, nt, xml) get the union of all graphs: named graphs are
    merged and their names lost; use trig, nquads or jsonld to keep provenance.
    JSON-LD is compacted with the project context (``ssc_kg/context.jsonld``,
    embedded in the output): default graph nodes in the top-level ``@graph``, each
    named graph as a node ``{"@id": G, "@graph": [...]}`` in the same array.

    :raises FormatError: unknown format, or data that the format cannot express.
    """
    target = resolve_format(fmt)
    return serialize_quads(oxigraph_quads(data), target)


def write_all(stream: BinaryIO, data: bytes) -> None:
    """Write all of *data*, even if the stream accepts it in pieces.

    A large write to a pipe can be cut short without an error when the reader goes
    away mid-write; writing the rest makes the closed pipe show (BrokenPipeError).
    """
    view = memoryview(data)
    while view:
        written = stream.write(view)
        view = view[len(view) if written is None else written :]


@contextlib.contextmanager
def open_atomic(path: PathLike) -> Iterator[BinaryIO]:
    """Open *path* for writing atomically: complete file or unchanged.

    The bytes go to a temporary file in the same directory, which replaces *path*
    (``os.replace``) when the block ends without an error. On any error the target
    is left untouched and the temporary file is removed. A new file gets the usual
    permissions (umask).
    """
    import tempfile

    target = Path(path)
    directory = target.parent
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OSError(error.errno, f"cannot write: {error.strerror}", os.fspath(target)) from error
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            raise OSError(
                error.errno, f"cannot write: {error.strerror or error}", os.fspath(target)
            ) from error
        raise


def write_atomic(path: PathLike, data: bytes) -> None:
    """Write *data* to *path* atomically (see :func:`open_atomic`)."""
    with open_atomic(path) as handle:
        write_all(handle, data)
