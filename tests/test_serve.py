"""ssc-kg serve: a real `ssc-kg serve` process (our front on aiohttp, before the real
Oxigraph server), queried by real clients.

The endpoint serves the shipped dataset so that the competency queries of queries/ have
their real answers; it is only read. Each answer is compared with `ssc-kg query` on the
same query, as a multiset of rows. The limits (--max-results, --timeout, SERVICE, request
size, slow clients) are checked against the real processes too: nothing is mocked.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from click.testing import Result

from ssc_kg.resources import query_files
from ssc_kg.store import METADATA, SNAPSHOT, build

from .conftest import EXTRA, SAMPLE, SAMPLE_ARGS, make_runner

Run = Callable[..., Result]

QUERIES = query_files()
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
TIMEOUT = 2
MAX_RESULTS = 500
"""The module server's --max-results: the shipped data has 947 quads in named graphs."""


@dataclass
class Served:
    """A running `python -m ssc_kg serve` process and the URL it printed."""

    process: subprocess.Popen[bytes]
    url: str
    tmpdir: Path

    @property
    def base(self) -> str:
        return self.url.rsplit("/", 1)[0]

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        self.process.send_signal(sig)
        try:
            _, stderr = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # our own process group only
            raise
        return self.process.returncode, stderr.decode()


def _serve(tmp_path: Path, *args: str) -> Served:
    """Start `ssc-kg serve --port 0 ARGS`; its temporary store goes under tmp_path/tmp."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "ssc_kg", "serve", "--port", "0", *args],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmpdir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so that a failed test can end the server too
    )
    assert process.stdout is not None
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(120)
    if not line or not line[0].startswith(b"SPARQL endpoint: "):
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        raise AssertionError(f"serve did not start: {line} {stderr.decode()}")
    return Served(process, line[0].decode().split(": ", 1)[1].strip(), tmpdir)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = _serve(
        tmp_path_factory.mktemp("serve"),
        "--timeout",
        str(TIMEOUT),
        "--max-results",
        str(MAX_RESULTS),
    )
    try:
        yield server
    finally:
        if server.process.poll() is None:
            code, stderr = server.stop()
            assert code == 0, stderr
            assert "Traceback" not in stderr


def _get(url: str, accept: str, **params: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url + "?" + urlencode(params), headers={"Accept": accept})
    try:
        with OPENER.open(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def _post(url: str, body: bytes, content_type: str, accept: str = "*/*") -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type, "Accept": accept}, method="POST"
    )
    try:
        with OPENER.open(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _term(binding: dict[str, str]) -> tuple[str, ...]:
    """A SPARQL JSON term, with the literal forms that mean the same written the same."""
    kind = binding["type"]
    if kind == "typed-literal":  # SPARQL 1.0 spelling
        kind = "literal"
    if kind == "literal":
        language = binding.get("xml:lang", "")
        datatype = "" if language else binding.get("datatype", XSD_STRING)
        return (kind, binding["value"], language.lower(), datatype)
    return (kind, binding["value"])


def _rows(document: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    names = document["head"]["vars"]
    return Counter(
        tuple(_term(row[n]) if n in row else None for n in names)
        for row in document["results"]["bindings"]
    )


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, Any]]:
    """Each competency query's answer from `ssc-kg query --format json` (shipped data)."""
    from ssc_kg.cli import cli

    runner = make_runner()
    answers = {}
    for path in QUERIES:
        result = runner.invoke(cli, ["query", "-f", str(path), "--format", "json"])
        assert result.exit_code == 0, result.stderr
        answers[path.name] = json.loads(result.stdout)
    return answers


def _sparqlwrapper(url: str, query: str) -> dict[str, Any]:
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert isinstance(result, dict)
    return result


# --------------------------------------------------------------------------- answers


def test_prints_a_loopback_url(served: Served) -> None:
    assert served.url.startswith("http://127.0.0.1:")
    assert served.url.endswith("/query")


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_competency_query_answers_equal_ssc_kg_query(
    served: Served, expected: dict[str, dict[str, Any]], path: Path
) -> None:
    answer = _sparqlwrapper(served.url, path.read_text(encoding="utf-8"))
    want = expected[path.name]
    assert answer["head"]["vars"] == want["head"]["vars"]
    assert _rows(answer) == _rows(want)
    if path.stem != "16-labels-missing-language":  # the data check whose answer is empty
        assert answer["results"]["bindings"]


