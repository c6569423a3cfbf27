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

Input is untrusted (see ``docs/security.md``): nothing is fetched (a remote JSON-LD
``@context`` and RDF/XML external DTDs and entities are refused, :func:`check_rdfxml_dtd`
also bounds entity expansion), the input size is limited (:func:`input_limit`,
:data:`MEMORY_FACTORS`), RDFC-1.0 is not run on blank nodes that would take it too long
(:func:`check_canonicalizable`), and files are written atomically (:func:`open_atomic`).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeAlias

from .errors import FormatError, InputError, InputLimitError, RemoteInputError, SscKgError
from .formats import FORMATS, Format, format_from_path, resolve_format
from .namespaces import PREFIXES

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Dataset, Graph
    from rdflib.term import Node

__all__ = [
    "CANONICALIZATION_BUDGET",
    "ENTITY_EXPANSION_FACTOR",
    "MEMORY_FACTORS",
    "STALE_TEMPORARY_SECONDS",
    "STDIN",
    "Canonical",
    "available_memory",
    "canonical",
    "canonical_quads",
    "check_canonicalizable",
    "check_rdfxml_dtd",
    "input_limit",
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
    # the XML parser quotes a whole bad tag or text, which can run to the end of the document
    message = re.sub(r"`([^`]{60})[^`]{20,}`", r"`\1...`", message)
    message = re.sub(r"'([^']{60})[^']{20,}'", r"'\1...'", message)
    kind = InputError
    if "LoadDocumentCallback" in message:
        # pyoxigraph cannot fetch documents at all: --allow-network does not change this
        kind = RemoteInputError
        message = (
            "remote JSON-LD @context is never fetched (no network access); "
            "put the context inline in the document"
        )
    line = error.lineno if isinstance(error.lineno, int) else None
    column = error.offset if isinstance(error.offset, int) else None
    if line is not None and column is not None:
        message += f" (column {column})"
    return kind(message, path=_display(source), line=line, column=column)


def read_source(source: PathLike, *, max_bytes: int | None = None) -> bytes:
    """The bytes of *source* (``"-"``: all of standard input).

    :param max_bytes: read at most this many bytes (``None``: no limit); more is
        refused without reading it all (stdin, a FIFO, ``/dev/zero``, a growing file).
    :raises InputError: missing file, a directory, or unreadable.
    :raises InputLimitError: more than *max_bytes*.
    """
    name = _display(source)
    try:
        if os.fspath(source) == STDIN:
            return _read_capped(sys.stdin.buffer, max_bytes, name)
        path = Path(source)
        if not path.exists():
            raise InputError("no such file", path=name)
        if path.is_dir():
            raise InputError("is a directory, not a file", path=name)
        if max_bytes is None:
            return path.read_bytes()
        with path.open("rb") as handle:
            return _read_capped(handle, max_bytes, name)
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot read file: {reason}", path=name) from None


def _read_capped(handle: BinaryIO, max_bytes: int | None, name: str) -> bytes:
    if max_bytes is None:
        return handle.read()
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = handle.read(min(1 << 24, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise InputLimitError(_too_large(max_bytes), path=name)


# --------------------------------------------------------------------------- input limits

MaxInput: TypeAlias = "int | Literal['auto'] | None"
"""An input limit: a number of bytes, ``"auto"`` (what fits in memory) or ``None`` (none)."""

_MAX_INPUT: contextvars.ContextVar[MaxInput] = contextvars.ContextVar(
    "ssc_kg_max_input", default="auto"
)

MEMORY_FACTORS: dict[str, int] = {
    "nt": 5,
    "nquads": 5,
    "xml": 8,
    "jsonld": 10,
    "turtle": 12,
    "trig": 12,
}
"""Bytes of memory needed per byte of input, by format: a little under what parsing,
sorting and writing N-Quads measure (about 1 KB per quad; compact formats hold more
quads per byte). ``max_input_bytes="auto"`` refuses input that cannot fit by this
estimate; validation with pyshacl needs several times more."""

_UNSET: Any = object()


@contextlib.contextmanager
def input_limit(max_bytes: MaxInput) -> Iterator[None]:
    """Make *max_bytes* the default limit of :func:`parse_quads` (and so of :func:`load`,
    stores and shapes) inside the block: ``ssc-kg --max-input-size``."""
    token = _MAX_INPUT.set(max_bytes)
    try:
        yield
    finally:
        _MAX_INPUT.reset(token)


def available_memory() -> int | None:
    """Bytes of memory this process can still use: ``MemAvailable``, lowered by a
    cgroup (container) limit and by the process's address space limit (``ulimit -v``);
    ``None`` where the system does not say (not Linux)."""
    found: list[int] = []
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm", "rb") as handle:
                used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            found.append(max(0, soft - used))
    except (ImportError, OSError, ValueError, IndexError):
        pass
    try:
        with open("/proc/meminfo", "rb") as handle:
            for line in handle:
                if line.startswith(b"MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text())
            found.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def _human(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError  # pragma: no cover


def _too_large(limit: MaxInput, *, need: int | None = None, have: int | None = None) -> str:
    if isinstance(limit, int):
        return f"input too large: more than the {_human(limit)} allowed (--max-input-size)"
    return (
        f"input too large to load in memory: about {_human(need or 0)} needed, "
        f"{_human(have or 0)} available (see --max-input-size)"
    )


class _InputBudget:
    """The input limit of one :func:`parse_quads` call, spent source by source."""

    def __init__(self, limit: MaxInput) -> None:
        self.limit = limit
        self.memory = available_memory() if limit == "auto" else None
        self.spent = 0
        """Bytes read so far (an int limit) or memory they need (``"auto"``)."""

    def factor(self, fmt: Format) -> int:
        return MEMORY_FACTORS.get(fmt.name, max(MEMORY_FACTORS.values()))

    def check_sizes(self, sources: Sequence[PathLike], input_format: str | Format | None) -> None:
        """Refuse before reading anything when the files' sizes are already too much."""
        if self.limit is None or (self.limit == "auto" and self.memory is None):
            return
        total = 0
        for source in sources:
            if os.fspath(source) == STDIN:
                continue
            try:
                status = os.stat(source)
                factor = self.factor(_source_format(source, input_format))
            except (OSError, SscKgError):
                continue  # reported in order when the source is read
            if not stat.S_ISREG(status.st_mode):
                continue
            total += status.st_size * (factor if self.limit == "auto" else 1)
            self._check(total, source)

    def cap(self, fmt: Format) -> int | None:
        """How many bytes of a source in *fmt* may still be read."""
        if self.limit is None:
            return None
        if self.limit == "auto":
            if self.memory is None:
                return None
            return max(0, (self.memory - self.spent) // self.factor(fmt))
        assert isinstance(self.limit, int)
        return max(0, self.limit - self.spent)

    def spend(self, size: int, fmt: Format) -> None:
        self.spent += size * (self.factor(fmt) if self.limit == "auto" else 1)

    def _check(self, total: int, source: PathLike) -> None:
        if self.limit == "auto":
            assert self.memory is not None
            if total > self.memory:
                message = _too_large("auto", need=total, have=self.memory)
                raise InputLimitError(message, path=_display(source))
        elif isinstance(self.limit, int) and total > self.limit:
            raise InputLimitError(_too_large(self.limit), path=_display(source))

    def refusal(self, source: PathLike, fmt: Format) -> InputLimitError:
        """The error for a source that went past :meth:`cap` while it was read."""
        if self.limit == "auto" and self.memory is not None:
            message = (
                f"input too large to load in memory: more than {_human(self.cap(fmt) or 0)} "
                f"of {fmt.label} needs more than the {_human(self.memory)} available "
                "(see --max-input-size)"
            )
            return InputLimitError(message, path=_display(source))
        return InputLimitError(_too_large(self.limit), path=_display(source))


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


ENTITY_EXPANSION_FACTOR = 10
"""RDF/XML entities may add at most this many times the document's size (at least 1 MiB)."""

_DOCTYPE = rb"<!doctype"
_ENTITY_DECLARATION = rb"<!entity"
# The one form of entity declaration accepted: a general internal entity whose value
# has no references and no markup, e.g. <!ENTITY owl "http://www.w3.org/2002/07/owl#">
_PLAIN_ENTITY = rb'<!ENTITY\s+([^\s%"\'<>&;]+)\s+"([^"&%<]*)"\s*>'
_EXTERNAL_ID = rb"\b(?:SYSTEM|PUBLIC)\b"
_ENTITY_REFERENCE = rb"&([^\s&;<>\"'#]+);"


def check_rdfxml_dtd(data: bytes, source: PathLike = "<data>") -> None:
    """Refuse what an RDF/XML DOCTYPE could use to reach outside or to blow up.

    The RDF/XML parser never loads external DTDs or entities, but it ignores an external
    DTD silently and expands nested entities without limit (a 1 KB "billion laughs"
    document takes minutes and gigabytes). So: an external DTD (``SYSTEM`` / ``PUBLIC``),
    external or parameter entities and entity references inside entity values are
    refused; plain internal entities (``<!ENTITY owl "http://...#">``, the usual
    namespace shorthand) are kept, as long as their expansion adds at most
    :data:`ENTITY_EXPANSION_FACTOR` times the document's size.

    :raises RemoteInputError: an external DTD or entity.
    :raises InputLimitError: too much entity expansion.
    :raises InputError: an entity declaration of another kind.
    """
    import re

    doctype = re.search(_DOCTYPE, data, flags=re.IGNORECASE)
    if doctype is None:
        return  # without a DOCTYPE, entities cannot be declared
    name = _display(source)

    def line_of(position: int) -> int:
        return data.count(b"\n", 0, position) + 1

    header_end = re.compile(rb"[\[>]").search(data, doctype.end())
    header = data[doctype.end() : header_end.start() if header_end else len(data)]
    if re.search(_EXTERNAL_ID, header, flags=re.IGNORECASE):
        raise RemoteInputError(
            "RDF/XML DOCTYPE with an external DTD (SYSTEM or PUBLIC) is refused: "
            "external DTDs and entities are never loaded",
            path=name,
            line=line_of(doctype.start()),
        )
    plain = re.compile(_PLAIN_ENTITY)
    sizes: dict[bytes, int] = {}
    for declaration in re.finditer(_ENTITY_DECLARATION, data, flags=re.IGNORECASE):
        match = plain.match(data, declaration.start())
        if match is not None:
            entity, value = match.groups()
            sizes[entity] = max(sizes.get(entity, 0), len(value))
            continue
        end = data.find(b">", declaration.start())
        text = data[declaration.start() : end if end >= 0 else len(data)]
        line = line_of(declaration.start())
        if re.search(_EXTERNAL_ID, text, flags=re.IGNORECASE):
            raise RemoteInputError(
                "RDF/XML external entity (SYSTEM or PUBLIC) is refused: "
                "external entities are never loaded",
                path=name,
                line=line,
            )
        kind = InputError
        if re.match(rb"<!entity\s+%", text, flags=re.IGNORECASE):
            reason = "parameter entities are refused"
        elif b"&" in text or b"%" in text:
            kind = InputLimitError
            reason = "entity values that refer to other entities are refused (nested expansion)"
        else:
            reason = 'only plain entities are accepted, like <!ENTITY name "text">'
        raise kind(f"RDF/XML entity declaration refused: {reason}", path=name, line=line)
    if not sizes:
        return
    added = 0
    for reference in re.finditer(_ENTITY_REFERENCE, data):
        added += sizes.get(reference.group(1), 0)
    limit = max(1 << 20, ENTITY_EXPANSION_FACTOR * len(data))
    if added > limit:
        raise InputLimitError(
            f"RDF/XML entity expansion would add {_human(added)}, more than the "
            f"{_human(limit)} allowed ({ENTITY_EXPANSION_FACTOR}x the document)",
            path=name,
            line=line_of(doctype.start()),
        )


def _parse_source(
    data: bytes, source: PathLike, fmt: Format, scope: int, blank_nodes: _BlankNodes
) -> list[ox.Quad]:
    import pyoxigraph as ox

    if fmt.name == "xml":
        check_rdfxml_dtd(data, source)
    try:
        quads = list(ox.parse(data, fmt.rdf_format))
    except SyntaxError as error:
        raise _syntax_error(error, source) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not valid UTF-8 ({error.reason})", path=_display(source)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot read file: {reason}", path=_display(source)) from None
    except MemoryError as error:
        if "buffer maximal size" in str(error):  # pyoxigraph's cap on one token
            message = f"a literal or IRI longer than 16 MiB cannot be read from {fmt.label}"
        else:
            message = "out of memory while reading this file (see --max-input-size)"
        raise InputLimitError(message, path=_display(source)) from None
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
    max_input_bytes: MaxInput = _UNSET,
) -> list[ox.Quad]:
    """Parse *paths* (no shipped data) into a list of :class:`pyoxigraph.Quad`.

    Same rules as :func:`load` (formats, blank node scoping and labels, errors), but
    no rdflib: this is the engine layer under :func:`load` and the command line.
    Quads come in file order, then parser order; duplicates are kept.

    :param on_source: called as ``on_source(path, data)`` with each source's bytes
        before it is parsed (used to fingerprint the sources of a store).
    :param max_input_bytes: refuse more input than this many bytes in all; ``"auto"``
        (the default, see :func:`input_limit`): more than fits in the available memory
        by the estimate of :data:`MEMORY_FACTORS`; ``None``: no limit.
    :raises InputLimitError: the input is over the limit (checked before reading
        files, and while reading stdin or anything that is not a regular file).
    """
    from .progress import step

    sources = _as_list(paths)
    budget = _InputBudget(_MAX_INPUT.get() if max_input_bytes is _UNSET else max_input_bytes)
    budget.check_sizes(sources, input_format)
    blank_nodes = _BlankNodes()
    quads: list[ox.Quad] = []
    for scope, source in enumerate(sources):
        fmt = _source_format(source, input_format)
        step(f"parsing {os.path.basename(_display(source))}", count=len(quads), unit=" quads")
        try:
            data = read_source(source, max_bytes=budget.cap(fmt))
        except InputLimitError:
            raise budget.refusal(source, fmt) from None
        budget.spend(len(data), fmt)
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


CANONICALIZATION_BUDGET = 10_000_000
"""The most work :func:`check_canonicalizable` lets RDFC-1.0 do (about 2 s here)."""


def check_canonicalizable(quads: Iterable[ox.Quad]) -> None:
    """Refuse blank nodes that RDFC-1.0 would take too long to label (or crash on).

    RDFC-1.0 tells blank nodes apart by their own statements first; the ones that
    look alike are labelled by exploring their connected group of look-alikes, in
    every order for look-alikes in the same position. That costs about ``n**3`` for
    a group of ``n`` (a chain of 1,000 look-alike nodes, 20 KB of Turtle, takes
    minutes; 20,000 crash pyoxigraph) and ``k!`` for ``k`` look-alikes around one
    node. This estimates that cost in one pass (linear in the blank nodes' quads)
    and refuses above :data:`CANONICALIZATION_BUDGET`; usual data (lists, repeated
    records) costs little. Only the blank nodes' quads are looked at.

    :raises InputLimitError: the estimate is over the budget.
    """
    import math

    import pyoxigraph as ox

    blank = ox.BlankNode
    mentions: dict[Any, list[ox.Quad]] = {}
    for quad in quads:
        subject, obj, graph = quad.subject, quad.object, quad.graph_name
        if type(subject) is blank:
            mentions.setdefault(subject, []).append(quad)
        if type(obj) is blank and obj != subject:
            mentions.setdefault(obj, []).append(quad)
        if type(graph) is blank and graph != subject and graph != obj:
            mentions.setdefault(graph, []).append(quad)
    if len(mentions) < 2:
        return

    def term_text(term: Any, node: Any) -> str:
        if type(term) is blank:
            return "_:a" if term == node else "_:z"
        return str(term)

    signature: dict[Any, int] = {}
    groups: dict[int, int] = {}
    for node, node_quads in mentions.items():
        lines = sorted(
            " ".join(term_text(t, node) for t in (q.subject, q.predicate, q.object, q.graph_name))
            for q in node_quads
        )
        key = hash("\n".join(lines))
        signature[node] = key
        groups[key] = groups.get(key, 0) + 1
    alike = {node for node, key in signature.items() if groups[key] > 1}

    def related(node: Any) -> dict[tuple[int, str, str], set[Any]]:
        """The look-alikes related to *node*, by how they are related (RDFC-1.0's hash)."""
        found: dict[tuple[int, str, str], set[Any]] = {}
        for q in mentions[node]:
            for position, term in (("s", q.subject), ("o", q.object), ("g", q.graph_name)):
                if type(term) is blank and term != node and term in alike:
                    found.setdefault((signature[term], str(q.predicate), position), set()).add(term)
        return found

    cost = 0
    seen: set[Any] = set()
    for start in alike:
        if start in seen:
            continue
        # the connected group of look-alikes, and its most connected node
        component, stack = [start], [start]
        seen.add(start)
        while stack:
            for members in related(stack.pop()).values():
                for term in members - seen:
                    seen.add(term)
                    component.append(term)
                    stack.append(term)
        root = max(component, key=lambda n: sum(map(len, related(n).values())))
        # Look-alikes related to a node in the same way are tried in every order, each
        # order exploring further (the orders multiply along a path); nodes already
        # explored are not explored again.
        orders, visited, paths = 1, {root}, [(root, 1)]
        while paths:
            node, path_orders = paths.pop()
            fresh = [m - visited for m in related(node).values()]
            for members in fresh:
                path_orders *= math.factorial(min(len(members), 20))
            path_orders = min(path_orders, CANONICALIZATION_BUDGET + 1)
            orders = max(orders, path_orders)
            for members in fresh:
                visited.update(members)
                paths.extend((term, path_orders) for term in members)
        cost += len(component) ** 3 * orders
        if cost > CANONICALIZATION_BUDGET:
            raise InputLimitError(
                f"cannot label blank nodes canonically: a group of {len(component)} connected "
                "blank nodes that look alike would take RDFC-1.0 too long; give some of them "
                "IRIs or properties that tell them apart"
            )


def _canonicalized(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    import pyoxigraph as ox

    dataset = ox.Dataset(quads)  # deduplicates
    check_canonicalizable(dataset)
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


STALE_TEMPORARY_SECONDS = 60
"""A temporary file of :func:`open_atomic` that nobody holds and nobody wrote to for this
long was left by a killed writer: the next write to the same target removes it."""


def _temporary_pattern(target: Path) -> str:
    import re

    return rf"\.{re.escape(target.name)}\.[A-Za-z0-9_]{{8}}\.tmp"


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporary files a killed writer of *target* left behind.

    A writer holds an exclusive ``flock`` on its temporary file until it is renamed,
    so one that can be locked (and is older than :data:`STALE_TEMPORARY_SECONDS`)
    belongs to a dead process. Nothing else is touched.
    """
    import fcntl
    import re
    import time

    pattern = re.compile(_temporary_pattern(target))
    try:
        names = [n for n in os.listdir(target.parent) if pattern.fullmatch(n)]
    except OSError:
        return
    for name in names:
        path = target.parent / name
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError:
            continue
        with handle:
            try:
                if time.time() - os.fstat(handle.fileno()).st_mtime < STALE_TEMPORARY_SECONDS:
                    continue
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live writer holds it
            with contextlib.suppress(OSError):
                if os.path.samestat(os.fstat(handle.fileno()), os.stat(path)):
                    os.unlink(path)


@contextlib.contextmanager
def open_atomic(path: PathLike) -> Iterator[BinaryIO]:
    """Open *path* for writing atomically: complete file or unchanged.

    The bytes go to a temporary file ``.NAME.XXXXXXXX.tmp`` in the same directory,
    which replaces *path* (``os.replace``) when the block ends without an error. On
    any error the target is left untouched and the temporary file is removed. A new
    file gets the usual permissions (umask). A writer that is killed (SIGKILL, power
    loss) cannot clean up: its temporary file stays, never replaces *path*, and is
    removed by the next write to *path* (see :func:`_remove_stale_temporaries`).
    """
    import fcntl
    import tempfile

    target = Path(path)
    directory = target.parent
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    _remove_stale_temporaries(target)
    try:
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OSError(error.errno, f"cannot write: {error.strerror}", os.fspath(target)) from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held until the file is closed
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
