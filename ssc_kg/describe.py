"""A DCAT description of the dataset, with VoID statistics, as RDF.

:func:`describe_quads` returns the description as pyoxigraph quads (all in the default
graph); :func:`describe` serializes it. It says what a data portal needs to harvest the
dataset:

* a ``dcat:Catalog`` holding one ``dcat:Dataset`` (also a ``void:Dataset`` and a
  ``schema:Dataset``, for search engines) with ``dct:title`` and ``dct:description`` in
  Indonesian and English, ``dct:publisher`` (the ssc-kg editors), ``dct:license``
  (`CC BY 4.0 <https://creativecommons.org/licenses/by/4.0/>`_), ``owl:versionInfo`` and
  ``dcat:version`` (the installed ssc-kg version), ``dct:issued`` / ``dct:modified``
  and ``dct:temporal`` (see :func:`data_dates`), ``dct:language``, ``dcat:keyword``,
  ``dct:source`` (the seed articles) and ``dcat:landingPage`` (the web site);
* one ``dcat:Distribution`` per export format (:data:`ssc_kg.formats.FORMATS`): the
  file name ``ssc-kg.<ext>``, ``dcat:mediaType`` (an IANA media type IRI),
  ``dcat:byteSize`` and an ``spdx:checksum`` (SHA-256) of the exact bytes ``ssc-kg
  export`` writes -- computed here from the exports made in memory, so they equal the
  files of ``ssc-kg release``;
* VoID counts: ``void:triples`` (triples over all graphs, i.e. N-Quads lines),
  ``void:distinctSubjects``, ``void:distinctObjects``, ``void:properties``,
  ``void:classes``, ``void:entities`` (IRIs under ``void:uriSpace``
  ``https://w3id.org/ssc-kg/id/`` that have a description), one ``void:classPartition``
  per class (``void:class``, ``void:entities``) and one ``void:propertyPartition`` per
  property (``void:property``, ``void:triples``), counted over the union of all graphs.

Nothing depends on the clock: the dates come from the data, the version from the
package metadata, and the output is sorted (:mod:`ssc_kg.io`), so the same data gives
the same bytes. Download URLs are ``BASE_URL + file name``; the default base,
:func:`default_base_url`, is the release folder under the project's persistent IRI
space; pass ``base_url`` where the release is actually hosted.

Example:

>>> from ssc_kg.io import parse_quads
>>> from ssc_kg.resources import data_files
>>> turtle = describe(parse_quads(data_files()), "turtle")
>>> b"<http://www.w3.org/ns/dcat#Dataset>" in turtle or b"dcat:Dataset" in turtle
True
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from .errors import SscKgError
from .formats import FORMATS, Format, resolve_format
from .namespaces import PREFIXES, SSCID, compact_iri

if TYPE_CHECKING:
    import pyoxigraph as ox

__all__ = [
    "CATALOG_IRI",
    "DATASET_IRI",
    "DESCRIPTION_PREFIXES",
    "EXPORT_STEM",
    "LICENSE",
    "DataDates",
    "check_base_url",
    "data_dates",
    "default_base_url",
    "describe",
    "describe_quads",
    "export_file_name",
    "exports",
]

DATASET_IRI = "https://w3id.org/ssc-kg/dataset"
CATALOG_IRI = "https://w3id.org/ssc-kg/catalog"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
"""The dataset's license: Creative Commons Attribution 4.0 International (CC BY 4.0)."""
EXPORT_STEM = "ssc-kg"
"""Export files are named ``ssc-kg`` + the format's preferred extension."""
PUBLISHER = SSCID + "ssc-kg-editors"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_DCT = "http://purl.org/dc/terms/"
_SCHEMA = "http://schema.org/"
_DCAT = "http://www.w3.org/ns/dcat#"
_VOID = "http://rdfs.org/ns/void#"
_SPDX = "http://spdx.org/rdf/terms#"
_FOAF = "http://xmlns.com/foaf/0.1/"
_SSC = "https://w3id.org/ssc-kg/def#"
_IANA = "https://www.iana.org/assignments/media-types/"
_EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"

DESCRIPTION_PREFIXES: Mapping[str, str] = MappingProxyType(
    {**PREFIXES, "dcat": _DCAT, "void": _VOID, "spdx": _SPDX, "foaf": _FOAF}
)
"""The project prefixes plus those of DCAT, VoID, SPDX and FOAF (used in Turtle/TriG output)."""

