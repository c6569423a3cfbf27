"""ssc_kg.validate: SHACL on the union graph, dataset-level checks, reports."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef

from ssc_kg.errors import InputError, ValidationError
from ssc_kg.io import load
from ssc_kg.validate import (
    DATASET_GRAPHS_DESCRIBED,
    DATASET_LITERALS_WELL_FORMED,
    ValidationReport,
    ValidationResult,
    validate,
)

from .conftest import EXTRA, ILLTYPED, MALFORMED, SAMPLE, SHAPES, VIOLATIONS

SSCID = "https://w3id.org/ssc-kg/id/"
SSCG = "https://w3id.org/ssc-kg/graph/"

SHAPES_HEADER = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def _write_shapes(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "shapes.ttl"
    path.write_text(SHAPES_HEADER + body, encoding="utf-8")
    return path


def test_conforming_data_with_a_warning(sample_ds: Dataset) -> None:
    report = validate(sample_ds, shapes=[SHAPES])
    assert isinstance(report, ValidationReport)
    assert report.conforms is True
    assert [r.severity for r in report.results] == ["Warning"]
    warning = report.results[0]
    assert warning.focus_node == URIRef(SSCID + "un")
    assert str(warning.path) == "http://www.w3.org/2004/02/skos/core#prefLabel"
    assert warning.message == "an organization should have a preferred label"
    assert str(warning.constraint_component).endswith("#MinCountConstraintComponent")


def test_validation_uses_the_union_of_graphs(sample_ds: Dataset) -> None:
    # sscid:un is typed and labelled inside the named graph sscg:entities only; its type
    # must be visible to the shapes, so the label check runs and passes for it.
    report = validate(sample_ds, shapes=[SHAPES])
    focus = {str(r.focus_node) for r in report.results}
    assert SSCID + "un" in focus  # the shape targeted it (via the union)
    assert not any(r.severity == "Violation" for r in report.results)


def test_violations_make_it_non_conforming() -> None:
    ds = load([SAMPLE, EXTRA, VIOLATIONS], shipped=False)
    report = validate(ds, shapes=[SHAPES])
    assert report.conforms is False
    violations = [r for r in report.results if r.severity == "Violation"]
    shapes = {str(r.source_shape) for r in violations if isinstance(r.source_shape, URIRef)}
    assert DATASET_GRAPHS_DESCRIBED in shapes
    label = [r for r in violations if r.focus_node == URIRef(SSCID + "nolabel")]
    assert label
    assert label[0].message == "an organization needs a label"


def test_undescribed_named_graph_is_a_violation() -> None:
    ds = load([VIOLATIONS], shipped=False)
    report = validate(ds, shapes=[])
    assert report.conforms is False
    (result,) = report.results
    assert result.focus_node == URIRef(SSCG + "orphan")
    assert str(result.source_shape) == DATASET_GRAPHS_DESCRIBED
    assert DATASET_GRAPHS_DESCRIBED == "https://w3id.org/ssc-kg/def#DatasetGraphsDescribed"
    assert result.severity == "Violation"


def test_described_graphs_pass_without_shapes(sample_ds: Dataset) -> None:
    report = validate(sample_ds, shapes=[])
    assert report.conforms is True
    assert report.results == ()


@pytest.mark.parametrize(
    "kind", ["Claim", "SeedClaim", "PrimarySourceClaim", "CuratorInference", "CuratedGraph"]
)
def test_every_claim_type_describes_a_graph(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "g.trig"
    path.write_text(
        "@prefix ssc: <https://w3id.org/ssc-kg/def#> .\n"
        f"<http://e/g> a ssc:{kind} .\n"
        "GRAPH <http://e/g> { <http://e/s> <http://e/p> <http://e/o> . }\n",
        encoding="utf-8",
    )
    assert validate(load([path], shipped=False), shapes=[]).conforms


def test_ill_typed_literal_gives_a_clean_result(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: "abc"^^xsd:date must not produce a traceback (rdflib logs one)."""
    ds = load([SAMPLE, ILLTYPED], shipped=False)
    with caplog.at_level(logging.DEBUG):
        report = validate(ds, shapes=[SHAPES])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err + caplog.text
    assert report.conforms is False
    bad = [r for r in report.results if r.focus_node == URIRef(SSCID + "bad")]
    assert any(str(r.source_shape) == DATASET_LITERALS_WELL_FORMED for r in bad)
    assert any(str(r.constraint_component).endswith("#DatatypeConstraintComponent") for r in bad)


