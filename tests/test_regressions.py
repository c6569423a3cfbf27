"""One test per bug found by fuzzing and by the hostile-input tests (issue 6).

Each test is named after the bug and says what happened before the fix. (Ctrl-C not
reaching a running query, fixed too, is tests/test_limits.py::test_ctrl_c_stops_a_long_query.)
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import ssc_kg
from ssc_kg.errors import InputLimitError, LimitError, RemoteImportError, RemoteInputError

from .conftest import SAMPLE, SAMPLE_ARGS, SHAPES, run_module

Run = Callable[..., Result]

RDFXML = (
    '<?xml version="1.0"?>\n{}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/s">'
    "<ex:p>{}</ex:p></rdf:Description></rdf:RDF>\n"
)


def _one_error_line(completed: subprocess.CompletedProcess[bytes]) -> str:
    assert completed.returncode == 2, (completed.returncode, completed.stderr[-500:])
    lines = completed.stderr.decode().strip().splitlines()
    assert len(lines) == 1, completed.stderr[-2000:]
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_billion_laughs_in_rdfxml_is_refused_not_expanded(tmp_path: Path) -> None:
    """Before: pyoxigraph expanded nested entities: 91 s and a 3 GB literal from 1 KB."""
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    bomb = tmp_path / "lol.rdf"
    bomb.write_text(RDFXML.format(f"<!DOCTYPE rdf:RDF [ {entities} ]>", "&l9;"), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputLimitError, match="nested expansion") as excinfo:
        ssc_kg.parse_quads([bomb])
    assert time.monotonic() - started < 2
    assert excinfo.value.path == str(bomb)
    assert excinfo.value.line == 2


def test_external_dtd_in_rdfxml_is_refused_not_ignored(tmp_path: Path) -> None:
    """Before: ``<!DOCTYPE rdf:RDF SYSTEM "http://...">`` was silently ignored."""
    data = tmp_path / "dtd.rdf"
    data.write_text(
        RDFXML.format('<!DOCTYPE rdf:RDF SYSTEM "http://example.org/x.dtd">', "x"), encoding="utf-8"
    )
    with pytest.raises(RemoteInputError, match="external DTD"):
        ssc_kg.parse_quads([data])


def test_xxe_error_message_is_clear(tmp_path: Path) -> None:
    """Before: 'ENTITY values should be enclosed in double quotes' for an XXE entity."""
    data = tmp_path / "xxe.rdf"
    data.write_text(
        RDFXML.format('<!DOCTYPE rdf:RDF [ <!ENTITY e SYSTEM "file:///etc/passwd"> ]>', "&e;"),
        encoding="utf-8",
    )
    with pytest.raises(RemoteInputError, match="external entities are never loaded"):
        ssc_kg.parse_quads([data])


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { FILTER(" + "(" * 20000 + "1" + ")" * 20000 + ") }",
        "SELECT * WHERE { " + " UNION ".join(["{?s ?p ?o}"] * 20000) + " }",
        "SELECT * WHERE { " + " . ".join(f"?s <http://e/p> ?o{i}" for i in range(20000)) + " }",
    ],
    ids=["nested-20000", "union-20000", "join-20000"],
)
def test_deep_or_long_sparql_is_an_error_not_a_segfault(tmp_path: Path, sparql: str) -> None:
    """Before: pyoxigraph overflowed the stack and the process died (SIGSEGV, no message)."""
    query = tmp_path / "deep.rq"
    query.write_text(sparql, encoding="utf-8")
    completed = run_module(["query", *SAMPLE_ARGS, "-f", str(query)], cwd=tmp_path)
    line = _one_error_line(completed)
    assert "the SPARQL engine crashed on this query (SIGSEGV)" in line


def test_long_blank_node_chain_export_is_an_error_not_a_segfault(tmp_path: Path) -> None:
    """Before: 20,000 nested blank nodes (300 KB of Turtle) crashed every export (SIGSEGV
    in RDFC-1.0) after 20 to 90 s."""
    data = tmp_path / "chain.ttl"
    data.write_text(
        "<http://e/s> <http://e/p> " + "[ <http://e/p> " * 20000 + "1" + " ]" * 20000 + " .\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    completed = run_module(["export", "--no-shipped", "--data", str(data)], cwd=tmp_path)
    assert "cannot label blank nodes canonically" in _one_error_line(completed)
    assert time.monotonic() - started < 30


def test_look_alike_blank_nodes_do_not_hang_export() -> None:
    """Before: RDFC-1.0 took ~6 s for 300 look-alike chained blank nodes, minutes for
    1,000 (cubic); a list of identical values is such a chain."""
    import pyoxigraph as ox

    quads = list(
        ox.parse(("<http://e/s> <http://e/p> (" + " 1" * 300 + ") .").encode(), ox.RdfFormat.TURTLE)
    )
    started = time.monotonic()
    with pytest.raises(InputLimitError, match="cannot label blank nodes canonically"):
        ssc_kg.serialize_quads(quads, "trig")
    assert time.monotonic() - started < 2


def test_owl_imports_in_shapes_are_not_silently_ignored(tmp_path: Path) -> None:
    """Before: the import was skipped without a word and the data reported as conforming
    to shapes that were only half there."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        SHAPES.read_text(encoding="utf-8")
        + "\n<http://e/s> <http://www.w3.org/2002/07/owl#imports> <http://e/more-shapes> .\n",
        encoding="utf-8",
    )
    for engine in ("fast", "pyshacl"):
        with pytest.raises(RemoteImportError, match="owl:imports <http://e/more-shapes>"):
            ssc_kg.validate(ssc_kg.load([SAMPLE], shipped=False), shapes=[shapes], engine=engine)


