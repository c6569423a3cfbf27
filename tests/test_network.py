"""No network unless asked: every hostile input is processed under two tripwires.

1. A Python audit hook (``sys.addaudithook``) installed first thing in a child process
   records every socket, DNS, urllib, http.client and subprocess event while the case
   runs through the real command line (audit hooks cannot be removed, hence the child).
2. A honeypot TCP server on 127.0.0.1 that every hostile URL points at, with a path
   unique to its case: it sees connections from native code too (pyoxigraph's HTTP
   client is Rust, invisible to audit hooks; it also runs in a forked query worker).

The positive controls prove both tripwires fire: with ``--allow-network`` a SERVICE
query reaches the honeypot from Rust, and pyshacl's ``owl:imports`` fetch shows in the
audit hook and fetches real shapes from the honeypot.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .conftest import EXTRA, SAMPLE, SHAPES

SAMPLE_ARGS = ["--no-shipped", "--data", str(SAMPLE), "--data", str(EXTRA)]


# --------------------------------------------------------------------------- the honeypot


class Honeypot:
    """A TCP server on 127.0.0.1 recording every request; serves ``files`` over HTTP."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.requests: list[str] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, case: str, rest: str = "x") -> str:
        return f"http://127.0.0.1:{self.port}/{case}/{rest}"

    def hits(self, case: str) -> list[str]:
        return [r for r in self.requests if f" /{case}/" in r]

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                try:
                    head = connection.recv(65536).decode("latin-1")
                except OSError:
                    head = ""
                self.requests.append(head.split("\r\n", 1)[0] or "(connection without request)")
                path = head.split(" ")[1] if head.count(" ") >= 2 else ""
                media_type, body = self.files.get(path, ("text/plain", b"not here"))
                status = "200 OK" if path in self.files else "404 Not Found"
                response = (
                    f"HTTP/1.1 {status}\r\nContent-Type: {media_type}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                ).encode() + body
                with contextlib.suppress(OSError):
                    connection.sendall(response)

    def close(self) -> None:
        self.server.close()


# --------------------------------------------------------------------------- the child

CHILD = textwrap.dedent(
    r"""
    import sys

    WATCHED = {
        "socket.__new__", "socket.bind", "socket.connect", "socket.getaddrinfo",
        "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr",
        "socket.getnameinfo", "socket.sendto", "socket.sendmsg", "urllib.Request",
        "http.client.connect", "http.client.send", "ftplib.connect", "smtplib.connect",
        "webbrowser.open", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
        "os.spawn",
    }
    seen = []

    def tripwire(event, args):
        if event in WATCHED:
            seen.append(f"{event} {args!r}"[:300])

    sys.addaudithook(tripwire)  # before anything else is imported

    import json
    import traceback

    from click.testing import CliRunner

    from ssc_kg.cli import cli

    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    with open(sys.argv[1], encoding="utf-8") as handle:
        cases = json.load(handle)
    for case in cases:
        seen.clear()
        result = runner.invoke(cli, case["args"], input=case.get("input"), catch_exceptions=True)
        error = None
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            error = "".join(traceback.format_exception(result.exception))
        print(json.dumps({
            "id": case["id"],
            "exit_code": result.exit_code,
            "stdout": result.stdout[-2000:],
            "stderr": result.stderr,
            "events": list(seen),
            "traceback": error,
        }), flush=True)
    """
)


@dataclass
class Case:
    id: str
    args: list[str]
    exit_codes: tuple[int, ...]
    fragments: tuple[str, ...] = ()
    """Expected in the one-line error (exit 2) or on stderr (other exits)."""
    input: str | None = None
    network: bool = False
    """True only for the positive controls (--allow-network)."""
    needs: dict[str, Any] = field(default_factory=dict)


def run_cases(cases: list[Case], workdir: Path) -> dict[str, dict[str, Any]]:
    spec = workdir / "cases.json"
    spec.write_text(
        json.dumps([{"id": c.id, "args": c.args, "input": c.input} for c in cases]),
        encoding="utf-8",
    )
    script = workdir / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(script), str(spec)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    results = {}
    for line in completed.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            results[record["id"]] = record
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert len(results) == len(cases), completed.stderr[-3000:]
    return results


# --------------------------------------------------------------------------- hostile inputs

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'
BODY = f'<rdf:RDF {RDF}><rdf:Description rdf:about="http://example.org/s">{{}}</rdf:Description></rdf:RDF>'
OWL_IMPORTS = "<http://www.w3.org/2002/07/owl#imports>"


def hostile_cases(folder: Path, pot: Honeypot, *, dry: bool = False) -> list[Case]:
    """The hostile cases; *dry*: only their ids and arguments (no files written)."""

    def write(name: str, text: str) -> str:
        path = folder / name
        if not dry:
            path.write_text(text, encoding="utf-8")
        return str(path)

    def xml(case: str, doctype: str, content: str = "<ex:p>&e;</ex:p>") -> str:
        return write(f"{case}.rdf", f'<?xml version="1.0"?>\n{doctype}\n{BODY.format(content)}\n')

    def export(path: str) -> list[str]:
        return ["export", "--no-shipped", "--data", path]

    cases: list[Case] = []

    # JSON-LD: a remote @context (and @import) through every command that reads data
    remote = write(
        "remote.jsonld", json.dumps({"@context": pot.url("jsonld"), "@id": "http://e/s"})
    )
    in_array = write(
        "remote-array.jsonld",
        json.dumps({"@context": [pot.url("jsonld-array"), {"n": "http://e/n"}], "n": "x"}),
    )
    imported = write(
        "import.jsonld",
        json.dumps({"@context": {"@version": 1.1, "@import": pot.url("jsonld-import")}, "a": 1}),
    )
    never = ("never fetched",)
    cases += [
        Case("jsonld-export", export(remote), (2,), (remote, *never)),
        Case("jsonld-array", export(in_array), (2,), never),
        Case("jsonld-import", export(imported), (2,), never),
        Case("jsonld-stats", ["stats", "--no-shipped", "--data", remote], (2,), never),
        Case("jsonld-query", ["query", "--no-shipped", "--data", remote, "ASK {}"], (2,), never),
        Case("jsonld-validate", ["validate", *SAMPLE_ARGS, remote], (2,), (remote, *never)),
        Case("jsonld-shapes", ["validate", *SAMPLE_ARGS, "--shapes", remote], (2,), never),
        Case(
            "jsonld-load",
            ["load", "--store", str(folder / "store-remote"), "--no-shipped", remote],
            (2,),
            never,
        ),
        Case(
            "jsonld-stdin",
            ["export", "--no-shipped", "--data", "-", "--input-format", "jsonld"],
            (2,),
            ("<stdin>", *never),
            input=json.dumps({"@context": pot.url("jsonld-stdin"), "@id": "http://e/s"}),
        ),
    ]

    # RDF/XML: external entities (file and http), external DTDs, entity bombs
    laughs = "\n".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    entity = '<!DOCTYPE rdf:RDF [ <!ENTITY e SYSTEM "{}"> ]>'
    plain = "<ex:p>x</ex:p>"
    xxe_file = xml("xxe-file", entity.format("file:///etc/passwd"))
    xxe_http = xml("xxe-http", entity.format(pot.url("xxe-http")))
    dtd_system = xml("dtd-system", f'<!DOCTYPE rdf:RDF SYSTEM "{pot.url("dtd")}">', plain)
    dtd_public = xml(
        "dtd-public", f'<!DOCTYPE rdf:RDF PUBLIC "-//X//EN" "{pot.url("dtd")}">', plain
    )
    parameter = xml(
        "parameter-entity",
        f'<!DOCTYPE rdf:RDF [ <!ENTITY % r SYSTEM "{pot.url("parameter-entity")}"> %r; ]>',
        plain,
    )
    bomb = xml(
        "billion-laughs", f'<!DOCTYPE rdf:RDF [ <!ENTITY l0 "lol">\n{laughs}\n<!ENTITY e "&l9;"> ]>'
    )
    xml_base = write(
        "xml-base.rdf",
        f'<rdf:RDF {RDF} xml:base="{pot.url("xml-base")}"><rdf:Description rdf:about="rel">'
        '<ex:p rdf:resource="other"/></rdf:Description></rdf:RDF>',
    )
    cases += [
        Case("xxe-file", export(xxe_file), (2,), (f"{xxe_file}:2:", "external entit")),
        Case("xxe-http", export(xxe_http), (2,), (f"{xxe_http}:2:", "external entit")),
        Case("dtd-system", export(dtd_system), (2,), (f"{dtd_system}:2:", "external DTD")),
        Case(
            "dtd-public", ["stats", "--no-shipped", "--data", dtd_public], (2,), ("external DTD",)
        ),
        Case("parameter-entity", export(parameter), (2,), (f"{parameter}:2:", "parameter")),
        Case("billion-laughs", export(bomb), (2,), (bomb, "nested expansion")),
        Case("xml-base", [*export(xml_base), "--format", "nt"], (0,)),
    ]

    # Turtle / TriG: @base, @prefix and relative IRIs pointing at http are just names
    turtle = write(
        "base.ttl",
        f"@base <{pot.url('turtle-base', '')}> .\n"
        f"@prefix p: <{pot.url('turtle-base', 'p#')}> .\n<a> p:b <c> .\n",
    )
    trig = write("base.trig", f"BASE <{pot.url('trig-base', '')}>\nGRAPH <g> {{ <a> <b> <c> }}\n")
    cases += [
        Case("turtle-base", export(turtle), (0,)),
        Case(
            "trig-base",
            ["query", "--no-shipped", "--data", trig, "SELECT * { GRAPH ?g { ?s ?p ?o } }"],
            (0,),
        ),
    ]

    # file names that are URLs are file names: nothing is downloaded
    cases += [
        Case("url-as-data", export(pot.url("url-as-data", "d.ttl")), (2,), ("no such file",)),
        Case(
            "url-as-shapes",
            ["validate", *SAMPLE_ARGS, "--shapes", pot.url("url-as-shapes", "s.ttl")],
            (2,),
            ("no such file",),
        ),
        Case(
            "url-as-query",
            ["query", *SAMPLE_ARGS, "-f", pot.url("url-as-query", "q.rq")],
            (2,),
            ("cannot read query",),
        ),
    ]

    # SPARQL: SERVICE (also spelled with an escape, in a file, on a store), FROM, LOAD
    store = str(folder / "store")

    def query(*args: str) -> list[str]:
        return ["query", *SAMPLE_ARGS, *args]

    service = "SELECT * {{ SERVICE <{}> {{ ?s ?p ?o }} }}"
    service_file = write("service.rq", "SELECT * WHERE {\n" + service.format(pot.url("sf"))[9:])
    cases += [
        Case("load-store", ["load", "--store", store, "--no-shipped", str(SAMPLE)], (0,)),
        Case("service", query(service.format(pot.url("service"))), (2,), ("SERVICE",)),
        Case(
            "service-silent",
            query(f"ASK {{ SERVICE SILENT <{pot.url('service-silent')}> {{ ?s ?p ?o }} }}"),
            (2,),
            ("SERVICE",),
        ),
        Case(
            "service-escaped",
            query(service.format(pot.url("service-escaped")).replace("SERVICE", "\\u0053ERVICE")),
            (2,),
            ("SERVICE",),
        ),
        Case(
            "service-store",
            ["query", "--store", store, service.format(pot.url("service-store"))],
            (2,),
            ("SERVICE",),
        ),
        Case("service-file", query("-f", service_file), (2,), ("SERVICE",)),
        Case(
            "from",
            query(f"SELECT * FROM <{pot.url('from')}> FROM NAMED <{pot.url('from', 'n')}> {{}}"),
            (0,),
        ),
        Case("load", query(f"LOAD <{pot.url('load')}>"), (2,), ("SPARQL syntax error",)),
    ]

    # owl:imports in the data (noted, never followed) and in the shapes (refused)
    data_import = write(
        "data-import.ttl", f"<http://e/onto> {OWL_IMPORTS} <{pot.url('data-import')}> .\n"
    )
    shapes_import = write(
        "shapes-import.ttl",
        (SHAPES.read_text(encoding="utf-8") if not dry else "")
        + f"\n<http://e/shapes> {OWL_IMPORTS} <{pot.url('shapes-import')}> .\n",
    )
    for engine in ("pyshacl", "fast", "auto"):
        cases += [
            Case(
                f"data-import-{engine}",
                [
                    "validate",
                    *SAMPLE_ARGS,
                    data_import,
                    "--shapes",
                    str(SHAPES),
                    "--engine",
                    engine,
                ],
                (0,),
                ("note: owl:imports", "not followed"),
            ),
            Case(
                f"shapes-import-{engine}",
                ["validate", *SAMPLE_ARGS, "--shapes", shapes_import, "--engine", engine],
                (2,),
                (shapes_import, "owl:imports", "--allow-network"),
            ),
        ]

    # SHACL-SPARQL: SERVICE (refused) and FROM (rdflib could load it from the web)
    shape = (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<http://e/S> a sh:NodeShape ; sh:targetNode <https://w3id.org/ssc-kg/id/un> ;\n"
        '  sh:sparql [ sh:select """SELECT $this {} WHERE {{ {} }}""" ] .\n'
    )
    service_shape = write(
        "service-shape.ttl",
        shape.format("", f"SERVICE <{pot.url('shacl-service')}> {{ $this ?p ?o }}"),
    )
    from_shape = write(
        "from-shape.ttl", shape.format(f"FROM <{pot.url('shacl-from')}>", "$this ?p ?o")
    )
    cases += [
        Case(
            "shacl-service",
            ["validate", *SAMPLE_ARGS, "--shapes", service_shape, "--engine", "pyshacl"],
            (2,),
            ("SERVICE",),
        ),
        Case(
            "shacl-from",
            ["validate", *SAMPLE_ARGS, "--shapes", from_shape, "--engine", "pyshacl"],
            (0, 1, 2),
        ),
    ]

    # JSON-LD output through pyld (an RDF list makes the fast compactor hand over)
    listed = write(
        "list.ttl", f"<http://e/s> <http://e/p> ( 1 2 ) ; <http://e/q> <{pot.url('pyld')}> .\n"
    )
    cases.append(Case("pyld-export", [*export(listed), "--format", "jsonld"], (0,)))
    return cases


class _NoPot(Honeypot):
    """For collecting the case ids: no server."""

    def __init__(self) -> None:
        self.port = 0
        self.requests = []


CASE_IDS = [c.id for c in hostile_cases(Path("/nonexistent"), _NoPot(), dry=True)]


@pytest.fixture(scope="module")
def honeypot() -> Iterator[Honeypot]:
    pot = Honeypot()
    yield pot
    pot.close()


@pytest.fixture(scope="module")
def hostile(
    honeypot: Honeypot, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Case], dict[str, dict[str, Any]]]:
    """All hostile cases, run in one child process under the audit hook."""
    folder = tmp_path_factory.mktemp("hostile")
    cases = hostile_cases(folder, honeypot)
    return {c.id: c for c in cases}, run_cases(cases, folder)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_hostile_input_never_reaches_the_network(
    case_id: str,
    hostile: tuple[dict[str, Case], dict[str, dict[str, Any]]],
    honeypot: Honeypot,
) -> None:
    cases, results = hostile
    case, result = cases[case_id], results[case_id]
    assert result["traceback"] is None, result["traceback"]
    assert result["events"] == [], result["events"]
    assert honeypot.hits(case_id) == []
    assert result["exit_code"] in case.exit_codes, result
    stderr = result["stderr"]
    assert "Traceback" not in stderr + result["stdout"]
    if result["exit_code"] == 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert lines[0].startswith("Error: "), stderr
    for fragment in case.fragments:
        assert fragment in stderr, (fragment, stderr)


