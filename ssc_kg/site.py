"""A static web site of the graph: a page per named resource, an index, the vocabulary, a timeline.

:func:`render_site` turns quads into the files of the site (relative path -> bytes);
:func:`build_site` writes them to a directory atomically (:func:`ssc_kg.outdir.write_tree`).
Pages are rendered with Jinja2 templates (``ssc_kg/templates/``, autoescaped). The site:

* ``id/<name>.html`` for every resource ``sscid:<name>``, ``def/<name>.html`` for every
  term ``ssc:<name>``, ``graph/<name>.html`` for every named graph ``sscg:<name>``: the
  labels in Indonesian and English (a language switch that works without network and
  without JavaScript), every triple with the resource as subject and every triple that
  points to it, each with the claim graphs stating it (seed claims with their article,
  paragraph, sentence and verbatim quotation; primary-source claims with the UN document;
  curator inferences with their evidence), and the resource's own data as schema.org
  JSON-LD in ``<script type="application/ld+json">`` (inline ``@context``, nothing to
  fetch). Beside each page, ``<name>.ttl`` and ``<name>.jsonld`` hold the same triples;
* ``index.html`` (resources by class, the dataset description), ``vocabulary.html``
  (our classes and properties), ``timeline.html`` with an SVG picture of every dated
  resource (also ``timeline.svg``), ``dataset.ttl`` / ``dataset.jsonld`` (the DCAT
  description of :mod:`ssc_kg.describe`), ``assets/`` (CSS and a small script).

Every link between pages is relative, so the site works from any folder and from
``file://``. The output depends only on the data and the ssc-kg version: no clock,
sorted iteration everywhere, so two builds are byte-identical.

Example:

>>> from ssc_kg.io import parse_quads
>>> from ssc_kg.resources import data_files
>>> files = render_site(parse_quads(data_files()))
>>> "id/undp.html" in files and "id/undp.ttl" in files and "timeline.html" in files
True
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .namespaces import PREFIXES, SSC, SSCG, SSCID, compact_iri

if TYPE_CHECKING:
    import jinja2
    import pyoxigraph as ox

__all__ = [
    "DATE_TYPES",
    "SiteResult",
    "build_site",
    "jsonld_document",
    "page_path",
    "render_site",
]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_PROV = "http://www.w3.org/ns/prov#"
_SCHEMA = "http://schema.org/"
_RDF_TYPE = _RDF + "type"
_LABEL = _RDFS + "label"
_COMMENT = _RDFS + "comment"
_PREF_LABEL = _SKOS + "prefLabel"
_ONTOLOGY = SSC.rstrip("#")

DATE_TYPES = frozenset(_XSD + t for t in ("date", "dateTime", "gYear", "gYearMonth"))
"""A resource is *dated* (on the timeline) if it has a literal of one of these datatypes."""

_FOLDERS = ((SSCID, "id"), (SSC, "def"), (SSCG, "graph"))
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_LANGS = ("en", "id")

# Claim kinds, in the order their badges are explained
_SEED, _PRIMARY, _INFERENCE, _CURATED, _CLAIM = (
    SSC + "SeedClaim",
    SSC + "PrimarySourceClaim",
    SSC + "CuratorInference",
    SSC + "CuratedGraph",
    SSC + "Claim",
)
_KIND_NAMES = {
    _SEED: "seed",
    _PRIMARY: "primary",
    _INFERENCE: "inference",
    _CURATED: "curated",
    _CLAIM: "claim",
}
_FIRST_PREDICATES = (_RDF_TYPE, _LABEL, _PREF_LABEL, _SKOS + "altLabel", _COMMENT)
_NOT_IN_VOCABULARY_TABLE = (*_FIRST_PREDICATES, _RDFS + "isDefinedBy")
_VOCAB_CLASSES = (_OWL + "Class", _RDFS + "Class")
_VOCAB_PROPERTIES = (
    _OWL + "ObjectProperty",
    _OWL + "DatatypeProperty",
    _OWL + "AnnotationProperty",
    _RDF + "Property",
)


# --------------------------------------------------------------------------- paths


def _slug(local: str) -> str:
    if _SLUG.fullmatch(local):
        return local
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", local).strip("-._")[:60] or "r"
    return f"{safe}-{hashlib.sha256(local.encode()).hexdigest()[:10]}"


def page_path(iri: str) -> str | None:
    """The site path of the page of *iri*, or None if it gets no page (outside our namespaces).

    The path is derived from the IRI alone (resources whose names differ only in case
    get a hash suffix from :func:`render_site`, for case-insensitive file systems).

    >>> page_path("https://w3id.org/ssc-kg/id/undp")
    'id/undp.html'
    >>> page_path("https://w3id.org/ssc-kg/def#SeedClaim")
    'def/SeedClaim.html'
    >>> page_path("https://w3id.org/ssc-kg/def")
    'vocabulary.html'
    >>> page_path("http://schema.org/Event") is None
    True
    """
    if iri == _ONTOLOGY:
        return "vocabulary.html"
    for namespace, folder in _FOLDERS:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{folder}/{_slug(iri[len(namespace) :])}.html"
    return None


def _assign_paths(iris: Iterable[str]) -> dict[str, str]:
    """Page path (without extension) of each IRI; case-insensitive clashes get a hash."""
    stems = {iri: path.removesuffix(".html") for iri in iris if (path := page_path(iri))}
    by_folded: dict[str, list[str]] = defaultdict(list)
    for iri, stem in stems.items():
        by_folded[stem.lower()].append(iri)
    for clashing in by_folded.values():
        if len(clashing) > 1:
            for iri in clashing:
                stems[iri] += "-" + hashlib.sha256(iri.encode()).hexdigest()[:10]
    return stems


# --------------------------------------------------------------------------- view models


@dataclass(frozen=True)
class Term:
    """An RDF term as shown on a page."""

    text: str
    """Compact IRI, literal value or blank node label."""
    kind: str
    """``page`` (an IRI with a page here), ``external`` (an http(s) IRI), ``iri`` (any
    other IRI), ``literal`` or ``blank``."""
    target: str | None = None
    """Site path of the page (``page``) or the IRI (``external``)."""
    labels: tuple[tuple[str, str], ...] = ()
    """(language, label) pairs, for IRIs with labels."""
    lang: str | None = None
    datatype: str | None = None
    """Compact datatype of a typed literal (not for plain strings and language strings)."""
    translatable: bool = False
    """A language string whose subject and property also have a value in the other
    language: hidden when that language is chosen."""
    iri: str | None = None


@dataclass(frozen=True)
class Source:
    """A graph that states a fact, with its provenance."""

    graph: Term | None
    """The claim graph (None: the default graph, where the provenance records are)."""
    kind: str
    """``seed``, ``primary``, ``inference``, ``curated``, ``claim``, ``graph`` (an
    undescribed named graph) or ``default``."""
    kind_labels: tuple[tuple[str, str], ...] = ()
    articles: tuple[Term, ...] = ()
    primary_sources: tuple[Term, ...] = ()
    paragraph: str | None = None
    sentence: str | None = None
    quotations: tuple[Term, ...] = ()
    symbols: tuple[str, ...] = ()
    notes: tuple[Term, ...] = ()


@dataclass(frozen=True)
class Fact:
    """One triple on a page: (subject,) predicate, object and the graphs that state it."""

    subject: Term
    predicate: Term
    object: Term
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Dated:
    """A dated resource on the timeline."""

    iri: str
    term: Term
    dates: tuple[tuple[str, str], ...]
    """(compact property, date text) pairs, earliest first."""
    year: float
    """Position on the time axis (fractional year of the earliest date)."""


@dataclass(frozen=True)
class SiteResult:
    """What :func:`build_site` wrote."""

    path: Path
    pages: int
    files: int


@dataclass
class _Index:
    """The data, indexed for the pages."""

    quads: list[Any]
    facts: dict[Any, dict[tuple[Any, Any], set[Any]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    incoming: dict[Any, dict[tuple[Any, Any], set[Any]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    contents: dict[Any, list[Any]] = field(default_factory=lambda: defaultdict(list))
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    comments: dict[str, dict[str, str]] = field(default_factory=dict)
    langs: dict[tuple[Any, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    stems: dict[str, str] = field(default_factory=dict)


def _collect_labels(quads: Sequence[Any], predicates: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The first label per language (by predicate priority, then smallest text)."""
    import pyoxigraph as ox

    found: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
    for quad in quads:
        rank = predicates.index(quad.predicate.value) if quad.predicate.value in predicates else -1
        obj = quad.object
        if rank >= 0 and isinstance(obj, ox.Literal) and isinstance(quad.subject, ox.NamedNode):
            found[quad.subject.value][obj.language or ""].append((rank, obj.value))
    return {
        subject: {lang: min(values)[1] for lang, values in sorted(by_lang.items())}
        for subject, by_lang in found.items()
    }


