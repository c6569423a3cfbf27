"""Loading, serializing (determinism, round trips), JSON-LD, atomic writes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld
from rdflib import BNode, Dataset, Literal, URIRef

import ssc_kg
from ssc_kg.errors import FormatError, InputError
from ssc_kg.formats import FORMATS, Format
from ssc_kg.io import STDIN, load, serialize, write_atomic
from ssc_kg.resources import data_files, jsonld_context, query_files, shape_files

from .conftest import (
    EXTRA,
    ILLTYPED,
    INLINE_JSONLD,
    MALFORMED,
    REMOTE_CONTEXT,
    SAMPLE,
    assert_isomorphic_datasets,
    dataset_quads,
)

SSCG = "https://w3id.org/ssc-kg/graph/"
SSCID = "https://w3id.org/ssc-kg/id/"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


def _graph_names(ds: Dataset) -> set[str]:
    return {str(g) for *_, g in ds.quads((None, None, None, None)) if g is not None} - {
        "urn:x-rdflib:default"
    }


def _no_parse_loader(url: str, options: object = None) -> object:
    raise AssertionError(f"a remote document was requested: {url}")


# --------------------------------------------------------------------------- loading


def test_load_keeps_default_and_named_graphs(sample_ds: Dataset) -> None:
    assert _graph_names(sample_ds) == {SSCG + "entities", SSCG + "claim/src1/c1"}
    default = sample_ds.default_graph
    # Descriptions of the named graphs live in the default graph ...
    assert (URIRef(SSCG + "entities"), None, None) in default
    # ... as do the triples of the Turtle file ...
    assert (URIRef(SSCID + "undp"), RDFS_LABEL, None) in default
    # ... but not the triples of named graphs.
    assert (URIRef(SSCID + "un"), RDFS_LABEL, None) not in default
    entities = sample_ds.graph(URIRef(SSCG + "entities"))
    assert (URIRef(SSCID + "un"), RDFS_LABEL, Literal("Nations Unies", lang="fr")) in entities


def test_load_is_a_plain_dataset(sample_ds: Dataset) -> None:
    assert isinstance(sample_ds, Dataset)
    assert sample_ds.default_union is False


def test_shipped_flag_adds_shipped_files() -> None:
    shipped_count = len(data_files())
    ds = load([SAMPLE], shipped=False)
    assert len(list(ds.quads((None, None, None, None)))) > 0
    if shipped_count == 0:  # the shipped data may not exist yet
        assert len(list(load([SAMPLE]).quads((None, None, None, None)))) == len(
            list(ds.quads((None, None, None, None)))
        )


def test_a_single_path_is_accepted() -> None:
    assert len(load(str(EXTRA), shipped=False).default_graph) == len(
        load([EXTRA], shipped=False).default_graph
    )
    assert len(load(EXTRA, shipped=False).default_graph) > 0


def test_load_nothing() -> None:
    ds = load(shipped=False)
    assert list(ds.quads((None, None, None, None))) == []


def test_literals_are_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "lit.ttl"
    path.write_text(
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        '<http://e/s> <http://e/p> "01"^^xsd:integer, "plain", "typed"^^xsd:string, '
        '"x"@EN-gb .\n',
        encoding="utf-8",
    )
    objects = set(load([path], shipped=False).default_graph.objects())
    lexical = {(str(o), o.datatype, o.language) for o in objects if isinstance(o, Literal)}
    xsd_integer = URIRef("http://www.w3.org/2001/XMLSchema#integer")
    assert ("01", xsd_integer, None) in lexical  # not normalized to "1"
    assert ("plain", None, None) in lexical
    assert ("typed", None, None) in lexical  # xsd:string == simple literal (RDF 1.1)
    assert ("x", None, "en-gb") in lexical


def test_blank_nodes_are_scoped_per_file(tmp_path: Path) -> None:
    for name in ("a.ttl", "b.ttl"):
        (tmp_path / name).write_text('_:x <http://e/p> "v" .\n', encoding="utf-8")
    ds = load([tmp_path / "a.ttl", tmp_path / "b.ttl"], shipped=False)
    subjects = set(ds.default_graph.subjects())
    assert len(subjects) == 2
    assert all(isinstance(s, BNode) for s in subjects)


def test_blank_node_labels_are_deterministic(tmp_path: Path) -> None:
    path = tmp_path / "b.ttl"
    path.write_text('[] <http://e/p> [ <http://e/q> "1" ] .\n', encoding="utf-8")
    first = sorted(str(t) for q in load([path], shipped=False).quads() for t in q[:3])
    second = sorted(str(t) for q in load([path], shipped=False).quads() for t in q[:3])
    assert first == second


def test_ill_typed_literal_loads_without_logged_traceback(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.DEBUG):
        ds = load([ILLTYPED], shipped=False)
    assert any(isinstance(o, Literal) and o.ill_typed for o in ds.default_graph.objects())
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out + caplog.text


def test_malformed_turtle_names_file_and_line() -> None:
    with pytest.raises(InputError) as excinfo:
        load([MALFORMED], shipped=False)
    error = excinfo.value
    assert error.path == str(MALFORMED)
    assert error.line == 6  # the missing dot (line 5) is noticed on line 6
    assert str(error).startswith(f"{MALFORMED}:6: ")
    assert "\n" not in str(error)


def test_missing_file() -> None:
    with pytest.raises(InputError, match=r"nope\.ttl: no such file"):
        load(["nope.ttl"], shipped=False)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    with pytest.raises(InputError, match="directory"):
        load([folder], shipped=False)


def test_unknown_extension_needs_input_format(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text('<http://e/s> <http://e/p> "o" .\n', encoding="utf-8")
    with pytest.raises(FormatError, match=r"\.txt"):
        load([path], shipped=False)
    ds = load([path], shipped=False, input_format="nt")
    assert len(ds.default_graph) == 1


def test_stdin_needs_input_format(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="stdin"):
        load([STDIN], shipped=False)


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ttl"
    path.write_bytes('<http://e/s> <http://e/p> "caf\xe9" .\n'.encode("latin-1"))
    with pytest.raises(InputError) as excinfo:
        load([path], shipped=False)
    assert str(excinfo.value).startswith(str(path))


def test_jsonld_input_with_inline_context() -> None:
    ds = load([INLINE_JSONLD], shipped=False)
    assert _graph_names(ds) == {SSCG + "g"}
    assert (URIRef(SSCID + "x"), RDFS_LABEL, Literal("X", lang="en")) in ds.default_graph


def test_jsonld_remote_context_is_refused_not_fetched() -> None:
    with pytest.raises(InputError) as excinfo:
        load([REMOTE_CONTEXT], shipped=False)
    message = str(excinfo.value)
    assert message.startswith(str(REMOTE_CONTEXT))
    assert "never fetched" in message


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_round_trip_with_pyoxigraph(sample_ds: Dataset, fmt: Format) -> None:
    """Each format parsed back by pyoxigraph (an independent parser) gives the same data."""
    output = serialize(sample_ds, fmt)
    parsed = list(ox.parse(output, fmt.rdf_format))
    assert_isomorphic_datasets(parsed, dataset_quads(sample_ds, union=not fmt.quads))


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_round_trip_through_load(sample_ds: Dataset, fmt: Format, tmp_path: Path) -> None:
    path = tmp_path / f"out{fmt.extensions[0]}"
    path.write_bytes(serialize(sample_ds, fmt))
    again = load([path], shipped=False)
    assert_isomorphic_datasets(dataset_quads(again), dataset_quads(sample_ds, union=not fmt.quads))
    # and writing it again gives the same bytes
    assert serialize(again, fmt) == serialize(sample_ds, fmt)


def test_jsonld_round_trip_with_pyld(sample_ds: Dataset) -> None:
    """pyld (a second, independent JSON-LD implementation) reads back the same quads."""
    document = json.loads(serialize(sample_ds, "jsonld"))
    nquads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": _no_parse_loader}
    )
    parsed = list(ox.parse(nquads, ox.RdfFormat.N_QUADS))
    assert_isomorphic_datasets(parsed, dataset_quads(sample_ds))


def test_jsonld_layout(sample_ds: Dataset) -> None:
    document = json.loads(serialize(sample_ds, "jsonld"))
    assert set(document) == {"@context", "@graph"}
    assert document["@context"] == jsonld_context()  # our context, inline
    expanded = jsonld.expand(document, {"documentLoader": _no_parse_loader})
    named = {node["@id"] for node in expanded if "@graph" in node}
    assert named == {SSCG + "entities", SSCG + "claim/src1/c1"}
    top_level_ids = {node.get("@id") for node in expanded}
    assert SSCID + "undp" in top_level_ids  # default-graph nodes at the top level


def test_jsonld_output_is_sorted_and_formatted(sample_ds: Dataset) -> None:
    text = serialize(sample_ds, "jsonld").decode("utf-8")
    document = json.loads(text)
    assert text == json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert "Организация" in text  # ensure_ascii=False


def test_triple_formats_merge_graphs(sample_ds: Dataset) -> None:
    for name in ("turtle", "nt", "xml"):
        parsed = list(ox.parse(serialize(sample_ds, name), FORMATS[name].rdf_format))
        assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in parsed)
        labels = {str(q.object) for q in parsed if q.predicate.value == str(RDFS_LABEL)}
        assert '"Nations Unies"@fr' in labels  # from the named graph sscg:entities
        assert '"UN Development Programme"@en' in labels  # from the default graph


def test_quad_formats_keep_graphs(sample_ds: Dataset) -> None:
    for name in ("trig", "nquads", "jsonld"):
        parsed = ox.parse(serialize(sample_ds, name), FORMATS[name].rdf_format)
        names = {q.graph_name.value for q in parsed if isinstance(q.graph_name, ox.NamedNode)}
        assert names == {SSCG + "entities", SSCG + "claim/src1/c1"}


def test_turtle_uses_our_prefixes(sample_ds: Dataset) -> None:
    text = serialize(sample_ds, "turtle").decode("utf-8")
    assert "@prefix sscid: <https://w3id.org/ssc-kg/id/> ." in text
    assert "@prefix undo:" not in text  # unused prefixes are left out


def test_blank_nodes_are_relabelled_canonically(tmp_path: Path) -> None:
    one, two = tmp_path / "one.ttl", tmp_path / "two.ttl"
    one.write_text('_:a <http://e/p> _:b . _:b <http://e/q> "x" .\n', encoding="utf-8")
    two.write_text('_:zz9 <http://e/p> [ <http://e/q> "x" ] .\n', encoding="utf-8")
    for name in FORMATS:
        first = serialize(load([one], shipped=False), name)
        assert first == serialize(load([two], shipped=False), name), name
    assert b"_:c14n" in serialize(load([one], shipped=False), "nt")


def test_serialize_accepts_a_graph(sample_ds: Dataset) -> None:
    union = ssc_kg.io.union_graph(sample_ds)
    assert serialize(union, "nt") == serialize(sample_ds, "nt")


def test_serialize_unknown_format(sample_ds: Dataset) -> None:
    with pytest.raises(FormatError):
        serialize(sample_ds, "n3")


def test_rdfxml_refuses_predicates_it_cannot_write() -> None:
    ds = Dataset()
    ds.default_graph.add((URIRef("http://e/s"), URIRef("http://e/p/"), Literal("x")))
    with pytest.raises(FormatError, match="RDF/XML"):
        serialize(ds, "xml")
    assert serialize(ds, "nt")  # other formats are fine


def test_empty_dataset_in_every_format() -> None:
    ds = Dataset()
    for name, fmt in FORMATS.items():
        output = serialize(ds, name)
        assert list(ox.parse(output, fmt.rdf_format)) == [], name


# Property-based round trip: arbitrary text, languages and datatypes survive every format.
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\ufeff")
    | st.sampled_from("\n\t\"'\\<>&{}@#"),
    max_size=30,
)
_LITERALS = st.one_of(
    _TEXT.map(Literal),
    st.tuples(_TEXT, st.sampled_from(["en", "fr", "id", "zh-hant", "es-419"])).map(
        lambda t: Literal(t[0], lang=t[1])
    ),
    st.integers(-(10**20), 10**20).map(
        lambda i: Literal(str(i), datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))
    ),
    _TEXT.map(lambda s: Literal(s, datatype=URIRef("http://example.org/dt#custom"))),
)
_NAMES = st.sampled_from([None, SSCG + "a", SSCG + "claim/x/1"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 3), _LITERALS, _NAMES), min_size=1, max_size=8))
def test_round_trip_property(rows: list[tuple[int, Literal, str | None]]) -> None:
    ds = Dataset()
    for index, literal, graph in rows:
        triple = (URIRef(f"{SSCID}r{index}"), URIRef("https://w3id.org/ssc-kg/def#v"), literal)
        if graph is None:
            ds.default_graph.add(triple)
        else:
            ds.graph(URIRef(graph)).add(triple)
    for fmt in FORMATS.values():
        output = serialize(ds, fmt)
        parsed = list(ox.parse(output, fmt.rdf_format))
        assert_isomorphic_datasets(parsed, dataset_quads(ds, union=not fmt.quads))
    nquads = jsonld.to_rdf(
        json.loads(serialize(ds, "jsonld")),
        {"format": "application/n-quads", "documentLoader": _no_parse_loader},
    )
    assert_isomorphic_datasets(list(ox.parse(nquads, ox.RdfFormat.N_QUADS)), dataset_quads(ds))


# --------------------------------------------------------------------------- determinism

_DETERMINISM_SCRIPT = """
import sys
from ssc_kg.io import load, serialize
ds = load(sys.argv[2:], shipped=False)
sys.stdout.buffer.write(serialize(ds, sys.argv[1]))
"""


@pytest.mark.parametrize("name", list(FORMATS))
def test_serialize_is_byte_identical_across_processes(name: str, tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "4242"):
        completed = subprocess.run(
            [sys.executable, "-c", _DETERMINISM_SCRIPT, name, str(SAMPLE), str(EXTRA)],
            cwd=tmp_path,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            timeout=120,
        )
        outputs.append(completed.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0]


# --------------------------------------------------------------------------- atomic writes


def test_write_atomic_creates_file_with_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    write_atomic(target, b"hello")
    assert target.read_bytes() == b"hello"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_write_atomic_keeps_existing_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.ttl"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_write_atomic_failure_leaves_target_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "out.ttl"
    target.write_bytes(b"OLD CONTENT")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"NEW CONTENT" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"OLD CONTENT"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_write_atomic_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.ttl"
    target.write_bytes(b"OLD")

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"NEW")
    monkeypatch.undo()
    assert target.read_bytes() == b"OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_write_atomic_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.ttl"
    with pytest.raises(OSError, match="cannot write") as excinfo:
        write_atomic(target, b"x")
    assert excinfo.value.filename == str(target)


# --------------------------------------------------------------------------- resources


def test_resource_lists_are_sorted_paths() -> None:
    for files, suffixes in (
        (data_files(), {".trig"}),
        (shape_files(), {".ttl"}),
        (query_files(), {".rq", ".sparql"}),
    ):
        assert files == sorted(files, key=lambda p: p.name)
        assert all(p.is_file() and p.suffix in suffixes for p in files)


def test_package_exports() -> None:
    for name in ssc_kg.__all__:
        assert hasattr(ssc_kg, name), name
    assert callable(ssc_kg.validate)
    assert callable(ssc_kg.query)
    assert callable(ssc_kg.stats)
    assert isinstance(ssc_kg.__version__, str)


def test_import_does_not_load_heavy_libraries(tmp_path: Path) -> None:
    code = (
        "import sys, ssc_kg\n"
        "heavy = {'pyshacl', 'pyld', 'rdflib', 'pyoxigraph', 'owlrl'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


@pytest.mark.parametrize("triples", [True, False])
def test_union_is_sorted_unique_triple_lines(triples: bool) -> None:
    """The union of graphs: each triple once, sorted by its N-Triples line (no blank nodes).

    Regression guard for the fast union path: the same triple in several graphs, a literal
    that merely contains "_:", and graph names sorting before/after the default graph.
    """
    import pyoxigraph as ox

    from ssc_kg.io import canonical

    s, p = ox.NamedNode("http://ex.org/s"), ox.NamedNode("http://ex.org/p")
    quads = [
        ox.Quad(s, p, ox.Literal("b _:x"), ox.NamedNode("http://ex.org/z")),
        ox.Quad(s, p, ox.Literal("b _:x")),
        ox.Quad(s, p, ox.NamedNode("http://ex.org/o"), ox.NamedNode("http://a.org/g")),
        ox.Quad(s, p, ox.Literal("a", language="id"), ox.NamedNode("http://ex.org/z")),
        ox.Quad(s, p, ox.NamedNode("http://ex.org/o")),
    ]
    result = canonical(quads, union=True, triples=triples)
    expected = sorted({f"{q.subject} {q.predicate} {q.object}" for q in quads})
    assert result.lines == expected
    assert result.to_bytes().decode() == "".join(f"{line} .\n" for line in expected)
    if triples:
        assert [str(t) for t in result.items] == expected
