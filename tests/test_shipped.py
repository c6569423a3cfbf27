"""The shipped graph itself, checked by independent implementations, and the installed package.

Expected data always comes from parsing ``data/*.trig`` with pyoxigraph directly, never from
ssc_kg, so a bug in the library's loader or serializer cannot hide itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyld import jsonld

import ssc_kg
from ssc_kg.formats import FORMATS, Format
from ssc_kg.resources import data_files

from .conftest import assert_isomorphic_datasets

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = sorted((REPO / "data").glob("*.trig"))


def _refuse_network(url: str, options: object = None) -> object:
    raise AssertionError(f"a remote document was requested: {url}")


def _expected(*, union: bool) -> list[ox.Quad]:
    quads: set[ox.Quad] = set()
    for path in DATA_FILES:
        for quad in ox.parse(path=str(path)):
            quads.add(ox.Quad(quad.subject, quad.predicate, quad.object) if union else quad)
    return sorted(quads, key=str)


@pytest.fixture(scope="module")
def shipped() -> object:
    return ssc_kg.load()


def test_there_is_shipped_data() -> None:
    assert [p.name for p in DATA_FILES] == sorted(p.name for p in data_files())


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_export_parsed_by_pyoxigraph_is_the_shipped_data(shipped: object, fmt: Format) -> None:
    output = ssc_kg.serialize(shipped, fmt)  # type: ignore[arg-type]
    parsed = list(ox.parse(output, fmt.rdf_format))
    assert_isomorphic_datasets(parsed, _expected(union=not fmt.quads))


def test_jsonld_export_read_by_pyld_is_the_shipped_data(shipped: object) -> None:
    document = json.loads(ssc_kg.serialize(shipped, "jsonld"))  # type: ignore[arg-type]
    nquads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": _refuse_network}
    )
    assert_isomorphic_datasets(list(ox.parse(nquads, ox.RdfFormat.N_QUADS)), _expected(union=False))


def test_jsonld_export_uses_readable_keys(shipped: object) -> None:
    """The context turns the common properties into plain keys and language maps."""
    document = json.loads(ssc_kg.serialize(shipped, "jsonld"))  # type: ignore[arg-type]
    undp = [
        node
        for graph in document["@graph"]
        if graph.get("id") == "sscg:entities"
        for node in graph["@graph"]
        if node.get("id") == "sscid:undp"
    ]
    assert undp == [
        {
            "id": "sscid:undp",
            "type": ["schema:Organization", "org:Organization"],  # sorted by IRI
            "label": {
                "en": "United Nations Development Programme",
                "id": "Program Pembangunan PBB",
            },
            "altLabel": {"en": "UNDP", "id": "UNDP"},
        }
    ]


def test_data_readme_lists_every_claim_graph() -> None:
    """data/README.md's checklist names every claim graph of the data."""
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    graphs = {
        q.graph_name.value
        for q in _expected(union=False)
        if isinstance(q.graph_name, ox.NamedNode)
    }
    prefix = "https://w3id.org/ssc-kg/graph/"
    claims = sorted(g.removeprefix(prefix) for g in graphs if g not in {
        prefix + "vocabulary", prefix + "entities"})
    missing = [c for c in claims if f"`sscg:{c}`" not in readme]
    assert not missing, f"claim graphs missing from data/README.md: {missing}"


def _installed_console_script() -> str | None:
    script = Path(sys.executable).with_name("ssc-kg")
    return str(script) if script.exists() else shutil.which("ssc-kg")


def test_installed_command_works_from_any_folder(tmp_path: Path) -> None:
    """`ssc-kg export` from an unrelated folder prints the whole shipped graph."""
    script = _installed_console_script()
    if script is None:
        pytest.skip("the ssc-kg console script is not installed (pip install .)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [script, "export", "--format", "nquads"],
        cwd=tmp_path, env=env, capture_output=True, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    parsed = list(ox.parse(done.stdout, ox.RdfFormat.N_QUADS))
    assert_isomorphic_datasets(parsed, _expected(union=False))


def test_installed_package_carries_its_data(tmp_path: Path) -> None:
    """A non-editable install reads data, shapes and queries from inside the package."""
    probe = (
        "import json, ssc_kg, ssc_kg.resources as r;"
        "print(json.dumps([ssc_kg.__file__, [str(p) for p in r.data_files()],"
        " [str(p) for p in r.shape_files()], [str(p) for p in r.query_files()]]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env,
        capture_output=True, check=True, timeout=60,
    )
    init, data, shapes, queries = json.loads(done.stdout)
    package = Path(init).parent
    if package.parent == REPO:
        pytest.skip("ssc_kg is imported from the checkout (editable install)")
    for files, folder in ((data, "data"), (shapes, "shapes"), (queries, "queries")):
        assert files, f"no {folder} files found"
        assert all(Path(f).parent == package / folder for f in files), files
    assert sorted(Path(f).name for f in data) == [p.name for p in DATA_FILES]


JS_DIR = REPO / "tests" / "js"
NODE = shutil.which("node")


@pytest.mark.skipif(
    NODE is None or not (JS_DIR / "node_modules" / "jsonld").is_dir(),
    reason="jsonld.js not installed (needs node; run: npm ci --prefix tests/js)",
)
def test_jsonld_export_read_by_jsonld_js_in_safe_mode(shipped: object, tmp_path: Path) -> None:
    """jsonld.js in safe mode fails on any term our context would silently drop."""
    path = tmp_path / "ssc.jsonld"
    path.write_bytes(ssc_kg.serialize(shipped, "jsonld"))  # type: ignore[arg-type]
    done = subprocess.run(
        [str(NODE), str(JS_DIR / "jsonld-safe.mjs"), str(path)],
        capture_output=True, check=False, timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    parsed = list(ox.parse(done.stdout, ox.RdfFormat.N_QUADS))
    assert_isomorphic_datasets(parsed, _expected(union=False))


@pytest.mark.skipif(
    NODE is None or not (JS_DIR / "node_modules" / "jsonld").is_dir(),
    reason="jsonld.js not installed (needs node; run: npm ci --prefix tests/js)",
)
def test_jsonld_safe_mode_harness_catches_a_dropped_term(tmp_path: Path) -> None:
    """The check above can fail: a key the context does not map is an error in safe mode."""
    path = tmp_path / "bad.jsonld"
    path.write_text('{"@context": {"a": "http://ex/a"}, "@id": "http://ex/s", "a": "x", "b": "y"}')
    done = subprocess.run(
        [str(NODE), str(JS_DIR / "jsonld-safe.mjs"), str(path)],
        capture_output=True, check=False, timeout=120,
    )
    assert done.returncode == 2
    assert "Safe mode" in done.stderr.decode()
