"""The DCAT/VoID description of the dataset (``ssc-kg describe``).

The description is validated against the shape we ship (shapes/dcat/dataset.ttl) with
pyshacl; its sizes and checksums are compared with the bytes ``ssc-kg export`` writes
(hashed here with hashlib); its counts with SPARQL over ``data/*.trig`` parsed by pyoxigraph
directly, never through ssc_kg.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result
from pyshacl import validate
from rdflib import Graph

from ssc_kg.formats import FORMATS
from ssc_kg.resources import dcat_shape_file

from .conftest import run_module

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = sorted((REPO / "data").glob("*.trig"))

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
SPDX = "http://spdx.org/rdf/terms#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATASET = ox.NamedNode("https://w3id.org/ssc-kg/dataset")
PREFIXES = {"dcat": DCAT, "dct": DCT, "void": VOID, "spdx": SPDX, "xsd": XSD}


@pytest.fixture(scope="module")
def turtle() -> bytes:
    """``ssc-kg describe`` of the shipped data, from a real process."""
    done = run_module(["describe"], cwd=REPO / "tests")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    return done.stdout


@pytest.fixture(scope="module")
def description(turtle: bytes) -> ox.Store:
    store = ox.Store()
    store.extend(ox.parse(turtle, ox.RdfFormat.TURTLE))
    return store


@pytest.fixture(scope="module")
def data() -> ox.Store:
    store = ox.Store()
    for path in DATA_FILES:
        store.extend(ox.parse(path=str(path)))
    return store


def _select(store: ox.Store, sparql: str, *, union: bool = False) -> list[ox.QuerySolution]:
    result = store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=union)
    assert isinstance(result, ox.QuerySolutions)
    return list(result)


def _one(store: ox.Store, subject: ox.NamedNode, predicate: str) -> ox.Term:
    values = [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)]
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def _conforms(turtle: bytes) -> tuple[bool, str]:
    shape = dcat_shape_file()
    assert shape is not None
    assert shape.parent.name == "dcat"
    conforms, _, text = validate(
        Graph().parse(data=turtle, format="turtle"),
        shacl_graph=Graph().parse(shape, format="turtle"),
        inference="none",
        advanced=True,
    )
    return bool(conforms), str(text)


def test_description_conforms_to_the_shipped_shape(turtle: bytes) -> None:
    conforms, report = _conforms(turtle)
    assert conforms, report


_CHECKSUM_VALUE = "<http://spdx.org/rdf/terms#checksumValue>"


@pytest.mark.parametrize(
    ("what", "remove", "add"),
    [
        (
            "no English title",
            '<http://purl.org/dc/terms/title> "South-South Cooperation knowledge graph'
            ' (ssc-kg)"@en',
            None,
        ),
        ("no checksum", "<http://spdx.org/rdf/terms#checksum>", None),
        ("no byte size", "<http://www.w3.org/ns/dcat#byteSize>", None),
        ("no license", "<http://purl.org/dc/terms/license>", None),
        (
            "a media type that is not an IANA IRI",
            "<http://www.w3.org/ns/dcat#mediaType>",
            "<http://www.w3.org/ns/dcat#mediaType> <urn:x:text/turtle>",
        ),
        ("a checksum that is not SHA-256 hex", _CHECKSUM_VALUE, f'{_CHECKSUM_VALUE} "xyz"'),
    ],
)
def test_the_shape_rejects_a_broken_description(
    turtle: bytes, what: str, remove: str, add: str | None
) -> None:
    """The shape can fail: each broken copy of the description does not conform."""
    lines = ox.serialize(ox.parse(turtle, ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)
    assert lines is not None
    kept, dropped = [], []
    for line in lines.decode().splitlines():
        (dropped if remove in line else kept).append(line)
    assert dropped, f"nothing to remove for {what}"
    if add is not None:  # replace the first removed statement's predicate and object
        subject = dropped[0].split(" ", 1)[0]
        kept.append(f"{subject} {add} .")
    conforms, _ = _conforms("\n".join(kept).encode())
    assert not conforms, what


def test_one_distribution_per_format_with_the_exact_export_bytes(
    description: ox.Store, turtle: bytes, call: Callable[..., Result]
) -> None:
    # (the store reads derived integer types back as xsd:integer: check the datatype here)
    sizes = [
        t for t in ox.parse(turtle, ox.RdfFormat.TURTLE) if t.predicate.value.endswith("#byteSize")
    ]
    assert len(sizes) == len(FORMATS)
    assert {t.object.datatype.value for t in sizes} == {XSD + "nonNegativeInteger"}  # type: ignore[union-attr]
    rows = _select(
        description,
        "SELECT ?d ?url ?type ?size ?algorithm ?digest WHERE { "
        "<https://w3id.org/ssc-kg/dataset> dcat:distribution ?d . "
        "?d dcat:downloadURL ?url ; dcat:mediaType ?type ; dcat:byteSize ?size ; "
        "spdx:checksum [ spdx:algorithm ?algorithm ; spdx:checksumValue ?digest ] }",
    )
    assert len(rows) == len(FORMATS)
    by_media_type = {fmt.media_type: fmt for fmt in FORMATS.values()}
    for row in rows:
        media_type = row["type"].value.removeprefix("https://www.iana.org/assignments/media-types/")
        fmt = by_media_type.pop(media_type)
        assert row["url"].value.endswith("/ssc-kg" + fmt.extensions[0])
        exported = call("export", "--format", fmt.name).stdout_bytes
        assert row["size"].value == str(len(exported))
        assert row["algorithm"].value == SPDX + "checksumAlgorithm_sha256"
        assert row["digest"].value == hashlib.sha256(exported).hexdigest()
    assert not by_media_type


@pytest.fixture
def call() -> Callable[..., Result]:
    """The command line in-process (stdout as bytes)."""
    from ssc_kg.cli import cli

    from .conftest import make_runner

    runner = make_runner()

    def invoke(*args: str) -> Result:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return invoke


def test_void_counts_are_those_of_the_data(description: ox.Store, data: ox.Store) -> None:
    def count(sparql: str) -> int:
        (row,) = _select(data, sparql)
        return int(row[0].value)

    quads = count("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
    union = "{ SELECT DISTINCT ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } }"
    expected = {
        VOID + "triples": quads,
        VOID + "distinctSubjects": count(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {union}"),
        VOID + "distinctObjects": count(f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {union}"),
        VOID + "properties": count(f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {union}"),
        VOID + "entities": count(
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {union} "
            'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/ssc-kg/id/")) }'
        ),
    }
    assert quads == 1254  # README: "triples (all graphs): 1254"
    for predicate, value in expected.items():
        literal = _one(description, DATASET, predicate)
        assert literal == ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
    classes = {
        row["c"].value: int(row["n"].value)
        for row in _select(
            data,
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
            union=True,
        )
    }
    partitions = {
        row["c"].value: int(row["n"].value)
        for row in _select(
            description,
            "SELECT ?c ?n WHERE { <https://w3id.org/ssc-kg/dataset> void:classPartition ?p . "
            "?p void:class ?c ; void:entities ?n }",
        )
    }
    assert partitions == classes
    assert partitions["https://w3id.org/ssc-kg/def#SeedClaim"] == 48


def test_bilingual_license_version_and_dates_from_the_data(
    description: ox.Store, data: ox.Store
) -> None:
    titles = {
        q.object.language
        for q in description.quads_for_pattern(DATASET, ox.NamedNode(DCT + "title"), None)
    }
    assert titles == {"id", "en"}
    descriptions = {
        q.object.language
        for q in description.quads_for_pattern(DATASET, ox.NamedNode(DCT + "description"), None)
    }
    assert descriptions == {"id", "en"}
    license_iri = _one(description, DATASET, DCT + "license")
    assert license_iri == ox.NamedNode("https://creativecommons.org/licenses/by/4.0/")
    assert _one(description, DATASET, DCAT + "version").value == version("ssc-kg")
    # The data has no publication dates: the newest date it states is used (no clock)
    (latest,) = _select(
        data,
        "SELECT ?d WHERE { ?s ?p ?d FILTER(DATATYPE(?d) IN (xsd:date, xsd:gYear)) } "
        "ORDER BY DESC(STR(?d)) LIMIT 1",
        union=True,
    )
    assert latest["d"] == ox.Literal("2024-09-12", datatype=ox.NamedNode(XSD + "date"))
    assert _one(description, DATASET, DCT + "issued") == latest["d"]
    assert _one(description, DATASET, DCT + "modified") == latest["d"]
    publisher = _one(description, DATASET, DCT + "publisher")
    assert isinstance(publisher, ox.NamedNode)
    types = {
        q.object for q in description.quads_for_pattern(publisher, ox.NamedNode(RDF_TYPE), None)
    }
    assert ox.NamedNode("http://xmlns.com/foaf/0.1/Agent") in types


def test_formats_base_url_and_output_file(
    turtle: bytes, call: Callable[..., Result], tmp_path: Path
) -> None:
    turtle_triples = set(ox.parse(turtle, ox.RdfFormat.TURTLE))
    for fmt in FORMATS.values():
        payload = call("describe", "--format", fmt.name).stdout_bytes
        assert set(ox.parse(payload, fmt.rdf_format)) == turtle_triples, fmt.name
    target = tmp_path / "dataset.nt"
    call("describe", "-o", str(target))
    assert set(ox.parse(path=str(target))) == turtle_triples
    moved = call("describe", "--base-url", "https://example.org/ssc").stdout_bytes
    urls = {
        t.object.value
        for t in ox.parse(moved, ox.RdfFormat.TURTLE)
        if t.predicate.value == DCAT + "downloadURL"
    }
    assert urls
    assert all(url.startswith("https://example.org/ssc/ssc-kg.") for url in urls)


def test_description_is_the_same_in_every_process(turtle: bytes, tmp_path: Path) -> None:
    done = run_module(["describe"], cwd=tmp_path, seed="12345")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == turtle


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example.org/"], "not an absolute http(s) URL"),
        (["--base-url", "https://example.org/?q=1"], "must not have a query"),
        (["--base-url", "https://[::1/"], "is not a URL"),
        (["--no-shipped", "--data", "undated.ttl"], "states no date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "undated.ttl").write_text("<urn:x:a> <urn:x:b> <urn:x:c> .\n")
    done = run_module(["describe", *args], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0]
