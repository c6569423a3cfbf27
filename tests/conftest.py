"""Shared fixtures. Tests use the files in tests/fixtures/, never the shipped data,
and write only under pytest's tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from rdflib import Dataset

from ssc_kg.cli import cli
from ssc_kg.io import load

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "sample.trig"
EXTRA = FIXTURES / "extra.ttl"
MALFORMED = FIXTURES / "malformed.ttl"
SHAPES = FIXTURES / "shapes.ttl"
VIOLATIONS = FIXTURES / "violations.trig"
ILLTYPED = FIXTURES / "illtyped.ttl"
REMOTE_CONTEXT = FIXTURES / "remote-context.jsonld"
INLINE_JSONLD = FIXTURES / "inline.jsonld"
SELECT_QUERY = FIXTURES / "query-select.rq"

# Hypothesis must not write into the repository (.hypothesis/ in the working directory).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ssc-kg-hypothesis")
settings.register_profile("ssc-kg", database=None)
settings.load_profile("ssc-kg")

# Load only the fixtures, never the shipped dataset.
SAMPLE_ARGS = ("--no-shipped", "--data", str(SAMPLE), "--data", str(EXTRA))


def make_runner() -> CliRunner:
    """A CliRunner with separate stdout and stderr (click 8.1 and 8.2+)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the root group: ``run("export", "--format", "nt", input=...)``."""
    runner = make_runner()

    def invoke(*args: str, input: str | bytes | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def sample_ds() -> Dataset:
    return load([SAMPLE, EXTRA], shipped=False)


def run_module(
    args: Sequence[str], *, cwd: Path, seed: str = "0", **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m ssc_kg ARGS`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "ssc_kg", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
        **kwargs,
    )


# ----------------------------------------------------------------- dataset comparison


def _rdflib_term(term: object) -> object:
    """pyoxigraph term -> rdflib term (independent of ssc_kg's own converter)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal), term
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


def graphs_by_name(quads: object) -> dict[str | None, object]:
    """Group pyoxigraph quads into one rdflib Graph per graph name (None: default)."""
    import pyoxigraph as ox
    from rdflib import Graph

    graphs: dict[str | None, Graph] = {}
    for quad in quads:  # type: ignore[attr-defined]
        name = None if isinstance(quad.graph_name, ox.DefaultGraph) else str(quad.graph_name)
        graph = graphs.setdefault(name, Graph())
        graph.add(tuple(_rdflib_term(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graphs  # type: ignore[return-value]


def assert_isomorphic_datasets(actual: object, expected: object) -> None:
    """Same graph names, and each graph isomorphic (rdflib.compare.to_isomorphic)."""
    from rdflib.compare import graph_diff, to_isomorphic

    got = graphs_by_name(actual)
    want = graphs_by_name(expected)
    assert sorted(got, key=str) == sorted(want, key=str)
    for name, graph in want.items():
        iso_got, iso_want = to_isomorphic(got[name]), to_isomorphic(graph)  # type: ignore[arg-type]
        if iso_got != iso_want:
            _, only_got, only_want = graph_diff(iso_got, iso_want)
            raise AssertionError(
                f"graph {name}: only in actual {sorted(only_got)}; "
                f"only in expected {sorted(only_want)}"
            )


def dataset_quads(ds: Dataset, *, union: bool = False) -> list[object]:
    """The library dataset as pyoxigraph quads (for comparisons)."""
    import pyoxigraph as ox

    from ssc_kg.io import oxigraph_quads

    quads = oxigraph_quads(ds)
    if union:
        quads = list({ox.Quad(q.subject, q.predicate, q.object) for q in quads})
    return quads  # type: ignore[return-value]