def test_get_and_both_posts_agree(served: Served, expected: dict[str, dict[str, Any]]) -> None:
    path = QUERIES[0]
    text = path.read_text(encoding="utf-8")
    accept = "application/sparql-results+json"
    status, _, by_get = _get(served.url, accept, query=text)
    assert status == 200
    status, by_form = _post(
        served.url, urlencode({"query": text}).encode(), "application/x-www-form-urlencoded", accept
    )
    assert status == 200
    status, by_body = _post(served.url, text.encode(), "application/sparql-query", accept)
    assert status == 200
    want = _rows(expected[path.name])
    for body in (by_get, by_form, by_body):
        assert _rows(json.loads(body)) == want


SELECT_LABELS = (
    "SELECT ?label WHERE { <https://w3id.org/ssc-kg/id/undp> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
)
LABELS = {"United Nations Development Programme", "Program Pembangunan PBB"}


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_select_content_negotiation(served: Served, accept: str, media: str) -> None:
    status, content_type, body = _get(served.url, accept, query=SELECT_LABELS)
    assert status == 200
    assert content_type.split(";")[0] == media
    text = body.decode("utf-8")
    if media.endswith("json"):
        found = {row["label"]["value"] for row in json.loads(text)["results"]["bindings"]}
    elif media.endswith("xml"):
        import xml.etree.ElementTree as ET

        root = ET.fromstring(text)
        found = {e.text for e in root.iter("{http://www.w3.org/2005/sparql-results#}literal")}
    elif media == "text/csv":
        found = {row["label"] for row in csv.DictReader(io.StringIO(text))}
    else:
        lines = text.splitlines()
        assert lines[0] == "?label"
        found = {line.rsplit("@", 1)[0].strip('"') for line in lines[1:] if line}
    assert found == LABELS


def test_ask_content_negotiation(served: Served) -> None:
    status, content_type, body = _get(
        served.url, "application/sparql-results+xml", query="ASK { ?s ?p ?o }"
    )
    assert status == 200
    assert content_type.startswith("application/sparql-results+xml")
    assert b"<boolean>true</boolean>" in body


CONSTRUCT = (
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/ssc-kg/graph/entities> "
    "{ ?s ?p ?o FILTER(?s = <https://w3id.org/ssc-kg/id/undp>) } }"
)


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_construct_content_negotiation(served: Served, accept: str, fmt: ox.RdfFormat) -> None:
    from ssc_kg.cli import cli

    result = make_runner().invoke(cli, ["query", CONSTRUCT, "--format", "nt"])
    assert result.exit_code == 0
    want = set(ox.parse(result.stdout.encode(), format=ox.RdfFormat.N_TRIPLES))
    assert len(want) >= 4  # types and the two labels at least
    status, content_type, body = _get(served.url, accept, query=CONSTRUCT)
    assert status == 200
    assert content_type.split(";")[0] == accept
    assert set(ox.parse(body, format=fmt)) == want


def test_query_editor_is_served_without_a_cdn(served: Served) -> None:
    status, content_type, page = _get(served.base + "/", "text/html")
    assert status == 200
    assert content_type.startswith("text/html")
    assert b'src="./yasgui.min.js"' in page
    assert b"://" not in page.split(b"<script")[1].split(b">")[0]  # the script is local
    status, _, script = _get(served.base + "/yasgui.min.js", "*/*")
    assert status == 200
    assert len(script) > 100_000


# --------------------------------------------------------------------------- read only