def test_every_hostile_case_ran(
    hostile: tuple[dict[str, Case], dict[str, dict[str, Any]]], honeypot: Honeypot
) -> None:
    """No case is missing, and the honeypot saw nothing at all (not even a stray connect)."""
    cases, results = hostile
    assert sorted(results) == sorted(cases) == sorted(CASE_IDS)
    assert honeypot.requests == []


# --------------------------------------------------------------------------- positive controls


IMPORTED_SHAPES = b"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://e/ImportedShape> a sh:NodeShape ;
    sh:targetNode <https://w3id.org/ssc-kg/id/un> ;
    sh:property [ sh:path <http://e/mustHave> ; sh:minCount 1 ;
                  sh:message "required by the imported shapes"@en ] .
"""


def test_allow_network_opens_the_door_and_the_tripwires_see_it(
    honeypot: Honeypot, tmp_path: Path
) -> None:
    """With --allow-network, SERVICE reaches the honeypot from native code (the OS-level
    tripwire works) and pyshacl fetches the shapes' owl:imports through urllib (the audit
    hook works, and the imported shape really applies)."""
    honeypot.files["/control-import/shapes.ttl"] = ("text/turtle", IMPORTED_SHAPES)
    shapes = tmp_path / "importing.ttl"
    shapes.write_text(
        "<http://e/shapes> a <http://www.w3.org/2002/07/owl#Ontology> ;\n"
        f"  {OWL_IMPORTS} <{honeypot.url('control-import', 'shapes.ttl')}> .\n"
        f"<http://e/other> {OWL_IMPORTS} <{honeypot.url('control-skipped', 'shapes.ttl')}> .\n",
        encoding="utf-8",
    )
    service = f"SELECT * {{ SERVICE <{honeypot.url('control-service')}> {{ ?s ?p ?o }} }}"
    cases = [
        Case("service", ["query", *SAMPLE_ARGS, "--allow-network", service], (2,), network=True),
        Case(
            "import",
            ["validate", *SAMPLE_ARGS, "--shapes", str(shapes), "--allow-network"],
            (1,),
            ("required by the imported shapes",),
            network=True,
        ),
        Case(
            "import-fast",
            [
                "validate",
                *SAMPLE_ARGS,
                "--shapes",
                str(shapes),
                "--allow-network",
                "--engine",
                "fast",
            ],
            (2,),
            ("fast SHACL engine does not follow owl:imports",),
        ),
    ]
    results = run_cases(cases, tmp_path)
    # SERVICE: the request arrived (the 404 makes the query fail: exit 2, one line)
    assert any(r.startswith("POST /control-service/") for r in honeypot.hits("control-service"))
    assert results["service"]["exit_code"] == 2
    # owl:imports: fetched through urllib, seen by the audit hook, and applied
    assert honeypot.hits("control-import") == ["GET /control-import/shapes.ttl HTTP/1.1"]
    events = results["import"]["events"]
    assert any(e.startswith("urllib.Request") for e in events), events
    assert any(e.startswith("socket.connect") for e in events), events
    assert results["import"]["exit_code"] == 1, results["import"]
    assert "required by the imported shapes" in results["import"]["stdout"]
    # an import pyshacl does not follow (not on an owl:Ontology) is said, not dropped silently
    assert honeypot.hits("control-skipped") == []
    assert "control-skipped/shapes.ttl> in the shapes not followed" in results["import"]["stderr"]
    assert results["import-fast"]["exit_code"] == 2
    assert "fast SHACL engine" in results["import-fast"]["stderr"]