def test_ill_typed_literal_is_reported_without_any_shape() -> None:
    report = validate(load([ILLTYPED], shipped=False), shapes=[])
    assert report.conforms is False
    assert [str(r.source_shape) for r in report.results] == [DATASET_LITERALS_WELL_FORMED]
    assert "'abc' is not a valid xsd:date" in report.results[0].message


def test_to_text_lines_and_summary() -> None:
    ds = load([SAMPLE, EXTRA, VIOLATIONS], shipped=False)
    text = validate(ds, shapes=[SHAPES]).to_text()
    lines = text.splitlines()
    assert lines[-1].startswith("does not conform (")
    findings = lines[:-1]
    assert "[VIOLATION] sscid:nolabel rdfs:label: an organization needs a label" in findings
    assert "[WARNING] sscid:un skos:prefLabel: an organization should have a preferred label" in (
        findings
    )
    assert "[VIOLATION] sscg:orphan rdf:type: named graph is not described" in text
    severities = [line.split("]")[0] for line in findings]
    assert severities == sorted(severities, key=["[VIOLATION", "[WARNING", "[INFO"].index)


def test_to_json(sample_ds: Dataset) -> None:
    data = json.loads(validate(sample_ds, shapes=[SHAPES]).to_json())
    assert data["conforms"] is True
    assert data["counts"] == {"violation": 0, "warning": 1, "info": 0}
    (result,) = data["results"]
    assert result["focus_node"] == f"<{SSCID}un>"
    assert result["path"] == "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    assert result["severity"] == "Warning"


def test_report_is_deterministic() -> None:
    ds = load([SAMPLE, EXTRA, VIOLATIONS, ILLTYPED], shipped=False)
    assert validate(ds, shapes=[SHAPES]).to_json() == validate(ds, shapes=[SHAPES]).to_json()


def test_complex_paths_are_rendered(tmp_path: Path) -> None:
    shapes = _write_shapes(
        tmp_path,
        "<http://e/S> a sh:NodeShape ; sh:targetClass org:Organization ;\n"
        "  sh:property [ sh:path ( org:subOrganizationOf rdfs:label ) ; sh:minCount 5 ] ;\n"
        "  sh:property [ sh:path [ sh:inversePath org:subOrganizationOf ] ; sh:minCount 5 ] .\n",
    )
    report = validate(load([SAMPLE], shipped=False), shapes=[shapes])
    paths = {r.path_text for r in report.results}
    assert "org:subOrganizationOf/rdfs:label" in paths
    assert "^org:subOrganizationOf" in paths


def test_shapes_graph_argument(sample_ds: Dataset) -> None:
    shapes = Graph().parse(SHAPES, format="turtle")
    assert (
        validate(sample_ds, shapes=shapes).to_text()
        == validate(sample_ds, shapes=[SHAPES]).to_text()
    )


