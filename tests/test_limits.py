"""Limits: query timeout and result count, input size, blank node and entity expansion.

Each limit is checked where it bites (the API raises a :class:`LimitError`, the command
line exits 2 with one line) and where it must not (just under the limit, or no limit).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result

import ssc_kg
from ssc_kg import io
from ssc_kg.errors import (
    InputError,
    InputLimitError,
    LimitError,
    QueryError,
    QueryTimeoutError,
    ResultLimitError,
)
from ssc_kg.query import query_quads

from .conftest import EXTRA, SAMPLE, SAMPLE_ARGS

Run = Callable[..., Result]

# A cross product of the fixture data with itself six times: minutes of work.
ENDLESS = (
    "SELECT (COUNT(*) AS ?n) WHERE "
    "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o . ?p ?q ?r }"
)


def _one_line_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def quads() -> list[ox.Quad]:
    return ssc_kg.parse_quads([SAMPLE, EXTRA])


def _alive(pid: int) -> bool:
    """True if *pid* runs (a zombie or a missing process does not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# --------------------------------------------------------------------------- query timeout


def test_timeout_stops_the_query_and_its_worker(
    quads: list[ox.Quad], monkeypatch: pytest.MonkeyPatch
) -> None:
    workers: list[int] = []
    real_fork = os.fork

    def recording_fork() -> int:
        pid = real_fork()
        if pid:
            workers.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match=r"did not finish within 0.5 s") as excinfo:
        query_quads(quads, ENDLESS, timeout=0.5)
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 5
    assert isinstance(excinfo.value, LimitError)
    assert isinstance(excinfo.value, QueryError)
    assert len(workers) == 1
    assert not _alive(workers[0])  # killed and reaped: no process left eating CPU


