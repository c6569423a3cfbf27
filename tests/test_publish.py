"""ssc-kg publish: into a real Oxigraph server (the `oxigraph` binary of the test extras).

Each test starts its own in-memory `oxigraph serve` on a free loopback port. Where a test
needs a store that misbehaves (answers 503, wants a password, loses a triple), a small
relay in front of the real server does that and passes everything else through.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from click.testing import Result

from ssc_kg.endpoint import find_oxigraph
from ssc_kg.io import parse_quads
from ssc_kg.publishing import PublishError, guess_graph_store, publish

from .conftest import EXTRA, SAMPLE, SAMPLE_ARGS, assert_isomorphic_datasets

Run = Callable[..., Result]

FILES = [SAMPLE, EXTRA]
LOCAL = ox.NamedNode("https://w3id.org/ssc-kg/graph/entities")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Oxigraph:
    """A real `oxigraph serve` (read-write, in memory) on a loopback port."""

    process: subprocess.Popen[bytes]
    url: str

    @property
    def query(self) -> str:
        return self.url + "/query"

    @property
    def store(self) -> str:
        return self.url + "/store"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def dump(self) -> list[ox.Quad]:
        """Everything the server holds, read with the Graph Store Protocol (N-Quads)."""
        request = urllib.request.Request(self.store, headers={"Accept": "application/n-quads"})
        with OPENER.open(request, timeout=30) as response:
            return list(ox.parse(response.read(), format=ox.RdfFormat.N_QUADS))

    def put(self, graph: str, ntriples: str) -> None:
        request = urllib.request.Request(
            f"{self.store}?graph={quote(graph, safe='')}",
            data=ntriples.encode(),
            headers={"Content-Type": "application/n-triples"},
            method="PUT",
        )
        with OPENER.open(request, timeout=30):
            pass


def _start_oxigraph(location: Path | None = None) -> Oxigraph:
    """In memory, or on disk at *location* (what it holds outlives the process)."""
    port = _free_port()
    where = ["--location", str(location)] if location is not None else []
    process = subprocess.Popen(
        [find_oxigraph(), "serve", *where, "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Oxigraph(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 30
    while True:
        try:
            with OPENER.open(server.query + "?query=ASK%7B%7D", timeout=5):
                return server
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("oxigraph serve did not start") from None
            time.sleep(0.05)


@pytest.fixture
def oxigraph() -> Iterator[Oxigraph]:
    server = _start_oxigraph()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.kill()


# --------------------------------------------------------------------------- a relay


@dataclass
class Relay:
    """An HTTP relay in front of a real store that can misbehave on purpose."""

    upstream: str
    fail_first: int = 0
    """Answer this many requests with *fail_status* before relaying."""
    fail_status: int = 503
    always: int | None = None
    """Answer every request with this status."""
    require: str | None = None
    """The Authorization header value wanted (401 with a Basic challenge otherwise)."""
    drop_line: bool = False
    """Drop the last line of every PUT body (the store then holds less than was sent)."""
    fail_put: int | None = None
    """Answer the PUT of this number (1: the first) with *fail_status*; relay the others."""
    echo_auth: bool = False
    """Put the Authorization header received into the body of the errors (a bad store)."""
    puts: int = 0
    requests: list[str] = field(default_factory=list)
    headers_seen: list[str] = field(default_factory=list)
    url: str = ""
    _server: http.server.ThreadingHTTPServer | None = None

    def __enter__(self) -> Relay:
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                relay.requests.append(f"{self.command} {self.path}")
                relay.headers_seen.append(str(self.headers))
                echo = b""
                if relay.echo_auth:
                    echo = f" (you sent {self.headers.get('Authorization')})".encode()
                if relay.require is not None and self.headers.get("Authorization") != relay.require:
                    challenge = {"WWW-Authenticate": 'Basic realm="store"'}
                    self._answer(401, b"who are you?" + echo, challenge)
                    return
                if relay.always is not None or len(relay.requests) <= relay.fail_first:
                    self._answer(relay.always or relay.fail_status, b"relay says no" + echo, {})
                    return
                if self.command == "PUT":
                    relay.puts += 1
                    if relay.puts == relay.fail_put:
                        self._answer(relay.fail_status, b"relay says no to this one", {})
                        return
                if relay.drop_line and self.command == "PUT" and body:
                    body = b"".join(body.splitlines(keepends=True)[:-1])
                headers = {k: v for k, v in self.headers.items() if k in ("Content-Type", "Accept")}
                request = urllib.request.Request(
                    relay.upstream + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with OPENER.open(request, timeout=30) as response:
                        kept = {"Content-Type": response.headers.get("Content-Type", "")}
                        self._answer(response.status, response.read(), kept)
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.read(), {})

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if value:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = _relay

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------- helpers


def _local() -> list[ox.Quad]:
    return parse_quads(FILES)


def _counts(quads: list[ox.Quad]) -> dict[str | None, int]:
    """Distinct triples per graph, counted here with rdflib (not with ssc_kg.publishing)."""
    from .conftest import graphs_by_name

    graphs = graphs_by_name(quads)  # keys: "<IRI>", None for the default graph
    return {None if k is None else k[1:-1]: len(g) for k, g in graphs.items()}  # type: ignore[arg-type]


def _publish(run: Run, server_url: str, *args: str, **env: str) -> Result:
    old = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return run("publish", "--endpoint", server_url + "/query", *args, *SAMPLE_ARGS)
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _assert_clean_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


# --------------------------------------------------------------------------- publishing


def test_publish_then_read_back_isomorphic(run: Run, oxigraph: Oxigraph) -> None:
    result = _publish(run, oxigraph.url)
    assert result.exit_code == 0, result.stderr
    local = _local()
    # Read back independently: the whole store as N-Quads, compared graph by graph.
    assert_isomorphic_datasets(oxigraph.dump(), local)
    # ... and through SPARQL, with a client of its own.
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(oxigraph.query)
    client.setQuery("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    stored = {row["g"]["value"]: int(row["n"]["value"]) for row in rows}
    expected = {k: v for k, v in _counts(local).items() if k is not None}
    assert stored == expected
    # The report says what was sent and found, for every graph.
    assert result.stdout.startswith(f"Published 3 graphs, {len(set(local))} triples, to ")
    assert "3 of 3 graphs hold what was sent" in result.stdout
    assert result.stdout.count("identical") == 3


def test_json_report_counts(run: Run, oxigraph: Oxigraph, tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    result = _publish(run, oxigraph.url, "--format", "json", "--report", str(report_file))
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert json.loads(report_file.read_text(encoding="utf-8")) == report
    assert report["ok"] is True
    assert report["error"] is None
    assert {g["status"] for g in report["graphs"]} == {"verified"}
    assert report["graph_store"] == oxigraph.store
    counts = _counts(_local())
    assert {g["graph"]: g["sent"] for g in report["graphs"]} == counts
    assert {g["graph"]: g["stored"] for g in report["graphs"]} == counts
    assert all(g["verified"] and g["contents"] == "identical" for g in report["graphs"])


def test_publish_twice_gives_the_same_store(run: Run, oxigraph: Oxigraph) -> None:
    assert _publish(run, oxigraph.url).exit_code == 0
    first = oxigraph.dump()
    assert _publish(run, oxigraph.url).exit_code == 0
    second = oxigraph.dump()
    assert len(second) == len(first) == len(set(_local()))
    assert_isomorphic_datasets(second, first)  # the blank node is renamed, nothing else


def test_put_replaces_a_graph_and_leaves_others_alone(run: Run, oxigraph: Oxigraph) -> None:
    oxigraph.put(LOCAL.value, '<http://example.org/stale> <http://example.org/p> "1" .\n')
    oxigraph.put(
        "http://example.org/other", '<http://example.org/x> <http://example.org/p> "2" .\n'
    )
    assert _publish(run, oxigraph.url).exit_code == 0
    stored = oxigraph.dump()
    subjects = {str(q.subject) for q in stored}
    assert "<http://example.org/stale>" not in subjects
    assert "<http://example.org/x>" in subjects
    assert_isomorphic_datasets(
        [q for q in stored if str(q.graph_name) != "<http://example.org/other>"], _local()
    )


def test_dry_run_sends_nothing(run: Run, oxigraph: Oxigraph) -> None:
    result = _publish(run, oxigraph.url, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert oxigraph.dump() == []
    assert "nothing was sent" in result.stdout
    counts = _counts(_local())
    listed = {
        line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1])
        for line in result.stdout.splitlines()
        if line.startswith(("(default graph)", "sscg:"))
    }
    assert listed == {
        "(default graph)" if k is None else k.replace("https://w3id.org/ssc-kg/graph/", "sscg:"): v
        for k, v in counts.items()
    }


def test_default_graph_into_a_named_graph(run: Run, oxigraph: Oxigraph) -> None:
    target = "http://example.org/provenance"
    result = _publish(run, oxigraph.url, "--default-graph", target)
    assert result.exit_code == 0, result.stderr
    stored = oxigraph.dump()
    assert not any(isinstance(q.graph_name, ox.DefaultGraph) for q in stored)
    moved = [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(target))
        if isinstance(q.graph_name, ox.DefaultGraph)
        else q
        for q in _local()
    ]
    assert_isomorphic_datasets(stored, moved)


# --------------------------------------------------------------------------- verification


def test_a_store_that_loses_triples_fails_verification(run: Run, oxigraph: Oxigraph) -> None:
    with Relay(oxigraph.url, drop_line=True) as relay:
        result = _publish(run, relay.url)
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "NOT VERIFIED: 3 graph(s) differ" in result.stdout
    assert "0 of 3 graphs hold what was sent" in result.stdout
    assert result.stdout.count("different") == 3
    assert "missing: " in result.stdout


def test_python_api_with_an_rdflib_dataset(oxigraph: Oxigraph) -> None:
    import ssc_kg
    from ssc_kg.io import load

    report = ssc_kg.publish(load(FILES, shipped=False), oxigraph.query)
    assert report.ok
    assert report.triples == sum(_counts(_local()).values())
    assert_isomorphic_datasets(oxigraph.dump(), _local())


def test_sample_compares_fewer_graphs_but_counts_all(oxigraph: Oxigraph) -> None:
    report = publish(_local(), oxigraph.query, sample=0)
    assert report.ok
    contents = {g.graph: g.contents for g in report.graphs}
    assert contents[None] == "identical"  # the default graph is always compared
    assert {c for g, c in contents.items() if g is not None} == {"not compared"}
    assert all(g.stored == g.sent for g in report.graphs)


# --------------------------------------------------------------------------- failures


def test_killed_between_graphs(oxigraph: Oxigraph) -> None:
    sent: list[str | None] = []

    def on_sent(graph: str | None, triples: int) -> None:
        sent.append(graph)
        if len(sent) == 2:
            oxigraph.kill()

    with pytest.raises(PublishError) as caught:
        publish(_local(), oxigraph.query, on_sent=on_sent, retries=1, backoff=0.01)
    message = str(caught.value)
    assert "connection refused" in message
    assert "accepted 2 of 3 graphs" in message
    assert "none is reported as published" in message
    assert caught.value.sent == tuple(sent)
    assert "\n" not in message


def test_killed_mid_run_in_a_real_process(tmp_path: Path, oxigraph: Oxigraph) -> None:
    """A big publish in its own process; the store is killed as soon as it holds a graph."""
    big = tmp_path / "big.nq"
    with big.open("w", encoding="utf-8") as out:
        for g in range(3000):
            for t in range(3):
                out.write(
                    f'<http://example.org/s{t}> <http://example.org/p> "{g}" '
                    f"<http://example.org/graph/{g}> .\n"
                )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ssc_kg",
            "publish",
            "--no-shipped",
            "--data",
            str(big),
            "--endpoint",
            oxigraph.query,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if len(oxigraph.dump()) > 0:
                break
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    oxigraph.kill()
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, (stdout, stderr)
    assert stdout == b""  # no report: nothing is claimed as published
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: PUT http://127.0.0.1:")
    assert "connection refused" in lines[0] or "connection failed" in lines[0]
    assert "none is reported as published" in lines[0]


def test_refused_connection(run: Run) -> None:
    result = _publish(run, f"http://127.0.0.1:{_free_port()}")
    _assert_clean_error(result, "connection refused", "is the store running?")


def test_transient_errors_are_retried(oxigraph: Oxigraph) -> None:
    with Relay(oxigraph.url, fail_first=2, fail_status=503) as relay:
        report = publish(_local(), relay.url + "/query", retries=3, backoff=0.01)
    assert report.ok
    assert relay.requests[0] == relay.requests[1] == relay.requests[2]  # the same PUT, thrice
    assert relay.requests[0].startswith("PUT /store?default")


def test_errors_that_are_not_transient_are_not_retried(run: Run, oxigraph: Oxigraph) -> None:
    with Relay(oxigraph.url, always=500) as relay:
        result = _publish(run, relay.url)
    _assert_clean_error(result, "HTTP 500", "relay says no", "accepted 0 of 3 graphs")
    assert len(relay.requests) == 1
    with Relay(oxigraph.url, always=503) as relay, pytest.raises(PublishError, match="HTTP 503"):
        publish(_local(), relay.url + "/query", retries=2, backoff=0.01)
    assert len(relay.requests) == 3  # the first try and two retries


def test_wrong_graph_store_url(run: Run, oxigraph: Oxigraph) -> None:
    result = _publish(run, oxigraph.url, "--graph-store", oxigraph.url + "/nothing")
    _assert_clean_error(result, "HTTP 404")


# --------------------------------------------------------------------------- failure reports


def _numbered(tmp_path: Path, named: int, triples: int = 2) -> Path:
    """A default graph and *named* graphs g00, g01, ... (sent in that order)."""
    path = tmp_path / "numbered.nq"
    lines = ['<http://example.org/about> <http://example.org/p> "default" .\n']
    for g in range(named):
        for t in range(triples):
            lines.append(
                f'<http://example.org/s{t}> <http://example.org/p> "{g}" '
                f"<http://example.org/g{g:02d}> .\n"
            )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _by_graph(quads: Iterable[ox.Quad]) -> dict[str | None, set[str]]:
    """Triples (N-Triples lines) per graph name (None: the default graph); no blank nodes."""
    graphs: dict[str | None, set[str]] = {}
    for quad in quads:
        name = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        graphs.setdefault(name, set()).add(str(quad.triple))
    return graphs


def test_a_failure_on_graph_k_leaves_an_exact_report(
    run: Run, oxigraph: Oxigraph, tmp_path: Path
) -> None:
    data = _numbered(tmp_path, 6)
    report_file = tmp_path / "out" / "report.json"
    report_file.parent.mkdir()
    with Relay(oxigraph.url, fail_put=4, fail_status=500) as relay:
        result = run(
            "publish",
            "--endpoint",
            relay.url + "/query",
            "--no-shipped",
            "--data",
            str(data),
            "--report",
            str(report_file),
        )
    _assert_clean_error(
        result,
        "HTTP 500",
        "relay says no to this one",
        "accepted 3 of 7 graphs",
        "3 of them hold what was sent",
        f"(report: {report_file})",
    )
    assert [p.name for p in report_file.parent.iterdir()] == ["report.json"]  # no temporary
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["ok"] is False
    assert "HTTP 500" in report["error"]
    assert (report["graphs_sent"], report["graphs_verified"], report["graphs_total"]) == (3, 3, 7)
    statuses = [(g["graph"], g["status"]) for g in report["graphs"]]
    assert statuses == [
        (None, "verified"),
        ("http://example.org/g00", "verified"),
        ("http://example.org/g01", "verified"),
        ("http://example.org/g02", "failed"),
        ("http://example.org/g03", "not sent"),
        ("http://example.org/g04", "not sent"),
        ("http://example.org/g05", "not sent"),
    ]
    assert "HTTP 500" in report["graphs"][3]["error"]
    # What the report says, checked against what the store holds, read on its own.
    stored = _by_graph(oxigraph.dump())
    local = _by_graph(parse_quads([data]))
    for graph in report["graphs"]:
        if graph["status"] == "verified":
            assert stored[graph["graph"]] == local[graph["graph"]]
            assert graph["stored"] == graph["sent"] == len(local[graph["graph"]])
        else:
            assert graph["graph"] not in stored
            assert graph["stored"] is None


def test_store_killed_mid_publish_report_matches_what_it_kept(tmp_path: Path) -> None:
    """A real publish process; the store (on disk) is killed as soon as it holds a graph,
    then opened again to compare what it kept with the report."""
    location = tmp_path / "db"
    store = _start_oxigraph(location)
    data = _numbered(tmp_path, 3000, triples=3)
    report_file = tmp_path / "report.json"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "ssc_kg", "publish", "--no-shipped", "--data", str(data)),
            *("--endpoint", store.query, "--report", str(report_file)),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(urllib.error.URLError, OSError):
                if len(store.dump()) > 3:
                    break
            time.sleep(0.02)
    finally:
        store.kill()
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, (stdout, stderr)
    assert stdout == b""
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "they could not be read back" in lines[0]
    assert f"(report: {report_file})" in lines[0]
    report = json.loads(report_file.read_text(encoding="utf-8"))
    by_status: dict[str, set[str | None]] = {}
    for graph in report["graphs"]:
        by_status.setdefault(graph["status"], set()).add(graph["graph"])
    assert set(by_status) <= {"accepted", "failed", "not sent"}
    accepted, failed = by_status["accepted"], by_status.get("failed", set())
    assert len(failed) == 1
    assert report["graphs_sent"] == len(accepted) >= 2  # the default graph and one more
    assert report["graphs_verified"] == 0
    assert any("could not be read back" in note for note in report["notes"])
    # What the store kept: every accepted graph, as sent; nothing never sent. (The graph
    # whose request failed may or may not have been kept: the report says "failed".)
    kept = _by_graph(ox.Store.read_only(str(location)))
    local = _by_graph(parse_quads([data]))
    assert accepted <= set(kept) <= accepted | failed
    for name in accepted:
        assert kept[name] == local[name]
    assert by_status["not sent"].isdisjoint(kept)


# --------------------------------------------------------------------------- credentials


SECRET = "s3cret-passw0rd"


def test_credentials_come_from_the_environment(run: Run, oxigraph: Oxigraph) -> None:
    import base64

    wanted = "Basic " + base64.b64encode(f"alice:{SECRET}".encode()).decode()
    with Relay(oxigraph.url, require=wanted) as relay:
        anonymous = _publish(run, relay.url)
        wrong = _publish(
            run, relay.url, "--auth-env", "SSC_TEST_AUTH", SSC_TEST_AUTH=f"alice:not-{SECRET}"
        )
        right = _publish(
            run, relay.url, "--auth-env", "SSC_TEST_AUTH", SSC_TEST_AUTH=f"alice:{SECRET}"
        )
    _assert_clean_error(anonymous, "HTTP 401", "--auth-env")
    _assert_clean_error(wrong, "HTTP 401", "refused the credentials in $SSC_TEST_AUTH")
    assert right.exit_code == 0, right.stderr
    assert "3 of 3 graphs hold what was sent" in right.stdout
    for result in (anonymous, wrong, right):
        assert SECRET not in result.stdout + result.stderr


def test_bearer_token(run: Run, oxigraph: Oxigraph) -> None:
    with Relay(oxigraph.url, require=f"Bearer {SECRET}") as relay:
        result = _publish(
            run, relay.url, "--auth-env", "SSC_TEST_TOKEN", SSC_TEST_TOKEN=f"Bearer {SECRET}"
        )
    assert result.exit_code == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert all(f"Authorization: Bearer {SECRET}" in h for h in relay.headers_seen)


def test_auth_env_must_be_set(run: Run, oxigraph: Oxigraph) -> None:
    os.environ.pop("SSC_TEST_UNSET", None)
    result = _publish(run, oxigraph.url, "--auth-env", "SSC_TEST_UNSET")
    _assert_clean_error(result, "$SSC_TEST_UNSET", "not set")
    assert oxigraph.dump() == []


def test_credentials_in_the_url_are_refused(run: Run, oxigraph: Oxigraph) -> None:
    url = oxigraph.url.replace("http://", f"http://alice:{SECRET}@")
    result = _publish(run, url)
    line = _assert_clean_error(result, "must not contain credentials")
    assert SECRET not in line


def _basic(credentials: str) -> str:
    import base64

    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.mark.parametrize(
    ("status", "credentials", "relay_options", "says"),
    [
        (
            401,
            f"alice:not-{SECRET}",
            {"require": _basic(f"alice:{SECRET}")},
            "refused the credentials in $SSC_TEST_AUTH",
        ),
        (
            403,
            f"alice:{SECRET}",
            {"require": _basic(f"alice:{SECRET}"), "always": 403},
            "the credentials in $SSC_TEST_AUTH may not",
        ),
        (
            403,
            f"Bearer {SECRET}",
            {"require": f"Bearer {SECRET}", "always": 403},
            "the credentials in $SSC_TEST_AUTH may not",
        ),
    ],
    ids=["401-basic", "403-basic", "403-bearer"],
)
def test_refused_credentials_name_the_status_and_are_never_echoed(
    run: Run,
    oxigraph: Oxigraph,
    tmp_path: Path,
    status: int,
    credentials: str,
    relay_options: dict[str, Any],
    says: str,
) -> None:
    """The store refuses, and echoes the Authorization header it got into its error."""
    report_file = tmp_path / "report.json"
    with Relay(oxigraph.url, echo_auth=True, **relay_options) as relay:
        result = _publish(
            run,
            relay.url,
            "--auth-env",
            "SSC_TEST_AUTH",
            "--report",
            str(report_file),
            SSC_TEST_AUTH=credentials,
        )
    line = _assert_clean_error(result, f"HTTP {status}", says, "accepted 0 of 3 graphs")
    assert "(you sent " in line  # the store's message is kept, the credentials are not
    assert "***)" in line
    report = report_file.read_text(encoding="utf-8")
    encoded = _basic(credentials).split()[1]  # what HTTP Basic sends
    for text in (result.stdout, result.stderr, report):
        assert SECRET not in text
        assert encoded not in text
    statuses = [g["status"] for g in json.loads(report)["graphs"]]
    assert statuses == ["failed", "not sent", "not sent"]
    assert oxigraph.dump() == []  # nothing reached the store


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("endpoint", "graph_store"),
    [
        ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/store"),
        ("http://localhost:3030/ssc/sparql", "http://localhost:3030/ssc/data"),
        ("http://localhost:3030/ssc/query", "http://localhost:3030/ssc/data"),
        (
            "http://localhost:7200/repositories/ssc",
            "http://localhost:7200/repositories/ssc/rdf-graphs/service",
        ),
        ("http://localhost:8890/sparql", "http://localhost:8890/sparql-graph-crud-auth"),
    ],
)
def test_guess_graph_store(endpoint: str, graph_store: str) -> None:
    assert guess_graph_store(endpoint) == graph_store


@pytest.mark.parametrize("endpoint", ["http://localhost/", "ftp://host/query", "query"])
def test_no_guess(run: Run, endpoint: str) -> None:
    result = run("publish", "--endpoint", endpoint, *SAMPLE_ARGS)
    _assert_clean_error(result)


def test_the_oxigraph_binary_is_installed() -> None:
    assert shutil.which(find_oxigraph())