@pytest.mark.parametrize(
    "body",
    [
        "<http://e/S> a sh:NodeShape ; sh:targetClass org:Organization ;"
        ' sh:property [ sh:path rdfs:label ; sh:pattern "(" ] .\n',
        "<http://e/S> a sh:NodeShape ; sh:targetClass org:Organization ;"
        ' sh:property [ sh:path rdfs:label ; sh:minCount "abc" ] .\n',
        "<http://e/S> a sh:NodeShape ; sh:targetClass org:Organization ;"
        ' sh:property [ sh:path "literal" ; sh:minCount 1 ] .\n',
    ],
)
def test_broken_shapes_raise_validation_error(
    tmp_path: Path, sample_ds: Dataset, body: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate(sample_ds, shapes=[_write_shapes(tmp_path, body)])
    assert "\n" not in str(excinfo.value)


def test_sparql_constraints_work_and_service_is_refused(tmp_path: Path, sample_ds: Dataset) -> None:
    constraint = (
        "<http://e/S> a sh:NodeShape ; sh:targetClass org:Organization ;\n"
        '  sh:sparql [ sh:message "has a French label" ; sh:select """\n'
        "    SELECT $this WHERE {{ {service} $this <http://www.w3.org/2000/01/rdf-schema#label> ?l"
        ' . FILTER(lang(?l) = "fr") {close} }}""" ] .\n'
    )
    ok = _write_shapes(tmp_path, constraint.format(service="", close=""))
    report = validate(sample_ds, shapes=[ok])
    assert {r.message for r in report.results} == {"has a French label"}
    remote = _write_shapes(
        tmp_path, constraint.format(service="SERVICE <http://127.0.0.1:9/> {", close="}")
    )
    with pytest.raises(ValidationError, match="SERVICE"):
        validate(sample_ds, shapes=[remote])


def test_malformed_shapes_file(sample_ds: Dataset) -> None:
    with pytest.raises(InputError) as excinfo:
        validate(sample_ds, shapes=[MALFORMED])
    assert str(excinfo.value).startswith(f"{MALFORMED}:6:")


def test_no_deprecation_warnings_escape(sample_ds: Dataset) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        validate(sample_ds, shapes=[SHAPES])


def test_result_is_frozen(sample_ds: Dataset) -> None:
    result = validate(sample_ds, shapes=[SHAPES]).results[0]
    assert isinstance(result, ValidationResult)
    with pytest.raises(AttributeError):
        result.message = "x"  # type: ignore[misc]


# ------------------------------------------------------------------- engines


def test_auto_engine_uses_the_fast_engine_for_the_shipped_shapes(sample_ds: Dataset) -> None:
    report = validate(sample_ds)
    assert report.engine == "fast"
    assert validate(sample_ds, engine="pyshacl").engine == "pyshacl"


@pytest.mark.parametrize("engine", ["auto", "fast", "pyshacl"])
def test_every_engine_gives_the_same_report(engine: str) -> None:
    ds = load([SAMPLE, EXTRA, VIOLATIONS, ILLTYPED], shipped=False)
    reference = validate(ds, shapes=[SHAPES], engine="pyshacl")
    report = validate(ds, shapes=[SHAPES], engine=engine)  # type: ignore[arg-type]
    assert report.to_json() == reference.to_json()
    assert report.results == reference.results


def test_auto_engine_falls_back_to_pyshacl(tmp_path: Path, sample_ds: Dataset) -> None:
    """sh:sparql is outside the fast engine's subset: auto runs pyshacl, fast refuses."""
    shapes = _write_shapes(
        tmp_path,
        "<http://e/S> a sh:NodeShape ; sh:targetClass org:Organization ;\n"
        '  sh:sparql [ sh:message "m" ; sh:select "SELECT $this WHERE { $this ?p ?o }" ] .\n',
    )
    assert validate(sample_ds, shapes=[shapes]).engine == "pyshacl"
    with pytest.raises(ValidationError, match=r"fast SHACL engine cannot validate.*sh:sparql"):
        validate(sample_ds, shapes=[shapes], engine="fast")


def test_pyoxigraph_quads_are_accepted() -> None:
    from ssc_kg.io import parse_quads

    quads = parse_quads([SAMPLE, EXTRA])
    expected = validate(load([SAMPLE, EXTRA], shipped=False), shapes=[SHAPES]).to_json()
    assert validate(quads, shapes=[SHAPES]).to_json() == expected
    assert validate(quads, shapes=[SHAPES], engine="pyshacl", jobs=2).to_json() == expected
