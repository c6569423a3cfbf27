"""ssc_kg.query: union default graph, GRAPH patterns, result formats, refusals."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Literal, URIRef

from ssc_kg.errors import FormatError, QueryError
from ssc_kg.query import QueryResult, query

from .conftest import EXTRA, SAMPLE

SSCID = "https://w3id.org/ssc-kg/id/"
SSCG = "https://w3id.org/ssc-kg/graph/"

LABELS_EN = """
SELECT ?org ?label WHERE { ?org a org:Organization ; rdfs:label ?label .
  FILTER(lang(?label) = "en") } ORDER BY ?org
"""


def test_select_over_the_union_with_predeclared_prefixes(sample_ds: Dataset) -> None:
    result = query(sample_ds, LABELS_EN)
    assert isinstance(result, QueryResult)
    assert result.kind == "select"
    assert result.variables == ("org", "label")
    assert result.rows == (
        (URIRef(SSCID + "un"), Literal("United Nations", lang="en")),
        (URIRef(SSCID + "unep"), Literal("UN Environment Programme", lang="en")),
    )


def test_result_is_iterable(sample_ds: Dataset) -> None:
    assert list(query(sample_ds, LABELS_EN)) == list(query(sample_ds, LABELS_EN).rows)
    assert list(query(sample_ds, "ASK { ?s ?p ?o }")) == [True]
    triples = list(query(sample_ds, "CONSTRUCT WHERE { ?s a org:Organization }"))
    assert len(triples) == 2
    assert triples == sorted(triples, key=lambda t: tuple(x.n3() for x in t))


def test_default_graph_is_the_union(sample_ds: Dataset) -> None:
    # A join across graphs: the claim graph's triple + the entities graph's label.
    result = query(
        sample_ds,
        "SELECT ?label WHERE { sscid:unep org:subOrganizationOf ?parent . "
        "?parent rdfs:label ?label . FILTER(lang(?label) = 'fr') }",
    )
    assert result.rows == ((Literal("Nations Unies", lang="fr"),),)


def test_graph_patterns_see_named_graphs(sample_ds: Dataset) -> None:
    result = query(
        sample_ds,
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    )
    assert [(str(g), int(n)) for g, n in result.rows] == [  # type: ignore[arg-type]
        (SSCG + "claim/src1/c1", 3),
        (SSCG + "entities", 11),
    ]


def test_ask(sample_ds: Dataset) -> None:
    yes = query(sample_ds, "ASK { sscid:unep a org:Organization }")
    assert yes.kind == "ask"
    assert yes.boolean is True
    assert yes.serialize("table") == b"true\n"
    assert query(sample_ds, "ASK { sscid:nobody ?p ?o }").boolean is False
    assert json.loads(yes.serialize("json"))["boolean"] is True


def test_construct(sample_ds: Dataset) -> None:
    result = query(
        sample_ds,
        "CONSTRUCT { ?o rdfs:label ?l } WHERE { ?o a org:Organization ; rdfs:label ?l }",
    )
    assert result.kind == "construct"
    assert result.graph is not None
    assert len(result.graph) == 5
    turtle = result.serialize("turtle")
    assert b"@prefix sscid:" in turtle
    parsed = list(ox.parse(result.serialize("jsonld"), ox.RdfFormat.JSON_LD))
    assert len(parsed) == 5
    assert result.serialize("xml").startswith(b"<?xml")  # RDF/XML for graphs


def test_describe(sample_ds: Dataset) -> None:
    result = query(sample_ds, "DESCRIBE sscid:undp")
    assert result.kind == "construct"
    assert result.graph is not None
    assert len(result.graph) >= 1


def test_unbound_values_are_none(sample_ds: Dataset) -> None:
    result = query(
        sample_ds,
        "SELECT ?s ?pref WHERE { ?s a org:Organization OPTIONAL { ?s skos:prefLabel ?pref } }"
        " ORDER BY ?s",
    )
    assert result.rows == (
        (URIRef(SSCID + "un"), None),
        (URIRef(SSCID + "unep"), Literal("UNEP", lang="en")),
    )


def test_table_output(sample_ds: Dataset) -> None:
    table = query(sample_ds, LABELS_EN).serialize("table").decode("utf-8")
    assert table.splitlines() == [
        "org         label",
        "----------  ---------------------------",
        "sscid:un    United Nations@en",
        "sscid:unep  UN Environment Programme@en",
        "(2 rows)",
    ]


def test_table_shows_typed_literals_and_escapes(sample_ds: Dataset) -> None:
    table = query(
        sample_ds,
        "SELECT ?d ?n ?note WHERE { sscid:unep ssc:founded ?d ; ssc:memberCount ?n ;"
        " ssc:note ?note }",
    ).to_table()
    row = table.splitlines()[2]
    assert "1972-06-15^^xsd:date" in row
    assert " 193 " in row
    assert "multi-line\\ntext" in row  # one line per row


def test_csv_tsv_json_xml(sample_ds: Dataset) -> None:
    result = query(sample_ds, LABELS_EN)
    rows = list(csv.reader(io.StringIO(result.serialize("csv").decode("utf-8"))))
    assert rows[0] == ["org", "label"]
    assert rows[1] == [SSCID + "un", "United Nations"]
    tsv = result.serialize("tsv").decode("utf-8").splitlines()
    assert tsv[0] == "?org\t?label"
    assert tsv[1] == f'<{SSCID}un>\t"United Nations"@en'
    data = json.loads(result.serialize("json"))
    assert data["head"]["vars"] == ["org", "label"]
    assert data["results"]["bindings"][0]["label"] == {
        "type": "literal",
        "value": "United Nations",
        "xml:lang": "en",
    }
    assert b"<sparql" in result.serialize("xml")
    parsed = ox.parse_query_results(result.serialize("json"), ox.QueryResultsFormat.JSON)
    assert len(list(parsed)) == 2


@pytest.mark.parametrize(
    ("sparql", "fmt"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "turtle"),
        ("ASK { ?s ?p ?o }", "nt"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "csv"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "table"),
        ("SELECT * WHERE { ?s ?p ?o }", "yaml"),
    ],
)
def test_format_must_fit_the_result(sample_ds: Dataset, sparql: str, fmt: str) -> None:
    with pytest.raises(FormatError):
        query(sample_ds, sparql).serialize(fmt)


def test_syntax_error_is_one_line_with_position(sample_ds: Dataset) -> None:
    with pytest.raises(QueryError) as excinfo:
        query(sample_ds, "SELECT * WHERE {\n  ?s ?p \n}")
    message = str(excinfo.value)
    assert message.startswith("SPARQL syntax error: line 3, column")
    assert "\n" not in message


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE {SERVICE<http://example.org/sparql>{?s ?p ?o}}",
        "SELECT * WHERE { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_service_is_refused(sample_ds: Dataset, sparql: str) -> None:
    with pytest.raises(QueryError, match="SERVICE"):
        query(sample_ds, sparql)


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT ?service WHERE { ?service ?p ?o } LIMIT 1",
        'SELECT * WHERE { ?s ?p "SERVICE" }',
        "SELECT * WHERE { ?s <http://e/SERVICE> ?o }",
        "SELECT * WHERE { ?s ssc:SERVICE ?o }",
        "# SERVICE in a comment\nSELECT * WHERE { ?s ?p ?o } LIMIT 1",
    ],
)
def test_the_word_service_elsewhere_is_fine(sample_ds: Dataset, sparql: str) -> None:
    assert query(sample_ds, sparql).kind == "select"


def test_service_allowed_when_network_is_allowed(sample_ds: Dataset) -> None:
    # Port 9 (discard) is refused by oxigraph's HTTP client itself: no packet is sent.
    with pytest.raises(QueryError) as excinfo:
        query(
            sample_ds,
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            allow_network=True,
        )
    assert "needs network access" not in str(excinfo.value)


def test_blank_nodes_in_results_are_stable(sample_ds: Dataset) -> None:
    sparql = "SELECT ?a WHERE { sscid:unep schema:address ?a }"
    first = query(sample_ds, sparql).serialize("json")
    assert first == query(sample_ds, sparql).serialize("json")
    assert b"c14n0" in first


_SCRIPT = """
import sys
from ssc_kg.io import load
from ssc_kg.query import query
ds = load(sys.argv[1:], shipped=False)
sys.stdout.buffer.write(query(ds, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }").serialize("csv"))
sys.stdout.buffer.write(query(ds, "SELECT DISTINCT ?s ?p WHERE { ?s ?p ?o }").serialize("csv"))
"""


def test_results_are_deterministic_across_processes(tmp_path: Path) -> None:
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(SAMPLE), str(EXTRA)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        for seed in ("3", "77")
    ]
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") > 20