def test_a_query_within_its_timeout_is_answered(quads: list[ox.Quad]) -> None:
    result = query_quads(quads, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", timeout=30)
    assert result.rows[0][0].toPython() == 23  # type: ignore[union-attr]


def test_cli_timeout(run: Run) -> None:
    started = time.monotonic()
    result = run("query", *SAMPLE_ARGS, ENDLESS, "--timeout", "0.3")
    assert time.monotonic() - started < 5
    _one_line_error(result, "did not finish within 0.3 s", "--timeout")


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_cli_timeout_must_be_positive(run: Run, value: str) -> None:
    result = run("query", *SAMPLE_ARGS, "ASK {}", "--timeout", value)
    assert result.exit_code == 2
    assert "--timeout" in result.stderr
    assert "Traceback" not in result.stderr


def test_timeout_on_a_store(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "kg"
    assert run("load", "--store", str(store), "--no-shipped", str(SAMPLE)).exit_code == 0
    result = run("query", "--store", str(store), ENDLESS, "--timeout", "0.3")
    _one_line_error(result, "did not finish")


def test_ctrl_c_stops_a_long_query(tmp_path: Path) -> None:
    """SIGINT reaches the waiting parent at once (the query runs in the worker), and the
    worker does not outlive it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ssc_kg", "query", *SAMPLE_ARGS, ENDLESS],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    worker = None
    deadline = time.monotonic() + 30
    while worker is None and time.monotonic() < deadline:
        time.sleep(0.05)
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text(encoding="ascii")
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == process.pid:
                    worker = int(entry)
    assert worker is not None, "the query worker never started"
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode != 0
    assert b"Traceback" not in stderr
    for _ in range(100):
        if not _alive(worker):
            break
        time.sleep(0.05)
    assert not _alive(worker)


# --------------------------------------------------------------------------- result count


def test_max_results_is_an_error_not_a_cut(quads: list[ox.Quad]) -> None:
    with pytest.raises(ResultLimitError, match="more than 3 results") as excinfo:
        query_quads(quads, "SELECT * WHERE { ?s ?p ?o }", max_results=3)
    assert isinstance(excinfo.value, LimitError)
    with pytest.raises(ResultLimitError, match="more than 1 result "):
        query_quads(quads, "CONSTRUCT WHERE { ?s ?p ?o }", max_results=1)


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
        "SELECT ?s ?x WHERE { ?s ?p ?o OPTIONAL { ?s <http://e/none> ?x } } ORDER BY ?s",
        "SELECT * WHERE { }",
        "SELECT ?x WHERE { FILTER(false) }",
        'SELECT ?t WHERE { VALUES ?t { "a\\tb\\nc" "\\"q\\"\\\\"@en-GB 1 2.5 true <e:é> } }',
        "ASK { ?s ?p ?o }",
        "CONSTRUCT WHERE { ?s ?p ?o }",
        "DESCRIBE <https://w3id.org/ssc-kg/id/unep>",
    ],
)
def test_results_under_the_limit_are_exactly_the_results_without_it(
    quads: list[ox.Quad], sparql: str
) -> None:
    free = query_quads(quads, sparql)
    count = max(len(free.solutions), len(free.triples))
    limited = query_quads(quads, sparql, max_results=count)
    assert limited.kind == free.kind
    formats = (
        ["turtle", "nquads", "jsonld"]
        if free.kind == "construct"
        else ["table", "json", "csv", "tsv", "xml"]
    )
    for fmt in formats:
        assert limited.serialize(fmt) == free.serialize(fmt), fmt
    if free.kind == "select" and count > 1:  # (0 is no limit)
        with pytest.raises(ResultLimitError):
            query_quads(quads, sparql, max_results=count - 1)


def test_cli_max_results(run: Run) -> None:
    sparql = "SELECT ?s WHERE { ?s a org:Organization } ORDER BY ?s"
    _one_line_error(
        run("query", *SAMPLE_ARGS, sparql, "--max-results", "1"),
        "more than 1 result",
        "--max-results",
    )
    exact = run("query", *SAMPLE_ARGS, sparql, "--max-results", "2")
    assert exact.exit_code == 0
    assert exact.stdout.endswith("(2 rows)\n")
    unlimited = run("query", *SAMPLE_ARGS, sparql, "--max-results", "0")
    assert unlimited.stdout == exact.stdout
    construct = run("query", *SAMPLE_ARGS, "CONSTRUCT WHERE { ?s ?p ?o }", "--max-results", "5")
    _one_line_error(construct, "more than 5 results")


# --------------------------------------------------------------------------- input size


def test_cli_max_input_size(run: Run) -> None:
    line = _one_line_error(
        run("export", "--no-shipped", "--data", str(SAMPLE), "--max-input-size", "100"),
        str(SAMPLE),
        "more than the 100 bytes allowed (--max-input-size)",
    )
    assert "Traceback" not in line
    size = SAMPLE.stat().st_size
    fits = run("stats", "--no-shipped", "--data", str(SAMPLE), "--max-input-size", str(size))
    assert fits.exit_code == 0
    over = run(
        "stats",
        "--no-shipped",
        "--data",
        str(SAMPLE),
        "--data",
        str(EXTRA),
        "--max-input-size",
        str(size),
    )
    _one_line_error(over, str(EXTRA))  # the file that goes over is named


@pytest.mark.parametrize("value", ["10K", "2M", "0.5G", "10kb", "0", "auto", "AUTO"])
def test_cli_sizes(run: Run, value: str) -> None:
    assert run("stats", *SAMPLE_ARGS, "--max-input-size", value).exit_code == 0


@pytest.mark.parametrize("value", ["12Q", "-5", "lots", ""])
def test_cli_bad_sizes(run: Run, value: str) -> None:
    result = run("stats", *SAMPLE_ARGS, "--max-input-size", value)
    assert result.exit_code == 2
    assert "--max-input-size" in result.stderr
    assert "Traceback" not in result.stderr


def test_stdin_is_cut_off_at_the_limit(run: Run) -> None:
    data = "".join(f'<http://e/s{i}> <http://e/p> "{i}" .\n' for i in range(200))
    result = run(
        "export",
        "--no-shipped",
        "--data",
        "-",
        "--input-format",
        "nt",
        "--max-input-size",
        "1K",
        input=data,
    )
    _one_line_error(result, "<stdin>", "1.0 KB")


def test_an_endless_source_is_refused(run: Run) -> None:
    started = time.monotonic()
    result = run(
        "stats",
        "--no-shipped",
        "--data",
        "/dev/zero",
        "--input-format",
        "nt",
        "--max-input-size",
        "2M",
    )
    _one_line_error(result, "/dev/zero", "2.0 MB")
    assert time.monotonic() - started < 10


def test_auto_limit_is_the_available_memory(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    size = SAMPLE.stat().st_size
    factor = io.MEMORY_FACTORS["trig"]
    monkeypatch.setattr(io, "available_memory", lambda: size * factor - 1)
    result = run("export", "--no-shipped", "--data", str(SAMPLE))
    _one_line_error(result, str(SAMPLE), "too large to load in memory", "available")
    monkeypatch.setattr(io, "available_memory", lambda: size * factor)
    assert run("export", "--no-shipped", "--data", str(SAMPLE)).exit_code == 0
    # --max-input-size 0 lifts the limit
    monkeypatch.setattr(io, "available_memory", lambda: 1)
    assert (
        run("export", "--no-shipped", "--data", str(SAMPLE), "--max-input-size", "0").exit_code == 0
    )
    # stdin has no size to check first: it is cut off while read
    data = SAMPLE.read_text(encoding="utf-8")
    piped = run("export", "--no-shipped", "--data", "-", "--input-format", "trig", input=data)
    _one_line_error(piped, "<stdin>", "too large to load in memory")


def test_api_limits_and_the_cli_option_do_not_leak(run: Run) -> None:
    with pytest.raises(InputLimitError) as excinfo:
        ssc_kg.parse_quads([SAMPLE], max_input_bytes=10)
    assert isinstance(excinfo.value, InputError)
    assert isinstance(excinfo.value, LimitError)
    assert excinfo.value.path == str(SAMPLE)
    with io.input_limit(10), pytest.raises(InputLimitError):
        ssc_kg.load([SAMPLE], shipped=False)
    assert ssc_kg.parse_quads([SAMPLE], max_input_bytes=None)
    # a command with a tiny limit does not change the default for what runs next
    assert run("stats", *SAMPLE_ARGS, "--max-input-size", "10").exit_code == 2
    assert ssc_kg.parse_quads([SAMPLE])


def test_available_memory_is_a_sane_number() -> None:
    memory = io.available_memory()
    if sys.platform.startswith("linux"):
        assert memory is not None
        assert 0 < memory < 1 << 50


def test_address_space_limit_counts(tmp_path: Path) -> None:
    """Under ``ulimit -v``, /dev/zero is refused by the auto limit (it was a MemoryError
    traceback)."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from ssc_kg.cli import main\n"
        "main(['stats', '--no-shipped', '--data', '/dev/zero', '--input-format', 'nt'])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith("Error: /dev/zero: input too large to load in memory")
    assert len(completed.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- blank nodes


def _chain(n: int) -> str:
    """A chain of *n* nested blank nodes that all look alike."""
    return "<http://e/s> <http://e/p> " + "[ <http://e/p> " * n + "1" + " ]" * n + " .\n"


def test_a_long_chain_of_look_alike_blank_nodes_is_refused_fast(run: Run, tmp_path: Path) -> None:
    data = tmp_path / "chain.ttl"
    data.write_text(_chain(1000), encoding="utf-8")  # RDFC-1.0: 3.5 minutes
    started = time.monotonic()
    result = run("export", "--no-shipped", "--data", str(data))
    assert time.monotonic() - started < 10
    _one_line_error(result, "cannot label blank nodes canonically", "a group of 998 ")
    # what does not canonicalize still works on the same data
    assert run("stats", "--no-shipped", "--data", str(data)).exit_code == 0


@pytest.mark.parametrize(
    "text",
    [
        _chain(100),
        "<http://e/s> <http://e/p> (" + " ".join(str(i) for i in range(5000)) + ") .\n",
        "<http://e/s> <http://e/p> (" + " 1" * 100 + ") .\n",
        "".join(
            f'<http://e/r{i}> <http://e/p> [ a <e:R> ; <http://e/q> [ <http://e/v> "x" ] ] .\n'
            for i in range(2000)
        ),
        "".join(f'_:x{i} <http://e/p> "same" .\n' for i in range(5000)),
    ],
    ids=["chain-100", "list-5000", "list-100-alike", "records-2000", "alike-5000"],
)
def test_usual_blank_nodes_are_labelled(run: Run, tmp_path: Path, text: str) -> None:
    data = tmp_path / "data.ttl"
    data.write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = run("export", "--no-shipped", "--data", str(data), "--format", "nquads")
    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started < 20
    assert "_:c14n0 " in result.stdout


def _clique(n: int) -> list[ox.Quad]:
    nodes = [ox.BlankNode(f"c{i}") for i in range(n)]
    p = ox.NamedNode("http://e/p")
    return [ox.Quad(a, p, b) for a in nodes for b in nodes if a != b]


def test_blank_node_guard_api() -> None:
    io.check_canonicalizable(_clique(5))  # fast for RDFC-1.0
    with pytest.raises(InputLimitError, match="group of 8 connected blank nodes"):
        io.check_canonicalizable(_clique(8))  # seconds, and factorial from there
    with pytest.raises(InputLimitError):
        ssc_kg.serialize_quads(_clique(9), "nquads")


# --------------------------------------------------------------------------- RDF/XML entities

RDFXML = (
    '<?xml version="1.0"?>\n{}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:ex="http://example.org/"><rdf:Description rdf:about="&ex;s">'
    "<ex:p>{}</ex:p></rdf:Description></rdf:RDF>\n"
)


def test_plain_entities_are_kept(tmp_path: Path) -> None:
    data = tmp_path / "owl.rdf"
    data.write_text(
        RDFXML.format('<!DOCTYPE rdf:RDF [\n  <!ENTITY ex "http://example.org/" >\n]>', "&ex;v"),
        encoding="utf-8",
    )
    (quad,) = ssc_kg.parse_quads([data])
    assert quad.subject == ox.NamedNode("http://example.org/s")
    assert quad.object == ox.Literal("http://example.org/v")


def test_entity_expansion_is_bounded(tmp_path: Path) -> None:
    data = tmp_path / "bomb.rdf"
    doctype = (
        '<!DOCTYPE rdf:RDF [ <!ENTITY ex "http://example.org/"> <!ENTITY b "'
        + "x" * 50_000
        + '"> ]>'
    )
    data.write_text(RDFXML.format(doctype, "&b;" * 1000), encoding="utf-8")  # 50 MB expanded
    with pytest.raises(
        InputLimitError, match=r"bomb.rdf:2: RDF/XML entity expansion would add 50.0 MB"
    ):
        ssc_kg.parse_quads([data])
    data.write_text(RDFXML.format(doctype, "&b;" * 10), encoding="utf-8")  # 500 KB: fine
    (quad,) = ssc_kg.parse_quads([data])
    assert len(quad.object.value) == 500_000


def test_limit_errors_are_exported() -> None:
    assert ssc_kg.LimitError is LimitError
    assert issubclass(ssc_kg.NetworkAccessError, ssc_kg.SscKgError)
    assert json.dumps(str(InputLimitError("x", path="f", line=2))) == '"f:2: x"'


def test_without_fork_the_query_runs_in_a_thread(
    quads: list[ox.Quad], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where there is no fork (Windows) the answers are the same; the timeout stops the
    waiting (the thread finishes in the background: a query of seconds here)."""

    def no_fork() -> int:
        raise AssertionError("fork() must not be called")

    monkeypatch.setattr(sys.modules["ssc_kg.query"], "_CAN_FORK", False)
    monkeypatch.setattr(os, "fork", no_fork)
    sparql = "SELECT ?s WHERE { ?s a org:Organization } ORDER BY ?s"
    assert query_quads(quads, sparql).rows == query_quads(quads, sparql, max_results=2).rows
    with pytest.raises(ResultLimitError):
        query_quads(quads, sparql, max_results=1)
    five_way = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }"
    )
    with pytest.raises(QueryTimeoutError):
        query_quads(quads, five_way, timeout=0.01)
