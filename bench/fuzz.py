"""The long fuzz run: 10,000+ hypothesis cases per kind of input, figures for docs/.

Runs the strategies and checks of ``tests/test_fuzz.py`` (the same code the test suite
runs a bounded, derandomized part of), with random seeds, one worker process per kind
(``--jobs`` at a time). Every case is counted, none stops the run:

* **tracebacks**: an exception escaped the command line (a Python traceback);
* **crashes**: the worker died (a native crash); the input is kept for the report;
* **partial files**: an export's output neither complete nor absent, or a temporary
  file left behind;
* **other problems**: a wrong exit status, an error of more than one line or that
  names neither the input nor the option, the command line and the API disagreeing;
* **network**: socket / DNS / urllib / http.client events seen by an audit hook.

Usage, from the checkout with the project installed (``pip install -e '.[test]'``)::

    nice -n 15 python bench/fuzz.py --cases 10000 --jobs 2 --write docs/fuzzing.md

``--kinds a,b`` runs some kinds only; ``--cases 300`` is a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

WATCHED = {
    "socket.__new__", "socket.bind", "socket.connect", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr",
    "socket.getnameinfo", "socket.sendto", "socket.sendmsg", "urllib.Request",
    "http.client.connect", "http.client.send", "ftplib.connect", "smtplib.connect",
}  # fmt: skip


def worker(kind: str, cases: int, out: Path, last: Path) -> None:
    """Run *cases* cases of *kind*, write the tallies to *out* (JSON)."""
    network: list[str] = []

    def tripwire(event: str, args: Any) -> None:
        if event in WATCHED:
            network.append(f"{event} {args!r}"[:200])

    sys.addaudithook(tripwire)
    os.environ["SSC_KG_FUZZ_PROFILE"] = "long"
    sys.path.insert(0, str(REPO))
    from tests import test_fuzz

    tally: dict[str, Any] = {
        "kind": kind,
        "cases": 0,
        "tracebacks": 0,
        "partial": 0,
        "problems": 0,
        "exit_codes": Counter(),
        "examples": [],
    }
    started = time.monotonic()

    def report(case: Any, outcome: Any) -> None:
        tally["cases"] += 1
        if isinstance(outcome, BaseException):
            tally["tracebacks"] += 1
            problem = f"{type(outcome).__name__}: {outcome}"
        else:
            tally["exit_codes"][str(outcome.exit_code)] += 1
            problem = "; ".join(outcome.problems)
            if outcome.partial:
                tally["partial"] += 1
            if outcome.problems:
                tally["problems"] += 1
            if any("traceback" in p for p in outcome.problems):
                tally["tracebacks"] += 1
        if problem and len(tally["examples"]) < 5:
            tally["examples"].append({"problem": problem[:500], "case": repr(case)[:800]})

    real_runner = test_fuzz.KINDS[kind][1]

    def recorded(case: Any, folder: Path) -> Any:
        last.write_text(repr(case)[:100_000], encoding="utf-8")  # survives a native crash
        return real_runner(case, folder)

    test_fuzz.KINDS[kind] = (test_fuzz.KINDS[kind][0], recorded)
    with tempfile.TemporaryDirectory(prefix="ssc-kg-fuzz-") as folder:
        test_fuzz.fuzz(kind, Path(folder), examples=cases, report=report)
    tally["seconds"] = round(time.monotonic() - started, 1)
    tally["network"] = len(network)
    tally["network_examples"] = network[:5]
    out.write_text(json.dumps(tally), encoding="utf-8")


def run(kinds: list[str], cases: int, jobs: int) -> list[dict[str, Any]]:
    """Run a worker per kind, *jobs* at a time; a worker that dies is a crash."""
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ssc-kg-fuzz-run-") as scratch:
        pending = list(kinds)
        running: dict[str, tuple[subprocess.Popen[bytes], Path, Path, float]] = {}
        while pending or running:
            while pending and len(running) < jobs:
                kind = pending.pop(0)
                out, last = Path(scratch) / f"{kind}.json", Path(scratch) / f"{kind}.last"
                command = [sys.executable, __file__, "--worker", kind, "--cases", str(cases)]
                command += ["--out", str(out), "--last", str(last)]
                running[kind] = (
                    subprocess.Popen(command, cwd=scratch, stderr=subprocess.PIPE),
                    out,
                    last,
                    time.monotonic(),
                )
                print(f"started {kind}", flush=True)
            time.sleep(0.5)
            for kind, (process, out, last, started) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[kind]
                stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
                if process.returncode == 0 and out.exists():
                    result = json.loads(out.read_text(encoding="utf-8"))
                    result["crashes"] = 0
                else:
                    result = {
                        "kind": kind,
                        "cases": 0,
                        "tracebacks": 0,
                        "partial": 0,
                        "problems": 0,
                        "exit_codes": {},
                        "crashes": 1,
                        "seconds": round(time.monotonic() - started, 1),
                        "network": 0,
                        "examples": [
                            {
                                "problem": f"worker ended with {process.returncode}: "
                                f"{stderr[-1500:]}",
                                "case": crashed_case(last),
                            }
                        ],
                    }
                results.append(result)
                print(
                    f"done {kind}: {result['cases']} cases, {result['tracebacks']} tracebacks, "
                    f"{result['crashes']} crashes, {result['partial']} partial, "
                    f"{result['problems']} problems, {result['seconds']} s",
                    flush=True,
                )
    order = {kind: i for i, kind in enumerate(kinds)}
    return sorted(results, key=lambda r: order[r["kind"]])


def crashed_case(last: Path) -> str:
    """The case a worker was running when it died."""
    return last.read_text(encoding="utf-8")[:800] if last.exists() else ""


COLUMNS = (
    "kind", "cases", "tracebacks", "crashes", "partial files", "other problems",
    "network events", "exit codes seen", "wall time",
)  # fmt: skip


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in results:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(r["exit_codes"].items()))
        lines.append(
            f"| {r['kind']} | {r['cases']:,} | {r['tracebacks']} | {r['crashes']} | {r['partial']} "
            f"| {r['problems']} | {r['network']} | {codes} | {r['seconds']:.0f} s |"
        )
    total = {
        k: sum(r[k] for r in results)
        for k in ("cases", "tracebacks", "crashes", "partial", "problems", "network")
    }
    lines.append(
        f"| **all** | **{total['cases']:,}** | **{total['tracebacks']}** | **{total['crashes']}** "
        f"| **{total['partial']}** | **{total['problems']}** | **{total['network']}** | | "
        f"{sum(r['seconds'] for r in results):.0f} s |"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per kind")
    parser.add_argument("--jobs", type=int, default=2, help="kinds run at the same time")
    parser.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    parser.add_argument("--write", type=Path, help="write the report (Markdown) to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--last", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.cases, args.out, args.last)
        return
    sys.path.insert(0, str(REPO))
    from tests.test_fuzz import KINDS

    slow_first = ["huge-literals", "sparql", "generated-data", "cli-options"]
    kinds = [k for k in args.kinds.split(",") if k] or sorted(
        KINDS, key=lambda k: slow_first.index(k) if k in slow_first else len(slow_first)
    )
    started = time.monotonic()
    results = run(kinds, args.cases, args.jobs)
    wall = time.monotonic() - started
    report = table(results)
    print(report)
    problems = [e for r in results for e in r["examples"]]
    for example in problems:
        print(json.dumps(example, ensure_ascii=False))
    if args.write:
        import pyoxigraph

        from ssc_kg import __version__

        command = f"nice -n 15 python bench/fuzz.py --cases {args.cases} --jobs {args.jobs}"
        if args.kinds:
            command += f" --kinds {args.kinds}"
        args.write.write_text(
            FUZZING_MD.format(
                command=command + f" --write {args.write}",
                kinds=kinds_table(),
                table=report,
                wall=wall / 60,
                cpus=os.cpu_count(),
                python=platform.python_version(),
                pyoxigraph=pyoxigraph.__version__,
                version=__version__,
                date=time.strftime("%Y-%m-%d"),
            ),
            encoding="utf-8",
        )
    failed = sum(
        r["tracebacks"] + r["crashes"] + r["partial"] + r["problems"] + r["network"]
        for r in results
    )
    sys.exit(1 if failed else 0)


KIND_DESCRIPTIONS = {
    "turtle-mutated, trig-mutated, nquads-mutated, nt-mutated, jsonld-mutated, xml-mutated": (
        "the test fixtures exported in that format, then truncated, bit-flipped, cut, "
        "duplicated and spliced with syntax tokens (`<<(`, `@context`, `<!DOCTYPE`, "
        "`\\uD800`, invalid UTF-8, ...); each case goes through `export` to a random format "
        "with `-o` (half of them), `stats`, `query` or `validate --engine fast`; a quarter "
        "read from stdin"
    ),
    "random-bytes": "up to 2 KB of random bytes, as any format",
    "huge-literals": (
        "one literal of 0.2 to 0.6 million repeated pieces (multi-byte characters, escapes, "
        "`<`, `&`; 0.2 to 6 MB), in every format"
    ),
    "bad-iris-and-tags": (
        "IRIs with spaces, controls, `\\u0000`, quotes, braces, escapes, and random language "
        "tags, in every format"
    ),
    "generated-data": (
        "random valid datasets (odd IRIs, IRIs that look like prefixed names, typed literals "
        "incl. `rdf:JSON`, language tags, blank nodes, `rdf:nil`, named graphs) exported in "
        "every format: the export must parse back to the same dataset"
    ),
    "shapes-mutated": (
        "the test shapes mutated like the data, validated with `--engine fast`, `pyshacl` or "
        "`auto`; when the shapes are valid, the two engines must give the same verdict"
    ),
    "sparql": (
        "queries from a SPARQL grammar (patterns, paths, expressions, aggregates, subqueries, "
        "`SERVICE`), the same mutated, token soup and random text; run with `--timeout 20 "
        "--max-results 5000` and a random output format; a `SERVICE` query that ran fails"
    ),
    "cli-options": (
        "random options of `export`, `validate`, `query`, `stats`, `load` from their click "
        "definitions: valid values, garbage, missing and odd paths, `-`, a store, random stdin"
    ),
}


def kinds_table() -> str:
    rows = [f"| `{'`, `'.join(k.split(', '))}` | {v} |" for k, v in KIND_DESCRIPTIONS.items()]
    return "\n".join(["| kind | what |", "|---|---|", *rows])


FUZZING_MD = """# Fuzzing