def test_memory_error_is_one_line_not_a_traceback(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a MemoryError (e.g. under ``ulimit -v``) ended in a traceback."""

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("ssc_kg.io.serialize_quads", exhausted)
    result = run("export", *SAMPLE_ARGS)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: out of memory (see --max-input-size; N-Quads input needs the least)"
    ]


def test_endless_input_is_refused_not_read_forever(run: Run) -> None:
    """Before: ``--data /dev/zero`` was read until the memory ran out."""
    result = run("stats", "--no-shipped", "--data", "/dev/zero", "--input-format", "nt")
    assert result.exit_code == 2
    assert "/dev/zero: input too large to load in memory" in result.stderr


def test_jsonld_conversion_error_is_a_short_message(run: Run, tmp_path: Path) -> None:
    """Before: pyld's error text, with its whole active context: a 15 KB 'line'."""
    data = tmp_path / "confused.nt"
    data.write_text('<sscid:x> <http://e/p> "1" .\n', encoding="utf-8")
    result = run("export", "--no-shipped", "--data", str(data), "--format", "jsonld")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: JSON-LD conversion failed: IRI confused with prefix: <sscid:x> would read "
        "back as a compact IRI (prefix sscid: of the context); write it in another format\n"
    )
    data.write_text(
        '<http://e/s> <http://e/p> "{bad"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON> .\n',
        encoding="utf-8",
    )
    result = run("export", "--no-shipped", "--data", str(data), "--format", "jsonld")
    assert result.stderr == "Error: JSON-LD conversion failed: ill-formed rdf:JSON literal '{bad'\n"


def test_token_over_16_mib_is_an_input_error_not_a_memory_error(tmp_path: Path) -> None:
    """Before: pyoxigraph's MemoryError ("Reached the buffer maximal size") escaped the
    API, and the command line said "out of memory" without naming the file."""
    data = tmp_path / "big.nt"
    data.write_text(f'<http://e/s> <http://e/p> "{"a" * (17 << 20)}" .\n', encoding="utf-8")
    with pytest.raises(InputLimitError, match="longer than 16 MiB cannot be read") as excinfo:
        ssc_kg.parse_quads([data])
    assert isinstance(excinfo.value, LimitError)
    assert excinfo.value.path == str(data)


def test_big_values_in_query_results(run: Run, tmp_path: Path) -> None:
    """Before: a result value over 16 MiB (RDF/XML can hold one) ended in a MemoryError
    traceback. CONSTRUCT results now come back whole; SELECT says what it cannot do."""
    data = tmp_path / "big.rdf"
    data.write_text(RDFXML.format("", "a" * (17 << 20)), encoding="utf-8")
    construct = run("query", "--no-shipped", "--data", str(data), "CONSTRUCT WHERE { ?s ?p ?o }")
    assert construct.exit_code == 0
    assert len(construct.stdout) > 17 << 20
    select = run("query", "--no-shipped", "--data", str(data), "SELECT * { ?s ?p ?o }")
    assert select.exit_code == 2
    assert select.stderr.strip().splitlines() == [
        "Error: a value in the results is longer than the 16 MiB pyoxigraph's results reader takes"
    ]


def test_fuzzing_never_writes_into_the_fixtures() -> None:
    """Before: the fuzzed ``export -o`` was given tests/fixtures paths and emptied them;
    the fuzz module now checks the fixtures are unchanged when it ends."""
    from . import test_fuzz

    folder = Path("/tmp/never-created")
    values = test_fuzz._path_values(folder)
    assert all(value in ("-", "") or value.startswith(str(folder)) for value in values)
    assert str(SAMPLE) not in values


