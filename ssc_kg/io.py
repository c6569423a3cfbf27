"""Reading and writing RDF.

Parsing is done by pyoxigraph (fast, precise error positions); the result is handed
out as an :class:`rdflib.Dataset` (``default_union`` is False: the default graph is
only the triples written outside ``GRAPH`` blocks).

Writing is deterministic: the same dataset gives byte-identical output in every
run, whatever ``PYTHONHASHSEED``. Quads are sorted (graph, subject, predicate,
object, compared as N-Quads term strings) and blank nodes are relabelled with
RDFC-1.0 canonical labels (``_:c14n0`` ...).

Triple formats (turtle, nt, xml) hold one graph: the UNION of all graphs is written
and the graph names are lost. Use trig, nquads or jsonld to keep provenance.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeAlias, cast

from .errors import FormatError, InputError, SscKgError
from .formats import FORMATS, Format, format_from_path, resolve_format
from .namespaces import PREFIXES

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Dataset, Graph
    from rdflib.term import BNode, IdentifiedNode, Node

__all__ = [
    "STDIN",
    "canonical_quads",
    "load",
    "oxigraph_quads",
    "parse_files",
    "quiet_rdflib",
    "rdflib_quads",
    "serialize",
    "union_graph",
    "write_all",
    "write_atomic",
]

PathLike: TypeAlias = "str | os.PathLike[str]"

STDIN = "-"
"""The path that means standard input."""

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_IMPLICIT_DATATYPES = frozenset({_XSD_STRING, _RDF_LANG_STRING})
_DEFAULT_GRAPH_ID = "urn:x-rdflib:default"

# "Parser error at line 3 between columns 1 and 5: msg", "... at line 1 column 10: msg",
# "Parser error between line 3 column 11 and line 5 column 1: msg"
_POSITION_PREFIX = re.compile(r"^Parser error (?:at|between) line \d+[^:]*:\s*")


@contextlib.contextmanager
def quiet_rdflib() -> Iterator[None]:
    """Silence rdflib's logged tracebacks for ill-typed literals (``"abc"^^xsd:date``).

    rdflib logs "Failed to convert Literal lexical form to value" with a full
    traceback through the ``rdflib.term`` logger; for user data that is noise, and
    ill-typed literals are reported by :func:`ssc_kg.validate` instead.
    """
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
    text = str(error.msg if error.msg else error)
    message = _POSITION_PREFIX.sub("", text)
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


def _read_quads(source: PathLike, fmt: Format) -> list[ox.Quad]:
    import pyoxigraph as ox

    name = _display(source)
    try:
        if os.fspath(source) == STDIN:
            parser = ox.parse(sys.stdin.buffer.read(), fmt.rdf_format)
        else:
            path = Path(source)
            if not path.exists():
                raise InputError("no such file", path=name)
            if path.is_dir():
                raise InputError("is a directory, not a file", path=name)
            parser = ox.parse(path=path, format=fmt.rdf_format)
        return list(parser)
    except SyntaxError as error:
        raise _syntax_error(error, source) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not valid UTF-8 ({error.reason})", path=name) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot read file: {reason}", path=name) from None


class _ToRdflib:
    """Converts pyoxigraph terms to rdflib terms, with deterministic blank node labels.

    Blank nodes are scoped per source (``_:b1`` in two files are two nodes) and are
    numbered in order of first appearance, so labels do not depend on the parser.
    """

    def __init__(self) -> None:
        self._cache: dict[Any, Node] = {}
        self._bnodes: dict[tuple[int, str], BNode] = {}

    def term(self, term: Any, scope: int, source: PathLike) -> Node:
        import pyoxigraph as ox
        from rdflib import BNode, Literal, URIRef

        if isinstance(term, ox.BlankNode):
            key = (scope, term.value)
            node = self._bnodes.get(key)
            if node is None:
                node = self._bnodes[key] = BNode(f"b{len(self._bnodes)}")
            return node
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        converted: Node
        if isinstance(term, ox.NamedNode):
            converted = URIRef(term.value)
        elif isinstance(term, ox.Literal):
            if getattr(term, "direction", None) is not None:
                raise InputError(
                    "directional language-tagged strings (RDF 1.2) are not supported",
                    path=_display(source),
                )
            datatype = term.datatype.value
            if term.language:
                converted = Literal(term.value, lang=term.language)
            elif datatype == _XSD_STRING:
                converted = Literal(term.value)
            else:
                converted = Literal(term.value, datatype=URIRef(datatype), normalize=False)
        else:
            raise InputError(
                "RDF 1.2 triple terms (RDF-star) are not supported", path=_display(source)
            )
        self._cache[term] = converted
        return converted


def parse_files(paths: Iterable[PathLike], *, input_format: str | Format | None = None) -> Dataset:
    """Parse *paths* (no shipped data) into a new :class:`rdflib.Dataset`.

    Same rules as :func:`load`.
    """
    import pyoxigraph as ox
    from rdflib import Dataset

    if isinstance(paths, (str, os.PathLike)):  # one path, not an iterable of characters
        paths = [paths]
    dataset = Dataset()
    converter = _ToRdflib()
    graphs: dict[Node, Graph] = {}
    with quiet_rdflib():
        for scope, source in enumerate(paths):
            fmt = _source_format(source, input_format)
            quads = _read_quads(source, fmt)
            batch = []
            for quad in quads:
                s = converter.term(quad.subject, scope, source)
                p = converter.term(quad.predicate, scope, source)
                o = converter.term(quad.object, scope, source)
                if isinstance(quad.graph_name, ox.DefaultGraph) or not fmt.quads:
                    graph = dataset.default_graph
                else:
                    name = cast("IdentifiedNode", converter.term(quad.graph_name, scope, source))
                    graph = graphs.get(name)
                    if graph is None:
                        graph = graphs[name] = dataset.graph(name)
                batch.append((s, p, o, graph))
            dataset.addN(batch)
    return dataset


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
    from .resources import data_files

    if isinstance(paths, (str, os.PathLike)):  # one path, not an iterable of characters
        paths = [paths]
    sources: list[PathLike] = [*(data_files() if shipped else []), *(paths or [])]
    return parse_files(sources, input_format=input_format)


# --------------------------------------------------------------------------- writing


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


def _sort_key(quad: ox.Quad) -> tuple[int, str, str, str, str]:
    import pyoxigraph as ox

    default = isinstance(quad.graph_name, ox.DefaultGraph)
    return (
        0 if default else 1,
        "" if default else str(quad.graph_name),
        str(quad.subject),
        str(quad.predicate),
        str(quad.object),
    )


def canonical_quads(quads: Iterable[ox.Quad], *, union: bool = False) -> list[ox.Quad]:
    """Deduplicated, sorted quads with canonical (RDFC-1.0) blank node labels.

    With ``union=True`` all quads are moved to the default graph first.
    """
    import pyoxigraph as ox

    if union:
        quads = (ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    dataset = ox.Dataset(quads)  # deduplicates
    if any(
        isinstance(term, ox.BlankNode)
        for q in dataset
        for term in (q.subject, q.object, q.graph_name)
    ):
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=_sort_key)


def _used_prefixes(quads: Sequence[ox.Quad]) -> dict[str, str]:
    import pyoxigraph as ox

    iris: set[str] = set()
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal) and term.datatype.value not in _IMPLICIT_DATATYPES:
                iris.add(term.datatype.value)
    return {
        prefix: namespace
        for prefix, namespace in sorted(PREFIXES.items())
        if any(iri.startswith(namespace) for iri in iris)
    }


# A predicate can be written in RDF/XML only if it ends with an XML name (NCName).
_NCNAME_END = re.compile(r"[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]*$")


def _check_rdfxml(quads: Sequence[ox.Quad]) -> None:
    for quad in quads:
        predicate = quad.predicate.value
        if not _NCNAME_END.search(predicate):
            raise FormatError(
                f"predicate <{predicate}> cannot be written in RDF/XML "
                "(it does not end with an XML name); use another format"
            )


def _refuse_remote_document(url: str, options: Any = None) -> Any:
    from pyld import jsonld

    raise jsonld.JsonLdError(
        f"refusing to load remote JSON-LD document {url} (no network access)",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


def _json_sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _sort_jsonld(value: Any, *, keep_order: bool = False) -> Any:
    """Sort every array of expanded JSON-LD except ``@list`` arrays (order matters there)."""
    if isinstance(value, list):
        items = [_sort_jsonld(item) for item in value]
        return items if keep_order else sorted(items, key=_json_sort_key)
    if isinstance(value, dict):
        return {key: _sort_jsonld(item, keep_order=key == "@list") for key, item in value.items()}
    return value


def _to_jsonld(quads: Sequence[ox.Quad]) -> bytes:
    import pyoxigraph as ox
    from pyld import jsonld

    from .resources import jsonld_context

    nquads = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert nquads is not None
    try:
        expanded = jsonld.from_rdf(
            nquads.decode("utf-8"),
            {
                "format": "application/n-quads",
                "useNativeTypes": False,
                "useRdfType": False,
                "documentLoader": _refuse_remote_document,
            },
        )
        compacted = jsonld.compact(
            _sort_jsonld(expanded),
            jsonld_context(),
            {"documentLoader": _refuse_remote_document, "graph": True},
        )
    except jsonld.JsonLdError as error:
        raise SscKgError(f"JSON-LD conversion failed: {error}") from None
    text = json.dumps(compacted, ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode("utf-8")


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
    import pyoxigraph as ox

    target = resolve_format(fmt)
    quads = canonical_quads(oxigraph_quads(data), union=not target.quads)
    if target is FORMATS["jsonld"]:
        return _to_jsonld(quads)
    if target is FORMATS["xml"]:
        _check_rdfxml(quads)
    items: Sequence[ox.Quad] | list[ox.Triple] = (
        quads if target.quads else [q.triple for q in quads]
    )
    output = ox.serialize(items, format=target.rdf_format, prefixes=_used_prefixes(quads))
    assert output is not None
    return output


def write_all(stream: BinaryIO, data: bytes) -> None:
    """Write all of *data*, even if the stream accepts it in pieces.

    A large write to a pipe can be cut short without an error when the reader goes
    away mid-write; writing the rest makes the closed pipe show (BrokenPipeError).
    """
    view = memoryview(data)
    while view:
        written = stream.write(view)
        view = view[len(view) if written is None else written :]


def write_atomic(path: PathLike, data: bytes) -> None:
    """Write *data* to *path* atomically.

    The bytes go to a temporary file in the same directory, which then replaces
    *path* (``os.replace``). On any error the target is left untouched and the
    temporary file is removed. A new file gets the usual permissions (umask).
    """
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
            write_all(handle, data)
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