_TITLE = {
    "en": "South-South Cooperation knowledge graph (ssc-kg)",
    "id": "Graf pengetahuan Kerja Sama Selatan-Selatan (ssc-kg)",
}
_DESCRIPTION = {
    "en": (
        "A small, curated and fully sourced RDF knowledge graph of South-South cooperation, "
        "built from two Indonesian news articles. Every fact lives in a named graph for the "
        "source sentence that states it, described with PROV-O together with the verbatim "
        "Indonesian sentence; facts not in the articles come only from cited UN documents. "
        "Every named resource has Indonesian and English labels; the data is validated "
        "with SHACL."
    ),
    "id": (
        "Graf pengetahuan RDF yang kecil, dikurasi, dan seluruhnya bersumber tentang kerja "
        "sama Selatan-Selatan, disusun dari dua artikel berita berbahasa Indonesia. Setiap "
        "fakta berada dalam graf bernama untuk kalimat sumber yang menyatakannya, dijelaskan "
        "dengan PROV-O beserta kalimat aslinya dalam bahasa Indonesia; fakta yang tidak ada "
        "dalam artikel hanya berasal dari dokumen PBB yang dikutip. Setiap sumber daya "
        "bernama memiliki label bahasa Indonesia dan bahasa Inggris; data divalidasi "
        "dengan SHACL."
    ),
}
_KEYWORDS = {
    "en": ("South-South cooperation", "United Nations", "UNOSSC", "knowledge graph", "provenance"),
    "id": ("Kerja Sama Selatan-Selatan", "Perserikatan Bangsa-Bangsa", "graf pengetahuan"),
}
_CATALOG_TITLE = {"en": "ssc-kg data catalogue", "id": "Katalog data ssc-kg"}
_PUBLISHER_NAME = {"en": "ssc-kg editors", "id": "Editor ssc-kg"}

_DATE_TYPES = frozenset(_XSD + t for t in ("date", "dateTime", "gYear", "gYearMonth"))
_ISSUED = (_DCT + "issued", _SCHEMA + "datePublished")
_MODIFIED = (_DCT + "modified", _SCHEMA + "dateModified")
_DATE_TEXT = r"(-?\d{4,})(?:-(\d{2}))?(?:-(\d{2}))?"


def default_base_url() -> str:
    """``https://w3id.org/ssc-kg/release/<version>/``: where the release files are published."""
    from . import __version__

    return f"https://w3id.org/ssc-kg/release/{__version__}/"