def _index(quads: Sequence[Any]) -> _Index:
    import pyoxigraph as ox

    index = _Index(quads=list(quads))
    named = ox.NamedNode
    iris: set[str] = set()
    for quad in quads:
        s, p, o, g = quad.subject, quad.predicate, quad.object, quad.graph_name
        graph = None if isinstance(g, ox.DefaultGraph) else g
        index.facts[s][(p, o)].add(graph)
        if isinstance(o, (ox.NamedNode, ox.BlankNode)):
            index.incoming[o][(s, p)].add(graph)
        if graph is not None:
            index.contents[graph].append(quad)
        if p.value == _RDF_TYPE and isinstance(o, named):
            index.types[s.value].add(o.value)
        if isinstance(o, ox.Literal) and o.language:
            index.langs[(s, p.value)].add(o.language)
        for term in (s, p, o, graph):
            if isinstance(term, named):
                iris.add(term.value)
    index.labels = _collect_labels(quads, (_LABEL, _PREF_LABEL))
    index.comments = _collect_labels(quads, (_COMMENT,))
    index.stems = _assign_paths(sorted(iris))
    return index


class _Views:
    """Builds the view models of the templates from the index."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self._terms: dict[Any, Term] = {}
        self._sources: dict[Any, Source] = {}

    # ---- terms

    def labels(self, iri: str) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.index.labels.get(iri, {}).items()))

    def path(self, iri: str) -> str | None:
        stem = self.index.stems.get(iri)
        return None if stem is None else stem + ".html"

    def term(self, node: Any, *, subject: Any = None, predicate: str | None = None) -> Term:
        import pyoxigraph as ox

        if isinstance(node, ox.NamedNode):
            cached = self._terms.get(node)
            if cached is None:
                iri = node.value
                target = self.path(iri)
                short = compact_iri(iri)
                text = iri if short.startswith("<") else short
                if target is not None:
                    cached = Term(text, "page", target, self.labels(iri), iri=iri)
                elif iri.startswith(("http://", "https://")):
                    cached = Term(text, "external", iri, self.labels(iri), iri=iri)
                else:
                    cached = Term(text, "iri", None, self.labels(iri), iri=iri)
                self._terms[node] = cached
            return cached
        if isinstance(node, ox.BlankNode):
            return Term(f"_:{node.value}", "blank")
        assert isinstance(node, ox.Literal)
        lang = node.language or None
        datatype = node.datatype.value
        shown = None if lang or datatype == _XSD + "string" else compact_iri(datatype)
        translatable = False
        if lang in _LANGS and subject is not None and predicate is not None:
            translatable = set(_LANGS) <= self.index.langs.get((subject, predicate), set())
        return Term(node.value, "literal", lang=lang, datatype=shown, translatable=translatable)

    # ---- provenance

    def _values(self, graph: Any, predicate: str) -> list[Any]:
        import pyoxigraph as ox

        return sorted(
            (
                o
                for (p, o), graphs in self.index.facts.get(graph, {}).items()
                if p.value == predicate and None in graphs
            ),
            key=lambda o: ((isinstance(o, ox.Literal) and o.language) or "", str(o)),
        )

    def source(self, graph: Any) -> Source:
        """The provenance of *graph* (None: the default graph), computed once per graph."""
        cached = self._sources.get(graph)
        if cached is None:
            cached = self._sources[graph] = self._source(graph)
        return cached

    def _source(self, graph: Any) -> Source:
        if graph is None:
            return Source(None, "default")
        types = {o.value for o in self._values(graph, _RDF_TYPE)}
        kind_iri = next((k for k in _KIND_NAMES if k in types), None)
        if kind_iri is None:
            return Source(self.term(graph), "graph")
        first = self._values

        def text(predicate: str) -> str | None:
            values = first(graph, predicate)
            return values[0].value if values else None

        return Source(
            graph=self.term(graph),
            kind=_KIND_NAMES[kind_iri],
            kind_labels=self.labels(kind_iri),
            articles=tuple(self.term(o) for o in first(graph, _PROV + "wasDerivedFrom")),
            primary_sources=tuple(self.term(o) for o in first(graph, _PROV + "hadPrimarySource")),
            paragraph=text(SSC + "paragraph"),
            sentence=text(SSC + "sentence"),
            quotations=tuple(self.term(o) for o in first(graph, SSC + "quotation")),
            symbols=tuple(o.value for o in first(graph, SSC + "documentSymbol")),
            notes=tuple(
                self.term(o, subject=graph, predicate=_SKOS + "note")
                for o in first(graph, _SKOS + "note")
            ),
        )

    def sources(self, graphs: set[Any]) -> tuple[Source, ...]:
        return tuple(
            self.source(g) for g in sorted(graphs, key=lambda g: "" if g is None else str(g))
        )

    # ---- facts

    @staticmethod
    def _predicate_order(predicate: str) -> tuple[int, str]:
        if predicate in _FIRST_PREDICATES:
            return _FIRST_PREDICATES.index(predicate), ""
        return len(_FIRST_PREDICATES), compact_iri(predicate)

    def facts(self, node: Any) -> list[Fact]:
        subject = self.term(node)
        rows = []
        for (p, o), graphs in self.index.facts.get(node, {}).items():
            rows.append(
                (
                    self._predicate_order(p.value),
                    str(o),
                    Fact(
                        subject,
                        self.term(p),
                        self.term(o, subject=node, predicate=p.value),
                        self.sources(graphs),
                    ),
                )
            )
        return [fact for *_, fact in sorted(rows, key=lambda r: (r[0], r[1]))]

    def incoming(self, node: Any) -> list[Fact]:
        obj = self.term(node)
        rows = []
        for (s, p), graphs in self.index.incoming.get(node, {}).items():
            rows.append(
                (
                    (self._predicate_order(p.value), str(s)),
                    Fact(self.term(s), self.term(p), obj, self.sources(graphs)),
                )
            )
        return [fact for _, fact in sorted(rows, key=lambda r: r[0])]

    def contents(self, graph: Any) -> list[Fact]:
        rows = []
        for quad in self.index.contents.get(graph, []):
            s, p, o = quad.subject, quad.predicate, quad.object
            rows.append(
                (
                    (str(s), self._predicate_order(p.value), str(o)),
                    Fact(
                        self.term(s), self.term(p), self.term(o, subject=s, predicate=p.value), ()
                    ),
                )
            )
        return [fact for _, fact in sorted(rows, key=lambda r: r[0])]


# --------------------------------------------------------------------------- JSON-LD


def _key(iri: str, context: dict[str, str], prefixes: Mapping[str, str]) -> str:
    """A JSON-LD key (or type) for *iri*: a schema.org local name (``@vocab``), else a
    compact IRI (its prefix is added to *context*), else the IRI itself."""
    if iri.startswith(_SCHEMA):
        local = iri[len(_SCHEMA) :]
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", local) and local not in prefixes:
            return local
        return iri
    for prefix, namespace in sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if prefix == "schema" or not iri.startswith(namespace):
            continue
        local = iri[len(namespace) :]
        if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", local):
            context[prefix] = namespace
            return f"{prefix}:{local}"
    return iri


def _json_value(node: Any, context: dict[str, str], prefixes: Mapping[str, str]) -> Any:
    import pyoxigraph as ox

    if isinstance(node, ox.NamedNode):
        return {"@id": node.value}
    if isinstance(node, ox.BlankNode):
        return {"@id": f"_:{node.value}"}
    assert isinstance(node, ox.Literal)
    if node.language:
        return {"@value": node.value, "@language": node.language}
    if node.datatype.value == _XSD + "string":
        return node.value
    return {"@value": node.value, "@type": _key(node.datatype.value, context, prefixes)}


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def jsonld_document(
    subjects: Any | Sequence[Any],
    triples: Iterable[Any],
    *,
    prefixes: Mapping[str, str] = PREFIXES,
) -> dict[str, Any]:
    """*triples* as JSON-LD, schema.org style, with an inline context.

    The context maps ``@vocab`` to ``http://schema.org/`` (schema.org terms are plain
    keys and types) and declares only the other prefixes (from *prefixes*) the document
    uses, so a JSON-LD processor never fetches anything. The node of the first of
    *subjects* (one term or a sequence) is the document itself; objects that are
    subjects of other *triples* are embedded as nested nodes (each once; later
    references are ``{"@id": ...}``). When more than one top-level node is needed (the
    other *subjects*, then any node not reached), they are in ``@graph``. The document
    yields exactly *triples* (RDF 1.1).

    >>> import pyoxigraph as ox
    >>> s = ox.NamedNode("https://w3id.org/ssc-kg/id/undp")
    >>> t = [ox.Triple(s, ox.NamedNode("http://schema.org/foundingDate"),
    ...      ox.Literal("1965", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")))]
    >>> doc = jsonld_document(s, t)
    >>> doc["foundingDate"], doc["@context"]["xsd"]
    ({'@value': '1965', '@type': 'xsd:gYear'}, 'http://www.w3.org/2001/XMLSchema#')
    """
    import pyoxigraph as ox

    roots = list(subjects) if isinstance(subjects, (list, tuple)) else [subjects]
    by_subject: dict[Any, list[Any]] = defaultdict(list)
    for triple in triples:
        by_subject[triple.subject].append(triple)
    context: dict[str, str] = {}
    done: set[Any] = set()

    def node(term: Any) -> dict[str, Any]:
        done.add(term)
        name = term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"
        result: dict[str, Any] = {"@id": name}
        values: dict[str, list[Any]] = defaultdict(list)
        types: list[str] = []
        for triple in sorted(by_subject.get(term, []), key=str):
            predicate, obj = triple.predicate.value, triple.object
            if predicate == _RDF_TYPE and isinstance(obj, ox.NamedNode):
                types.append(_key(obj.value, context, prefixes))
                continue
            key = _key(predicate, context, prefixes)
            nested = isinstance(obj, (ox.NamedNode, ox.BlankNode)) and obj in by_subject
            if nested and obj not in done:
                values[key].append(node(obj))
            else:
                values[key].append(_json_value(obj, context, prefixes))
        if types:
            result["@type"] = sorted(types) if len(types) > 1 else types[0]
        for key, items in values.items():
            ordered = sorted(items, key=_sort_key)
            result[key] = ordered if len(ordered) > 1 else ordered[0]
        return result

    top = [node(root) for root in roots if root not in done]
    top += [node(other) for other in sorted(by_subject, key=str) if other not in done]
    head: dict[str, Any] = {"@context": {"@vocab": _SCHEMA, **dict(sorted(context.items()))}}
    if len(top) == 1:
        return {**head, **top[0]}
    return {**head, "@graph": top}


def _turtle(triples: Iterable[Any]) -> bytes:
    import pyoxigraph as ox

    from .io import serialize_quads

    return serialize_quads([ox.Quad(t.subject, t.predicate, t.object) for t in triples], "turtle")


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _script_json(document: Any) -> str:
    """JSON for a ``<script>`` element: ``<``, ``>``, ``&`` escaped (``</script>`` cannot occur)."""
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --------------------------------------------------------------------------- the timeline


_DATE = re.compile(r"(-?\d{4,})(?:-(\d{2}))?(?:-(\d{2}))?")


def _fractional_year(text: str) -> float | None:
    match = _DATE.match(text)
    if match is None:
        return None
    year, month, day = match.groups()
    return int(year) + (int(month or 1) - 1) / 12 + (int(day or 1) - 1) / 365


def _dated(views: _Views) -> list[Dated]:
    import pyoxigraph as ox

    found: dict[Any, set[tuple[str, str, str]]] = defaultdict(set)
    for quad in views.index.quads:
        obj = quad.object
        if (
            isinstance(obj, ox.Literal)
            and obj.datatype.value in DATE_TYPES
            and isinstance(quad.subject, ox.NamedNode)
            and _fractional_year(obj.value) is not None
        ):
            found[quad.subject].add((obj.value, compact_iri(quad.predicate.value), obj.value))
    items = []
    for subject, dates in found.items():
        ordered = sorted(dates, key=lambda d: (_fractional_year(d[0]), d[0], d[1]))
        year = _fractional_year(ordered[0][0])
        assert year is not None
        items.append(
            Dated(subject.value, views.term(subject), tuple((p, v) for _, p, v in ordered), year)
        )
    return sorted(items, key=lambda d: (d.year, d.dates, d.iri))


@dataclass(frozen=True)
class _Mark:
    item: Dated
    y: float
    label_y: float


@dataclass(frozen=True)
class _Timeline:
    width: int
    height: int
    axis_x: int
    label_x: int
    ticks: tuple[tuple[int, float], ...]
    marks: tuple[_Mark, ...]
    first_year: int
    last_year: int


def _timeline_layout(items: Sequence[Dated]) -> _Timeline:
    """A vertical time axis; labels pushed down so that they never overlap."""
    top, per_year, gap, axis_x, label_x = 40.0, 9.0, 34.0, 90, 170
    if items:
        first = int(min(i.year for i in items)) // 10 * 10
        last = (int(max(i.year for i in items)) // 10 + 1) * 10
    else:
        first, last = 2000, 2010
    marks = []
    previous = top - gap
    for item in items:
        y = top + (item.year - first) * per_year
        label_y = max(y, previous + gap)
        marks.append(_Mark(item, round(y, 1), round(label_y, 1)))
        previous = label_y
    axis_end = top + (last - first) * per_year
    height = int(max(axis_end, previous) + 40)
    longest = max(
        (
            max((len(v) for _, v in labels), default=len(m.item.term.text))
            + len(" · ".join(d for _, d in m.item.dates))
            for m in marks
            for labels in [m.item.term.labels]
        ),
        default=40,
    )
    width = max(900, int(label_x + longest * 7.6 + 40))
    ticks = tuple(
        (year, round(top + (year - first) * per_year, 1)) for year in range(first, last + 1, 10)
    )
    return _Timeline(width, height, axis_x, label_x, ticks, tuple(marks), first, last)


# --------------------------------------------------------------------------- rendering


def _environment() -> jinja2.Environment:
    import jinja2
    import markupsafe

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ssc_kg", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["script_json"] = lambda doc: markupsafe.Markup(_script_json(doc))
    return environment


def _asset(name: str) -> bytes:
    from importlib.resources import files

    return (files("ssc_kg") / "templates" / name).read_bytes()


def _version() -> str:
    from . import __version__

    return str(__version__)


def render_site(
    quads: Sequence[ox.Quad],
    *,
    base_url: str | None = None,
    description: Sequence[ox.Quad] | None = None,
) -> dict[str, bytes]:
    """The files of the site for *quads*: relative path -> bytes (sorted by path).

    :param base_url: where the release files are published (the download links of the
        index page and the DCAT description; see :func:`ssc_kg.describe.check_base_url`).
    :param description: the DCAT description quads, if already made
        (:func:`ssc_kg.describe.describe_quads`).
    :raises SscKgError: see :func:`ssc_kg.describe.describe_quads`.
    """
    import pyoxigraph as ox

    from .describe import DATASET_IRI, DESCRIPTION_PREFIXES, describe_quads, serialize_description
    from .io import canonical_quads

    data = canonical_quads(quads)
    if description is None:
        description = describe_quads(data, base_url=base_url)
    index = _index(data)
    views = _Views(index)
    environment = _environment()
    version = _version()
    files: dict[str, bytes] = {}

    def render(template: str, path: str, **context: Any) -> None:
        depth = path.count("/")
        root = "../" * depth
        html = environment.get_template(template).render(
            root=root, version=version, path=path, **context
        )
        files[path] = html.encode("utf-8")

    # Resource pages
    union: dict[Any, list[Any]] = defaultdict(list)
    for quad in data:
        union[quad.subject].append(quad.triple)
    pages: list[tuple[str, str, Any]] = []
    for iri, stem in sorted(index.stems.items(), key=lambda kv: kv[1]):
        pages.append((iri, stem, ox.NamedNode(iri)))
    graphs = {g.value for g in index.contents if isinstance(g, ox.NamedNode)}
    for iri, stem, node in pages:
        if iri == _ONTOLOGY:
            continue  # its page is the vocabulary page
        own = sorted(set(union.get(node, [])), key=str)
        linked = set(own)
        for triple in own:
            obj = triple.object
            if (
                isinstance(obj, ox.NamedNode)
                and obj != node
                and triple.predicate.value != _RDF_TYPE
            ):
                for other in union.get(obj, []):
                    if other.predicate.value in (_RDF_TYPE, _LABEL):
                        linked.add(other)
        described = sorted(linked, key=str)
        document = jsonld_document(node, described)
        files[stem + ".ttl"] = _turtle(described)
        files[stem + ".jsonld"] = _json_bytes(document)
        base = posixpath.basename(stem)
        render(
            "resource.html.j2",
            stem + ".html",
            resource=views.term(node),
            types=[views.term(ox.NamedNode(t)) for t in sorted(index.types.get(iri, ()))],
            comments=tuple(sorted(index.comments.get(iri, {}).items())),
            facts=views.facts(node),
            incoming=views.incoming(node),
            contents=views.contents(node) if iri in graphs else None,
            claim=views.source(node) if iri.startswith(SSCG) else None,
            jsonld=document,
            turtle_file=base + ".ttl",
            jsonld_file=base + ".jsonld",
        )

    # Index page: resources by class (the vocabulary terms are on the vocabulary page)
    classes: dict[str, list[Term]] = defaultdict(list)
    untyped: list[Term] = []
    for iri, _stem, node in pages:
        if iri.startswith(SSC) or iri == _ONTOLOGY:
            continue
        types = index.types.get(iri)
        if not types:
            untyped.append(views.term(node))
        for cls in sorted(types or ()):
            classes[cls].append(views.term(node))

    def label_key(term: Term) -> tuple[str, str]:
        labels = dict(term.labels)
        return (labels.get("en") or labels.get("id") or term.text).casefold(), term.text

    class_list = sorted(
        (
            (views.term(ox.NamedNode(c)), sorted(members, key=label_key))
            for c, members in classes.items()
        ),
        key=lambda item: label_key(item[0]),
    )
    dataset_triples = [q.triple for q in description]
    dataset_doc = jsonld_document(
        ox.NamedNode(DATASET_IRI), dataset_triples, prefixes=DESCRIPTION_PREFIXES
    )
    dataset_facts = _dataset_summary(description)
    render(
        "index.html.j2",
        "index.html",
        classes=class_list,
        untyped=sorted(untyped, key=label_key),
        dataset=dataset_facts,
        jsonld=dataset_doc,
    )

    # Vocabulary page
    declared_classes, declared_properties, other_terms = [], [], []
    for iri, _stem, node in pages:
        if not iri.startswith(SSC):
            continue
        types = index.types.get(iri, set())
        entry = (
            views.term(node),
            tuple(sorted(index.comments.get(iri, {}).items())),
            [f for f in views.facts(node) if f.predicate.iri not in _NOT_IN_VOCABULARY_TABLE],
        )
        if types & set(_VOCAB_CLASSES):
            declared_classes.append(entry)
        elif types & set(_VOCAB_PROPERTIES):
            declared_properties.append(entry)
        else:
            other_terms.append(entry)
    # ... with the data of the vocabulary: the ontology and our terms
    ontology = ox.NamedNode(_ONTOLOGY)
    terms = [ontology, *(node for iri, _stem, node in pages if iri.startswith(SSC))]
    vocabulary_triples = sorted({t for n in terms for t in union.get(n, [])}, key=str)
    vocabulary_doc = None
    if vocabulary_triples:
        vocabulary_doc = jsonld_document([n for n in terms if n in union], vocabulary_triples)
        files["vocabulary.ttl"] = _turtle(vocabulary_triples)
        files["vocabulary.jsonld"] = _json_bytes(vocabulary_doc)
    render(
        "vocabulary.html.j2",
        "vocabulary.html",
        ontology=views.term(ontology),
        ontology_comments=tuple(sorted(index.comments.get(_ONTOLOGY, {}).items())),
        ontology_facts=[
            f for f in views.facts(ontology) if f.predicate.iri not in _FIRST_PREDICATES
        ],
        classes=sorted(declared_classes, key=lambda e: label_key(e[0])),
        properties=sorted(declared_properties, key=lambda e: label_key(e[0])),
        others=sorted(other_terms, key=lambda e: label_key(e[0])),
        jsonld=vocabulary_doc,
        turtle_file="vocabulary.ttl",
        jsonld_file="vocabulary.jsonld",
    )

    # Timeline: the picture, and the dated resources' dates, types and labels as JSON-LD
    dated = _dated(views)
    layout = _timeline_layout(dated)
    dated_nodes = [ox.NamedNode(d.iri) for d in dated]
    timeline_triples = sorted(
        {
            t
            for n in dated_nodes
            for t in union.get(n, [])
            if t.predicate.value in (_RDF_TYPE, _LABEL)
            or (isinstance(t.object, ox.Literal) and t.object.datatype.value in DATE_TYPES)
        },
        key=str,
    )
    timeline_doc = jsonld_document(dated_nodes, timeline_triples)
    svg_template = environment.get_template("timeline.svg.j2")
    for standalone, target in ((False, "timeline.html"), (True, "timeline.svg")):
        svg = svg_template.render(t=layout, standalone=standalone, root="", path=target)
        if standalone:
            files[target] = svg.encode("utf-8")
        else:
            render(
                "timeline.html.j2",
                target,
                timeline=layout,
                svg=_markup(svg),
                jsonld=timeline_doc,
            )

    # The dataset description and the assets
    files["dataset.ttl"] = serialize_description(description, "turtle")
    files["dataset.jsonld"] = serialize_description(description, "jsonld")
    files["assets/style.css"] = _asset("style.css")
    files["assets/site.js"] = _asset("site.js")
    return dict(sorted(files.items()))


def _markup(text: str) -> Any:
    """Mark already-escaped template output as safe (for nesting the SVG in the page)."""
    import markupsafe

    return markupsafe.Markup(text)


def _dataset_summary(description: Sequence[Any]) -> dict[str, Any]:
    """The facts of the DCAT description the index page shows."""
    import pyoxigraph as ox

    from .describe import DATASET_IRI

    def values(subject: str, predicate: str) -> list[Any]:
        return sorted(
            (
                q.object
                for q in description
                if q.subject.value == subject and q.predicate.value == predicate
            ),
            key=str,
        )

    def by_lang(subject: str, predicate: str) -> dict[str, str]:
        return {
            o.language: o.value
            for o in values(subject, predicate)
            if isinstance(o, ox.Literal) and o.language
        }

    dcat, dct, void, spdx = (
        "http://www.w3.org/ns/dcat#",
        "http://purl.org/dc/terms/",
        "http://rdfs.org/ns/void#",
        "http://spdx.org/rdf/terms#",
    )
    distributions = []
    for dist in values(DATASET_IRI, dcat + "distribution"):
        checksum = values(dist.value, spdx + "checksum")
        digest = values(checksum[0].value, spdx + "checksumValue")[0].value if checksum else ""
        distributions.append(
            {
                "title": by_lang(dist.value, dct + "title").get("en", dist.value),
                "url": values(dist.value, dcat + "downloadURL")[0].value,
                "media_type": values(dist.value, dcat + "mediaType")[0].value.rsplit("/", 2)[-2:],
                "size": values(dist.value, dcat + "byteSize")[0].value,
                "sha256": digest,
            }
        )

    def one(predicate: str) -> str:
        found = values(DATASET_IRI, predicate)
        return found[0].value if found else ""

    return {
        "title": tuple(sorted(by_lang(DATASET_IRI, dct + "title").items())),
        "description": tuple(sorted(by_lang(DATASET_IRI, dct + "description").items())),
        "license": one(dct + "license"),
        "version": one(dcat + "version"),
        "issued": one(dct + "issued"),
        "modified": one(dct + "modified"),
        "triples": one(void + "triples"),
        "entities": one(void + "entities"),
        "distributions": distributions,
    }


def build_site(
    directory: str | Path,
    quads: Sequence[ox.Quad] | None = None,
    *,
    base_url: str | None = None,
    force: bool = False,
) -> SiteResult:
    """Write the site of *quads* (default: the shipped data) to *directory*, atomically.

    The site is built beside *directory* and renamed into place; an existing
    *directory* is replaced if it is empty or a previous ssc-kg site or release, any
    other non-empty directory only with ``force=True``.

    :raises OutputError: *directory* cannot be used (see :func:`ssc_kg.outdir.write_tree`).
    :raises SscKgError: bad *base_url* or data without dates.
    """
    from .outdir import check_target, write_tree

    check_target(directory, force=force)  # before the work
    if quads is None:
        from .io import parse_quads
        from .resources import data_files

        quads = parse_quads(data_files())
    files = render_site(quads, base_url=base_url)
    path = write_tree(directory, files, kind="site", force=force)
    pages = sum(1 for name in files if name.endswith(".html"))
    return SiteResult(path, pages, len(files) + 1)