def test_main_process_survives_the_query_engine(tmp_path: Path) -> None:
    """The worker that crashes is not the caller: the API raises, the process goes on."""
    code = (
        "import ssc_kg, pyoxigraph as ox\n"
        "from ssc_kg.query import query_quads\n"
        "try:\n"
        "    query_quads([], 'SELECT * { FILTER(' + '(' * 20000 + '1' + ')' * 20000 + ') }')\n"
        "except ssc_kg.QueryError as error:\n"
        "    print('caught:', error)\n"
        "print(query_quads([], 'ASK {}').boolean)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "caught: the SPARQL engine crashed on this query (SIGSEGV); "
        "it may be nested too deeply or too long",
        "True",
    ]


@pytest.mark.parametrize("escape", ["\\U00110000", "\\UFFFFFFFF"])
def test_escape_beyond_unicode_in_sparql_is_a_syntax_error_not_a_traceback(
    run: Run, escape: str
) -> None:
    """Found by fuzzing: the SERVICE check decoded ``\\U00110000`` with ``chr()``, which
    raised ValueError (a traceback) before the SPARQL parser could say what is wrong."""
    result = run("query", *SAMPLE_ARGS, f"ASK {{ ?s ?p ?o {escape} }}")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: SPARQL syntax error: line 1, column")
    # and a SERVICE next to one is still seen
    service = f"SELECT * {{ {escape} SERVICE <http://e/> {{ ?s ?p ?o }} }}"
    assert "needs network access" in run("query", *SAMPLE_ARGS, service).stderr


@pytest.mark.parametrize(
    "iri", ["http://schema.org///x", "https://w3id.org/ssc-kg/id///x"], ids=["schema", "sscid"]
)
def test_jsonld_never_writes_an_iri_that_reads_back_as_another(iri: str) -> None:
    """Found by fuzzing (generated-data): pyld -- and our compactor, byte for byte --
    wrote ``http://schema.org///x`` as ``"schema://x"``, which every JSON-LD reader takes
    for the IRI ``schema://x``: the export silently changed the data."""
    import pyoxigraph as ox

    for quad in (
        ox.Quad(ox.NamedNode(iri), ox.NamedNode("http://e/p"), ox.Literal("x")),
        ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode(iri), ox.Literal("x")),
        ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.NamedNode(iri)),
        ox.Quad(
            ox.NamedNode("http://e/s"),
            ox.NamedNode("http://e/p"),
            ox.Literal("x"),
            ox.NamedNode(iri),
        ),
        ox.Quad(
            ox.NamedNode("http://e/s"),
            ox.NamedNode("http://e/p"),
            ox.Literal("1", datatype=ox.NamedNode(iri)),
        ),
    ):
        with pytest.raises(ssc_kg.SscKgError, match=r"reads back as another IRI"):
            ssc_kg.serialize_quads([quad], "jsonld")
    # one slash less is a plain compact IRI, and it round-trips
    fine = ox.Quad(
        ox.NamedNode(iri.replace("///", "//")), ox.NamedNode("http://e/p"), ox.Literal("x")
    )
    back = list(ox.parse(ssc_kg.serialize_quads([fine], "jsonld"), ox.RdfFormat.JSON_LD))
    assert back == [fine]


def test_xml_parser_error_quoting_the_rest_of_the_document_is_cut(tmp_path: Path) -> None:
    """Found by fuzzing (xml-mutated): a mangled closing tag made the error quote the
    rest of the document (1,300 characters there; megabytes for a big file)."""
    data = tmp_path / "mangled.rdf"
    data.write_text(
        '<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<r:Description r:about="http://e/s"></r:Descrip' + "x" * 100_000 + "></r:RDF>",
        encoding="utf-8",
    )
    with pytest.raises(ssc_kg.InputError) as excinfo:
        ssc_kg.parse_quads([data])
    message = str(excinfo.value)
    assert message.startswith(f"{data}: ")
    assert "`</r:Descripxxxx" in message
    assert len(message) < 300
    data.write_text(  # text where an element should be: "Unexpected text event: '...'"
        '<r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' + "text " * 20_000,
        encoding="utf-8",
    )
    with pytest.raises(ssc_kg.InputError) as excinfo:
        ssc_kg.parse_quads([data])
    assert "Unexpected text event: 'text text" in str(excinfo.value)
    assert len(str(excinfo.value)) < 300


def test_no_error_message_is_longer_than_a_line_people_read() -> None:
    """The cap behind the fixes above: any error text over 1,000 characters is cut."""
    error = ssc_kg.QueryError("x" * 100_000)
    assert len(str(error)) == 1000
    assert str(error).endswith(" ...")
    located = ssc_kg.InputError("y" * 100_000, path="/some/file.ttl", line=3)
    assert str(located).startswith("/some/file.ttl:3: yyy")
    assert len(str(located)) == 1000