`tests/test_fuzz.py` generates malformed and hostile input with
[hypothesis](https://hypothesis.readthedocs.io/) and runs it through the real command line
(`ssc-kg export|stats|query|validate|load`, in process). Every case must end with no
traceback, an exit status in the documented set (0; 1 for `validate`; 2), on exit 2 exactly
one `Error:` line naming the input file (or `<stdin>`), or the option, or what the output
cannot hold, and an export's output file either complete -- byte for byte what the API writes
for the same input -- or absent, with no temporary file left. The test suite runs a bounded,
derandomized part of it (150 cases per kind, ~10 s); `bench/fuzz.py` runs the long one.

## The kinds of input

{kinds}

## The long run

```sh
{command}
```

ssc-kg {version}, pyoxigraph {pyoxigraph}, Python {python}, {cpus} CPUs (shared with other
work), {date}; {wall:.0f} minutes of wall time.

{table}
*Network events* are socket, DNS, urllib and http.client events seen by a Python audit hook
in the worker; SPARQL runs in a forked worker process whose native HTTP client an audit hook
cannot see: `tests/test_network.py` watches that with a honeypot socket.

Bugs found by fuzzing and by the hostile-input tests are fixed, each with a test in
`tests/test_regressions.py`.
"""


if __name__ == "__main__":
    main()