def _count(served: Served) -> int:
    answer = _sparqlwrapper(served.url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return int(answer["results"]["bindings"][0]["n"]["value"])


def test_updates_are_refused(served: Served) -> None:
    from SPARQLWrapper import POST, SPARQLWrapper

    before = _count(served)
    insert = (
        "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> "
        "<http://example.org/p> <http://example.org/o> } }"
    )
    client = SPARQLWrapper(served.url, updateEndpoint=served.base + "/update")
    client.setMethod(POST)
    client.setQuery(insert)
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.query()
    assert caught.value.code == 403
    # an update sent to the query endpoint is not run either
    status, _ = _post(served.url, insert.encode(), "application/sparql-update")
    assert status in (400, 403, 415)
    # the Graph Store Protocol is read only too
    for method in ("PUT", "POST", "DELETE"):
        request = urllib.request.Request(
            served.base + "/store?default",
            data=b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n",
            headers={"Content-Type": "application/n-triples"},
            method=method,
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            OPENER.open(request, timeout=30)
        assert refused.value.code == 403, method
    assert _count(served) == before
    ask = _sparqlwrapper(served.url, "ASK { GRAPH ?g { <http://example.org/s> ?p ?o } }")
    assert ask["boolean"] is False


def test_fifty_concurrent_clients(served: Served, expected: dict[str, dict[str, Any]]) -> None:
    clients = 50
    start = threading.Barrier(clients)

    def one(index: int) -> bool:
        path = QUERIES[index % len(QUERIES)]
        start.wait(60)
        answer = _sparqlwrapper(served.url, path.read_text(encoding="utf-8"))
        return _rows(answer) == _rows(expected[path.name])

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(one, range(clients)))
    assert results == [True] * clients


def test_runaway_query_is_stopped_by_the_timeout(served: Served) -> None:
    """1254 triples cubed: about 2e9 rows to count; Oxigraph cancels it at the timeout."""
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    before = _count(served)
    began = time.monotonic()
    status, _, body = _get(served.url, "application/sparql-results+json", query=runaway)
    elapsed = time.monotonic() - began
    assert TIMEOUT <= elapsed < TIMEOUT + 20
    # Either an error status, or (once the result has begun to stream) a cut-off document.
    assert status >= 400 or b"cancelled" in body
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    # the server goes on answering
    assert _count(served) == before > 0


# --------------------------------------------------------------------------- limits


def _cli_query(sparql: str, fmt: str) -> str:
    from ssc_kg.cli import cli

    result = make_runner().invoke(cli, ["query", sparql, "--format", fmt])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _count_answer(media: str, body: bytes) -> int:
    """Rows or distinct triples of an answer, counted here (csv module, pyoxigraph)."""
    if media == "text/csv":
        return len(list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))) - 1
    results = ox.QueryResultsFormat.from_media_type(media)
    if results is not None:
        return sum(1 for _ in ox.parse_query_results(body, results))  # type: ignore[union-attr]
    rdf = ox.RdfFormat.from_media_type(media)
    assert rdf is not None, media
    return len(set(ox.parse(body, rdf)))


def _assert_one_line(body: bytes, *fragments: str) -> str:
    line = body.decode("utf-8")
    assert line.strip(), line
    assert "\n" not in line.strip(), line
    for fragment in fragments:
        assert fragment in line, line
    return line


ROWS = (
    "SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(!isBlank(?s) && !isBlank(?o)) }} "
    "ORDER BY ?g ?s ?p ?o LIMIT {}"
)
TRIPLES = (
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
    "FILTER(!isBlank(?s) && !isBlank(?o)) }} ORDER BY ?s ?p ?o ?g{}"
)
SELECT_MEDIA = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
RDF_MEDIA = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]


@pytest.fixture(scope="module")
def limit_answers() -> dict[str, Any]:
    """`ssc-kg query`'s answers to the queries at and over the module server's limit."""
    at = json.loads(_cli_query(ROWS.format(MAX_RESULTS), "json"))
    over = json.loads(_cli_query(ROWS.format(MAX_RESULTS + 1), "json"))
    assert len(at["results"]["bindings"]) == MAX_RESULTS
    assert len(over["results"]["bindings"]) == MAX_RESULTS + 1
    some = _cli_query(TRIPLES.format(f" LIMIT {MAX_RESULTS}"), "nt")
    every = _cli_query(TRIPLES.format(""), "nt")
    triples_at = set(ox.parse(some.encode(), ox.RdfFormat.N_TRIPLES))
    triples_all = set(ox.parse(every.encode(), ox.RdfFormat.N_TRIPLES))
    assert 0 < len(triples_at) <= MAX_RESULTS < len(triples_all)
    return {"rows": at, "triples": triples_at}


@pytest.mark.parametrize("media", SELECT_MEDIA)
def test_rows_up_to_the_limit_are_answered_whole(
    served: Served, limit_answers: dict[str, Any], media: str
) -> None:
    status, content_type, body = _get(served.url, media, query=ROWS.format(MAX_RESULTS))
    assert status == 200
    assert content_type.split(";")[0] == media
    assert _count_answer(media, body) == MAX_RESULTS
    if media.endswith("json"):
        assert _rows(json.loads(body)) == _rows(limit_answers["rows"])