def check_base_url(url: str | None) -> str:
    """*url* as a base for download URLs (``/`` appended); ``None`` gives the default.

    >>> check_base_url("https://example.org/ssc")
    'https://example.org/ssc/'

    :raises SscKgError: not an absolute http(s) URL, or it has a query or fragment.
    """
    from urllib.parse import urlsplit

    import pyoxigraph as ox

    if url is None:
        return default_base_url()
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise SscKgError(f"base URL {url!r} is not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SscKgError(f"base URL {url!r} is not an absolute http(s) URL")
    if parts.query or parts.fragment or any(c in url for c in ' <>"{}|\\^`'):
        raise SscKgError(f"base URL {url!r} must not have a query, a fragment or spaces")
    base = url if url.endswith("/") else url + "/"
    try:
        ox.NamedNode(base + "x")
    except ValueError as error:
        raise SscKgError(f"base URL {url!r} is not a valid IRI: {error}") from None
    return base


def export_file_name(fmt: str | Format) -> str:
    """``ssc-kg.ttl`` for Turtle, ``ssc-kg.jsonld`` for JSON-LD, ... (the preferred extension)."""
    return EXPORT_STEM + resolve_format(fmt).extensions[0]


def exports(quads: Sequence[ox.Quad]) -> dict[str, bytes]:
    """Every export of *quads* (file name -> the bytes ``ssc-kg export`` writes), sorted."""
    from .io import serialize_quads

    ordered = sorted(FORMATS.values(), key=export_file_name)
    return {export_file_name(f): serialize_quads(quads, f) for f in ordered}


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class DataDates:
    """Dates of the dataset, all taken from the data (see :func:`data_dates`)."""

    issued: ox.Literal
    modified: ox.Literal
    earliest: ox.Literal
    """The earliest date the data states (start of ``dct:temporal``)."""
    latest: ox.Literal
    """The latest date the data states (end of ``dct:temporal``)."""


def _date_key(literal: ox.Literal) -> tuple[int, int, int, str] | None:
    match = re.match(_DATE_TEXT, literal.value)
    if match is None:
        return None
    year, month, day = match.groups()
    return int(year), int(month or 0), int(day or 0), literal.value


def data_dates(quads: Iterable[ox.Quad]) -> DataDates:
    """The dates of the dataset, from the data (never the clock).

    * ``issued``: the latest ``dct:issued`` or ``schema:datePublished`` in the data;
    * ``modified``: the latest of those and ``dct:modified`` / ``schema:dateModified``;
    * ``earliest`` / ``latest``: the earliest and latest date-typed literal
      (``xsd:date``, ``xsd:dateTime``, ``xsd:gYear``, ``xsd:gYearMonth``).

    Data without publication dates of its own (the shipped data has none: its articles
    are undated) gets ``latest`` for ``issued`` and ``modified``: the data is current as
    of the newest date it states.

    :raises SscKgError: the data has no date at all.
    """
    import pyoxigraph as ox

    issued: list[tuple[tuple[int, int, int, str], ox.Literal]] = []
    modified: list[tuple[tuple[int, int, int, str], ox.Literal]] = []
    stated: list[tuple[tuple[int, int, int, str], ox.Literal]] = []
    for quad in quads:
        obj = quad.object
        if not isinstance(obj, ox.Literal) or obj.datatype.value not in _DATE_TYPES:
            continue
        key = _date_key(obj)
        if key is None:
            continue
        key = (*key[:3], str(obj))
        stated.append((key, obj))
        predicate = quad.predicate.value
        if predicate in _ISSUED:
            issued.append((key, obj))
            modified.append((key, obj))
        elif predicate in _MODIFIED:
            modified.append((key, obj))
    if not stated:
        raise SscKgError("the data states no date (xsd:date, xsd:gYear ...): cannot date it")
    latest = max(stated, key=lambda kv: kv[0])[1]
    return DataDates(
        issued=max(issued, key=lambda kv: kv[0])[1] if issued else latest,
        modified=max(modified, key=lambda kv: kv[0])[1] if modified else latest,
        earliest=min(stated, key=lambda kv: kv[0])[1],
        latest=latest,
    )


# --------------------------------------------------------------------------- the description


def _fragment(prefix: str, iri: str, taken: set[str]) -> str:
    """A readable, unique fragment for a partition: ``class-schema-Organization``."""
    compact = compact_iri(iri)
    if compact.startswith("<"):
        name = f"{prefix}-{hashlib.sha256(iri.encode()).hexdigest()[:12]}"
    else:
        name = prefix + "-" + re.sub(r"[^A-Za-z0-9._-]", "-", compact.replace(":", "-", 1))
    if name in taken:
        name += "-" + hashlib.sha256(iri.encode()).hexdigest()[:12]
    taken.add(name)
    return name


def describe_quads(
    quads: Sequence[ox.Quad],
    *,
    base_url: str | None = None,
    export_bytes: Mapping[str, bytes] | None = None,
) -> list[ox.Quad]:
    """The DCAT/VoID description of *quads* (see the module documentation).

    :param base_url: where the export files are published (see :func:`check_base_url`).
    :param export_bytes: the exports, as :func:`exports` returns them (computed if None).
    :returns: the description, sorted, all in the default graph.
    :raises SscKgError: bad *base_url*, or data without any date.
    """
    import pyoxigraph as ox

    from .io import canonical_quads
    from .stats import stats_quads

    base = check_base_url(base_url)
    from . import __version__

    data = canonical_quads(quads)
    files = dict(export_bytes) if export_bytes is not None else exports(data)
    out: list[ox.Quad] = []

    def iri(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def add(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal | str) -> None:
        node = iri(obj) if isinstance(obj, str) else obj
        out.append(ox.Quad(iri(subject), iri(predicate), node))

    def text(value: str, language: str | None = None) -> ox.Literal:
        return ox.Literal(value, language=language) if language else ox.Literal(value)

    def integer(value: int, datatype: str = "integer") -> ox.Literal:
        return ox.Literal(str(value), datatype=iri(_XSD + datatype))

    dataset, catalog = DATASET_IRI, CATALOG_IRI
    counts = stats_quads(data)
    dates = data_dates(data)
    landing = base + "site/index.html"

    # The catalogue and the publisher
    add(catalog, _RDF + "type", _DCAT + "Catalog")
    for lang, value in sorted(_CATALOG_TITLE.items()):
        add(catalog, _DCT + "title", text(value, lang))
    add(catalog, _DCT + "publisher", PUBLISHER)
    add(catalog, _DCT + "license", LICENSE)
    add(catalog, _DCAT + "dataset", dataset)
    add(catalog, _FOAF + "homepage", landing)
    add(PUBLISHER, _RDF + "type", _FOAF + "Agent")
    names: dict[str, str] = {}
    for q in data:
        obj = q.object
        if (
            q.predicate.value == _RDFS + "label"
            and isinstance(q.subject, ox.NamedNode)
            and q.subject.value == PUBLISHER
            and isinstance(obj, ox.Literal)
            and obj.language in ("id", "en")
        ):
            names[obj.language] = obj.value
    for lang, value in sorted((names or _PUBLISHER_NAME).items()):
        add(PUBLISHER, _FOAF + "name", text(value, lang))

    # The dataset
    for cls in (_DCAT + "Dataset", _VOID + "Dataset", _SCHEMA + "Dataset"):
        add(dataset, _RDF + "type", cls)
    for lang in ("en", "id"):
        add(dataset, _DCT + "title", text(_TITLE[lang], lang))
        add(dataset, _SCHEMA + "name", text(_TITLE[lang], lang))
        add(dataset, _DCT + "description", text(_DESCRIPTION[lang], lang))
        add(dataset, _SCHEMA + "description", text(_DESCRIPTION[lang], lang))
        for keyword in _KEYWORDS[lang]:
            add(dataset, _DCAT + "keyword", text(keyword, lang))
            add(dataset, _SCHEMA + "keywords", text(keyword, lang))
    add(dataset, _DCT + "publisher", PUBLISHER)
    add(dataset, _DCT + "license", LICENSE)
    add(dataset, _SCHEMA + "license", LICENSE)
    add(dataset, _OWL + "versionInfo", text(__version__))
    add(dataset, _DCAT + "version", text(__version__))
    add(dataset, _SCHEMA + "version", text(__version__))
    add(dataset, _DCT + "issued", dates.issued)
    add(dataset, _DCT + "modified", dates.modified)
    add(dataset, _SCHEMA + "datePublished", dates.issued)
    add(dataset, _SCHEMA + "dateModified", dates.modified)
    for code, tag in (("ENG", "en"), ("IND", "id")):
        add(dataset, _DCT + "language", _EU_LANGUAGE + code)
        add(dataset, _SCHEMA + "inLanguage", text(tag))
    period = dataset + "#temporal"
    add(dataset, _DCT + "temporal", period)
    add(period, _RDF + "type", _DCT + "PeriodOfTime")
    add(period, _DCAT + "startDate", dates.earliest)
    add(period, _DCAT + "endDate", dates.latest)
    add(dataset, _DCAT + "landingPage", landing)
    add(dataset, _SCHEMA + "url", landing)
    seeds = sorted(
        {
            q.subject.value
            for q in data
            if q.predicate.value == _SSC + "seedFile" and isinstance(q.subject, ox.NamedNode)
        }
    )
    for source in seeds:
        add(dataset, _DCT + "source", source)

    # Distributions: one per export format, with the exact bytes' size and digest
    for fmt in sorted(FORMATS.values(), key=lambda f: f.name):
        name = export_file_name(fmt)
        if name not in files:
            raise SscKgError(f"no export bytes given for {name}")
        payload = files[name]
        dist = f"{dataset}#distribution-{fmt.name}"
        checksum = f"{dist}-sha256"
        url = base + name
        add(dataset, _DCAT + "distribution", dist)
        add(dataset, _SCHEMA + "distribution", dist)
        add(dataset, _VOID + "dataDump", url)
        add(dist, _RDF + "type", _DCAT + "Distribution")
        add(dist, _RDF + "type", _SCHEMA + "DataDownload")
        add(dist, _DCT + "title", text(f"ssc-kg ({fmt.label})", "en"))
        add(dist, _DCT + "title", text(f"ssc-kg ({fmt.label})", "id"))
        if fmt.quads:
            note_en, note_id = (
                "The whole dataset; named graphs (provenance) kept.",
                "Seluruh dataset; graf bernama (provenans) dipertahankan.",
            )
        else:
            note_en, note_id = (
                "The union of all graphs in one graph; the graph names are not kept.",
                "Gabungan semua graf dalam satu graf; nama graf tidak dipertahankan.",
            )
        add(dist, _DCT + "description", text(note_en, "en"))
        add(dist, _DCT + "description", text(note_id, "id"))
        add(dist, _DCAT + "mediaType", _IANA + fmt.media_type)
        add(dist, _SCHEMA + "encodingFormat", text(fmt.media_type))
        add(dist, _DCAT + "downloadURL", url)
        add(dist, _DCAT + "accessURL", url)
        add(dist, _SCHEMA + "contentUrl", url)
        add(dist, _DCT + "license", LICENSE)
        add(dist, _DCAT + "byteSize", integer(len(payload), "nonNegativeInteger"))
        add(dist, _SPDX + "checksum", checksum)
        add(checksum, _RDF + "type", _SPDX + "Checksum")
        add(checksum, _SPDX + "algorithm", _SPDX + "checksumAlgorithm_sha256")
        add(
            checksum,
            _SPDX + "checksumValue",
            ox.Literal(hashlib.sha256(payload).hexdigest(), datatype=iri(_XSD + "hexBinary")),
        )

    # VoID statistics (over the union of all graphs, except void:triples)
    union = {q.triple for q in data}
    subjects = {t.subject for t in union}
    objects = {t.object for t in union}
    predicates: dict[str, int] = {}
    for t in union:
        predicates[t.predicate.value] = predicates.get(t.predicate.value, 0) + 1
    entities = {
        s.value for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(SSCID)
    }
    add(dataset, _VOID + "triples", integer(counts.triples))
    add(dataset, _VOID + "distinctSubjects", integer(len(subjects)))
    add(dataset, _VOID + "distinctObjects", integer(len(objects)))
    add(dataset, _VOID + "properties", integer(len(predicates)))
    add(dataset, _VOID + "classes", integer(len(counts.classes)))
    add(dataset, _VOID + "entities", integer(len(entities)))
    add(dataset, _VOID + "uriSpace", text(SSCID))
    used = set(predicates) | {cls for cls, _ in counts.classes}
    for namespace in sorted(set(PREFIXES.values())):
        if any(term.startswith(namespace) for term in used):
            add(dataset, _VOID + "vocabulary", namespace)
    taken: set[str] = set()
    for cls, count in sorted(counts.classes):
        partition = f"{dataset}#{_fragment('class', cls, taken)}"
        add(dataset, _VOID + "classPartition", partition)
        add(partition, _VOID + "class", cls)
        add(partition, _VOID + "entities", integer(count))
    for predicate, count in sorted(predicates.items()):
        partition = f"{dataset}#{_fragment('property', predicate, taken)}"
        add(dataset, _VOID + "propertyPartition", partition)
        add(partition, _VOID + "property", predicate)
        add(partition, _VOID + "triples", integer(count))
    return canonical_quads(out)


def serialize_description(quads: Sequence[ox.Quad], fmt: str | Format = "turtle") -> bytes:
    """Serialize description quads; Turtle and TriG also declare the DCAT/VoID/SPDX prefixes.

    Same canonical (sorted) form as :func:`ssc_kg.io.serialize_quads`, so the bytes only
    depend on the quads.
    """
    import pyoxigraph as ox

    from .io import canonical, serialize_quads

    target = resolve_format(fmt)
    if target.name not in ("turtle", "trig"):
        return serialize_quads(quads, target)
    data = canonical(quads, union=not target.quads)
    text = "\n".join(data.lines)
    prefixes = {p: ns for p, ns in sorted(DESCRIPTION_PREFIXES.items()) if "<" + ns in text}
    output = ox.serialize(data.items, format=target.rdf_format, prefixes=prefixes)
    assert output is not None
    return output


def describe(
    quads: Sequence[ox.Quad],
    fmt: str | Format = "turtle",
    *,
    base_url: str | None = None,
    export_bytes: Mapping[str, bytes] | None = None,
) -> bytes:
    """The DCAT/VoID description of *quads* in format *fmt* (default Turtle).

    See :func:`describe_quads` for the parameters.
    """
    return serialize_description(
        describe_quads(quads, base_url=base_url, export_bytes=export_bytes), fmt
    )