@pytest.mark.parametrize("media", SELECT_MEDIA)
def test_one_row_over_the_limit_is_refused(
    served: Served, limit_answers: dict[str, Any], media: str
) -> None:
    status, content_type, body = _get(served.url, media, query=ROWS.format(MAX_RESULTS + 1))
    assert status == 500
    assert content_type.startswith("text/plain")
    _assert_one_line(body, f"more than {MAX_RESULTS} rows", f"--max-results {MAX_RESULTS}", "LIMIT")


@pytest.mark.parametrize("media", RDF_MEDIA)
def test_triples_up_to_the_limit_and_over_it(
    served: Served, limit_answers: dict[str, Any], media: str
) -> None:
    status, content_type, body = _get(
        served.url, media, query=TRIPLES.format(f" LIMIT {MAX_RESULTS}")
    )
    assert status == 200
    assert content_type.split(";")[0] == media
    fmt = ox.RdfFormat.from_media_type(media)
    assert fmt is not None
    assert set(ox.parse(body, fmt)) == limit_answers["triples"]
    status, content_type, body = _get(served.url, media, query=TRIPLES.format(""))
    assert status == 500
    assert content_type.startswith("text/plain")
    _assert_one_line(body, f"more than {MAX_RESULTS} triples")


def test_graph_store_reads_are_limited_too(served: Served) -> None:
    entities = "https://w3id.org/ssc-kg/graph/entities"
    count = json.loads(
        _cli_query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{entities}> {{ ?s ?p ?o }} }}", "json")
    )["results"]["bindings"][0]["n"]["value"]
    assert 0 < int(count) <= MAX_RESULTS
    status, _, body = _get(served.base + "/store", "application/n-triples", graph=entities)
    assert status == 200
    assert len(set(ox.parse(body, ox.RdfFormat.N_TRIPLES))) == int(count)
    request = urllib.request.Request(
        served.base + "/store", headers={"Accept": "application/n-quads"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:  # 1254 quads in all
        OPENER.open(request, timeout=60)
    assert refused.value.code == 500
    _assert_one_line(refused.value.read(), f"more than {MAX_RESULTS} triples")


SERVICE_QUERY = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"


def test_service_is_refused(served: Served) -> None:
    accept = "application/sparql-results+json"
    answers = [
        _get(served.url, accept, query=SERVICE_QUERY)[::2],
        _get(served.base + "/sparql", accept, query=SERVICE_QUERY.lower())[::2],
        _post(
            served.url,
            urlencode({"query": SERVICE_QUERY}).encode(),
            "application/x-www-form-urlencoded",
        ),
        _post(served.url, SERVICE_QUERY.encode(), "application/sparql-query"),
    ]
    for status, body in answers:
        assert status == 400
        _assert_one_line(body, "SERVICE", "--allow-network")
    # The word inside a string, an IRI or a comment is not a SERVICE clause.
    harmless = 'SELECT ("SERVICE <x> {}" AS ?x) WHERE { } # SERVICE <http://example.org/>'
    status, _, body = _get(served.url, accept, query=harmless)
    assert status == 200
    assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == "SERVICE <x> {}"


def test_service_is_passed_on_with_allow_network(served: Served, tmp_path: Path) -> None:
    """SERVICE to the module's endpoint, from a second `ssc-kg serve --allow-network`."""
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    remote = f"SELECT ?n WHERE {{ SERVICE <{served.url}> {{ {count} }} }}"
    other = _serve(tmp_path, "--allow-network", *SAMPLE_ARGS)
    try:
        through = _sparqlwrapper(other.url, remote)
        local = _sparqlwrapper(other.url, count)
    finally:
        code, stderr = other.stop()
    assert code == 0, stderr
    shipped = json.loads(_cli_query(count, "json"))["results"]["bindings"][0]["n"]["value"]
    assert through["results"]["bindings"][0]["n"]["value"] == shipped
    assert local["results"]["bindings"][0]["n"]["value"] != shipped  # the sample is smaller


def test_oversized_requests_are_refused(served: Served) -> None:
    big = "ASK { }" + " " * (1 << 20)
    refused = [
        _post(served.url, big.encode(), "application/sparql-query"),
        _post(served.url, urlencode({"query": big}).encode(), "application/x-www-form-urlencoded"),
        _get(served.url, "*/*", query=big)[::2],
    ]
    for status, body in refused:
        assert status == 413
        _assert_one_line(body, "larger than 1048576 bytes")
    status, _ = _post(served.url, b"ASK { }" + b" " * 1000, "application/sparql-query")
    assert status == 200  # a request under the limit, after the refused ones


def _address(served: Served) -> tuple[str, int]:
    host, port = served.base.split("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def test_slow_clients_do_not_block_others(served: Served) -> None:
    before = _count(served)
    half_head = socket.create_connection(_address(served))
    half_head.sendall(b"GET /query?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n")  # no end of head
    half_body = socket.create_connection(_address(served))
    half_body.sendall(
        b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 1000\r\n\r\nSELECT"
    )
    began = time.monotonic()
    try:
        for _ in range(5):  # others are answered at once, meanwhile
            started = time.monotonic()
            assert _count(served) == before
            assert time.monotonic() - started < 1.5
        # ... and the server gives up on the slow ones after the timeout
        half_head.settimeout(TIMEOUT + 10)
        assert half_head.recv(1000) == b""  # closed without an answer
        half_body.settimeout(TIMEOUT + 10)
        answer = b""
        while chunk := half_body.recv(1000):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - began < TIMEOUT + 5
    finally:
        half_head.close()
        half_body.close()


def _children(pid: int) -> set[int]:
    """The processes started by any thread of *pid* (Linux)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def test_a_query_oxigraph_cannot_cancel_is_stopped(served: Served) -> None:
    """The 4-way cross product: Oxigraph's own timeout does not stop its COUNT."""
    if not Path(f"/proc/{served.process.pid}/task").is_dir():
        pytest.skip("needs /proc (Linux) to find the Oxigraph processes")
    before_count = _count(served)
    before = _children(served.process.pid)
    assert len(before) == 1
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    answer: list[tuple[int, str, bytes]] = []
    thread = threading.Thread(
        target=lambda: answer.append(_get(served.url, "text/csv", query=runaway))
    )
    began = time.monotonic()
    thread.start()
    time.sleep(0.5)
    assert _count(served) == before_count  # others are answered while it runs
    thread.join(TIMEOUT + 30)
    elapsed = time.monotonic() - began
    ((status, content_type, body),) = answer
    assert status == 503
    assert content_type.startswith("text/plain")
    _assert_one_line(body, f"stopped after {TIMEOUT} s", f"--timeout {TIMEOUT}")
    assert TIMEOUT <= elapsed < TIMEOUT + 3
    assert _count(served) == before_count
    # The Oxigraph process that ran it is replaced by a fresh one, and ends.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        now = _children(served.process.pid)
        if len(now) == 1 and not now & before:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"Oxigraph processes: before {before}, now {now}")
    (old,) = before
    assert not Path(f"/proc/{old}").exists() or "Z" in Path(f"/proc/{old}/stat").read_text()


def _read(url: str, accept: str, query: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url + "?" + urlencode({"query": query}))
    request.add_header("Accept", accept)
    with OPENER.open(request, timeout=60) as response:
        return response.status, dict(response.headers), response.read()


def test_long_answers_stream_and_are_cut_at_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_HELD bytes an answer streams; a limit reached after that cuts it."""
    import http.client

    from ssc_kg import endpoint, front

    monkeypatch.setattr(front, "MAX_HELD", 4096)
    product = "SELECT * WHERE {{ ?a ?b ?c . ?d ?e ?f }} ORDER BY ?a ?b ?c ?d ?e ?f LIMIT {}"
    json_media = "application/sparql-results+json"
    with endpoint.start([SAMPLE, EXTRA], shipped=False, port=0, max_results=300) as server:
        status, headers, body = _read(server.query_url, json_media, product.format(300))
        assert status == 200
        assert "Content-Length" not in headers  # streamed: more than 4096 bytes
        assert len(body) > 4096
        assert sum(1 for _ in ox.parse_query_results(body, ox.QueryResultsFormat.JSON)) == 300
        with pytest.raises(http.client.IncompleteRead):  # cut: never a complete document
            _read(server.query_url, json_media, product.format(301))
        assert _read(server.query_url, json_media, "ASK { }")[0] == 200


def test_no_limit_streams_everything_until_the_timeout() -> None:
    import http.client

    from ssc_kg import endpoint

    product = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    tsv = "text/tab-separated-values"
    with endpoint.start([SAMPLE], shipped=False, port=0, max_results=0, timeout=1) as server:
        status, _, body = _read(server.query_url, tsv, product + " LIMIT 20000")
        assert status == 200
        assert len(body.decode().splitlines()) == 20001  # header and rows: no limit
        began = time.monotonic()
        with pytest.raises(http.client.IncompleteRead):  # streamed, then cut at 1 s
            _read(server.query_url, tsv, product)
        assert time.monotonic() - began < 1 + 3
        assert _read(server.query_url, tsv, "SELECT * { } ")[0] == 200


def test_the_front_is_imported_only_by_serve(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import ssc_kg, ssc_kg.cli, ssc_kg.endpoint\n"
        "from ssc_kg.cli import main\n"
        "try:\n"
        f"    main(['export', '--format', 'nt', '--no-shipped', '--data', {str(SAMPLE)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'aiohttp'"
        " or m == 'ssc_kg.front'), file=sys.stderr)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert completed.stderr.strip() == "[]"
    assert completed.stdout


# --------------------------------------------------------------------------- lifecycle


def _port_is_closed(url: str) -> bool:
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stops_cleanly_and_removes_its_temporary_store(tmp_path: Path, sig: int) -> None:
    server = _serve(tmp_path, *SAMPLE_ARGS)
    assert list(server.tmpdir.iterdir())  # the temporary store
    answer = _sparqlwrapper(server.url, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(answer["results"]["bindings"][0]["n"]["value"]) > 0
    code, stderr = server.stop(sig)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "SPARQL endpoint stopped." in stderr
    assert list(server.tmpdir.iterdir()) == []
    assert _port_is_closed(server.url)


def _digest(directory: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
        for name in (METADATA, SNAPSHOT)
    }


def test_serves_a_store_without_changing_it(tmp_path: Path) -> None:
    store = tmp_path / "kg"
    built = build(store, [SAMPLE, EXTRA], shipped=False)
    before = _digest(store)
    server = _serve(tmp_path, "--store", str(store), "--cors")
    try:
        cors = _cors_header(server.url)
        answer = _sparqlwrapper(
            server.url,
            "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
        )
    finally:
        code, stderr = server.stop(signal.SIGTERM)
    assert code == 0, stderr
    assert int(answer["results"]["bindings"][0]["n"]["value"]) == len(built) + len(
        [q for q in built.quads() if str(q.graph_name) != "DEFAULT"]
    )
    assert _digest(store) == before
    assert store.is_dir()
    assert cors == "*"


def _cors_header(url: str) -> str | None:
    request = urllib.request.Request(
        url + "?query=ASK%7B%7D", headers={"Origin": "https://yasgui.example"}
    )
    with OPENER.open(request, timeout=30) as response:
        return response.headers.get("Access-Control-Allow-Origin")


def test_no_cors_unless_asked(served: Served) -> None:
    assert _cors_header(served.url) is None


# --------------------------------------------------------------------------- errors


def _assert_clean_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: "), lines
    for fragment in fragments:
        assert fragment in lines[-1]


def test_port_in_use(run: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), *SAMPLE_ARGS)
    _assert_clean_error(result, f"cannot listen on 127.0.0.1:{port}")
    assert result.stdout == ""


def test_store_and_data_are_exclusive(run: Run, tmp_path: Path) -> None:
    result = run("serve", "--store", str(tmp_path), "--data", str(SAMPLE))
    _assert_clean_error(result, "--store cannot be combined")


def test_not_a_store(run: Run, tmp_path: Path) -> None:
    result = run("serve", "--port", "0", "--store", str(tmp_path / "missing"))
    _assert_clean_error(result, "no such store")


def test_bad_data(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b> .\n", encoding="utf-8")
    result = run("serve", "--port", "0", "--no-shipped", "--data", str(bad))
    _assert_clean_error(result, "bad.ttl")
    assert not any(p.name.startswith("ssc-kg-serve-") for p in tmp_path.iterdir())


def test_the_server_dying_is_a_clear_error(tmp_path: Path) -> None:
    server = _serve(tmp_path, *SAMPLE_ARGS)
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    if not children.exists():
        os.killpg(server.process.pid, signal.SIGKILL)
        pytest.skip("needs /proc/PID/task/PID/children (Linux) to find the server process")
    (child,) = (int(pid) for pid in children.read_text().split())
    os.kill(child, signal.SIGKILL)  # the oxigraph process that `ssc-kg serve` started
    _, stderr = server.process.communicate(timeout=30)
    assert server.process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert "Traceback" not in stderr.decode()
    assert lines[-1].startswith("Error: the SPARQL server stopped unexpectedly")
    assert "exit status -9" in lines[-1]
    assert list(server.tmpdir.iterdir()) == []
