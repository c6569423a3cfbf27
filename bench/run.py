"""Benchmark: ``ssc-kg`` against plain rdflib + pyshacl, in the same run.

    python bench/run.py --sizes 10k,100k,1M --repeat 3 --out docs/benchmarks.md

For each size the synthetic data (``bench/generate.py``, seed 0, default violation rate) is
written once as N-Quads and TriG into a temporary folder. Then every operation is measured
for ours and for the baseline, alternately, each measurement in a fresh process whose wall
time and peak RSS (``ru_maxrss`` of that one child, from ``os.wait4``) are recorded; the
report gives medians. The outputs of the first repetition are compared, and the run exits
non-zero if ours and the baseline disagree (exports: triple/quad count and a SHA-256 of the
sorted N-Quads lines; queries: the rows as multisets; validation: the sets of (focus node,
path, source shape, severity); stats: the counts). See bench/README.md for what each side runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import drivers  # noqa: E402
import generate  # noqa: E402

PY = sys.executable
SHIPPED_QUERIES = sorted((REPO / "queries").glob("*.rq"))
BENCH_QUERIES = sorted((HERE / "queries").glob("*.rq"))
SHIPPED_DATA = sorted((REPO / "data").glob("*.trig"))
EXPORT_FORMATS = ("turtle", "nt", "nquads", "trig", "jsonld", "xml")
EXTENSIONS = {
    "turtle": ".ttl",
    "nt": ".nt",
    "nquads": ".nq",
    "trig": ".trig",
    "jsonld": ".jsonld",
    "xml": ".rdf",
}
QUAD_FORMATS = {"nquads", "trig", "jsonld"}
RDFLIB_DEFAULT_GRAPH = "urn:x-rdflib:default"
OUR_DATASET_CHECKS = (
    "<https://w3id.org/ssc-kg/def#DatasetGraphsDescribed>",
    "<https://w3id.org/ssc-kg/def#DatasetLiteralsWellFormed>",
)
LARGE = 1_000_000
"""From this size on the baseline runs once by default (--baseline-repeat overrides)."""

TARGETS = {
    "load": 10.0,
    "export": 10.0,
    "query": 10.0,
    "validate": 3.0,
}
PEAK_TARGET_MB = 2048.0
GROWTH_TARGET = 12.0
EVERYDAY_TARGET = 1.5


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    wall: float | None
    """Seconds; None when the step hit the timeout."""
    peak_mb: float
    returncode: int
    phases: dict[str, float] = field(default_factory=dict)


def ssc_kg_command() -> list[str]:
    """The installed ``ssc-kg`` console script next to this interpreter, else ``-m ssc_kg``."""
    script = Path(PY).parent / "ssc-kg"
    if script.exists():
        return [str(script)]
    found = shutil.which("ssc-kg")
    return [found] if found else [PY, "-m", "ssc_kg"]


def measure(
    argv: Sequence[str], *, stdout: Path | None, timeout: float, log: Path, phases: Path | None
) -> Sample:
    """Run *argv* in a new process group; its wall time and its own peak RSS."""
    if phases is not None:
        phases.unlink(missing_ok=True)
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(stdout.open("wb")) if stdout else subprocess.DEVNULL
        err = stack.enter_context(log.open("ab"))
        err.write(f"$ {shlex.join(argv)}\n".encode())
        err.flush()
        start = time.perf_counter()
        env = dict(os.environ)
        if phases is not None:
            env["SSC_BENCH_PHASES"] = str(phases)
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, cwd=REPO, env=env, start_new_session=True
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: do not leave the child running
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    with contextlib.suppress(ProcessLookupError):  # leftovers of a killed group
        os.killpg(proc.pid, signal.SIGKILL)
    found: dict[str, float] = {}
    if phases is not None and phases.exists():
        found = json.loads(phases.read_text(encoding="utf-8"))
    return Sample(
        wall=None if timed_out.is_set() else wall,
        peak_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        returncode=proc.returncode,
        phases=found,
    )


# --------------------------------------------------------------------------- comparing


def rdf_digest(path: Path, fmt: str, *, blank_graph_is_default: bool = False) -> tuple[int, str]:
    """(number of distinct triples/quads, SHA-256 of their sorted N-Quads lines).

    rdflib's graph name for the default graph (``urn:x-rdflib:default``) is read as the
    default graph; with *blank_graph_is_default*, so is a graph named by a blank node (how
    JSON-LD processors read rdflib's JSON-LD output, see :func:`compare_export`).
    """
    import pyoxigraph as ox

    rdf_format = {
        "turtle": ox.RdfFormat.TURTLE,
        "nt": ox.RdfFormat.N_TRIPLES,
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
        "jsonld": ox.RdfFormat.JSON_LD,
        "xml": ox.RdfFormat.RDF_XML,
    }[fmt]
    lines: set[str] = set()
    for quad in ox.parse(path=path, format=rdf_format):
        graph = quad.graph_name
        if (isinstance(graph, ox.NamedNode) and graph.value == RDFLIB_DEFAULT_GRAPH) or (
            blank_graph_is_default and isinstance(graph, ox.BlankNode)
        ):
            graph = ox.DefaultGraph()
        if fmt not in QUAD_FORMATS:
            graph = ox.DefaultGraph()
        lines.add(str(ox.Quad(quad.subject, quad.predicate, quad.object, graph)))
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode("utf-8") + b"\n")
    return len(lines), digest.hexdigest()


def compare_export(fmt: str) -> Callable[[Path, Path], tuple[bool, str]]:
    def check(ours: Path, base: Path) -> tuple[bool, str]:
        # rdflib writes the default graph as a JSON-LD graph object without @id inside the
        # top-level array, which JSON-LD processors (pyld, pyoxigraph) read as a named graph
        # with a blank node name (rdflib reads it back as the default graph): counted as the
        # default graph here, and said so in the check column.
        a = rdf_digest(ours, fmt)
        b = rdf_digest(base, fmt, blank_graph_is_default=fmt == "jsonld")
        what = "quads" if fmt in QUAD_FORMATS else "triples"
        if a == b:
            note = (
                " (rdflib's @id-less default graph object read as default graph)"
                if (fmt == "jsonld")
                else ""
            )
            return True, f"same {a[0]} {what}, sha256 {a[1][:12]}{note}"
        return False, f"ours {a[0]} {what} sha256 {a[1][:12]} != baseline {b[0]} sha256 {b[1][:12]}"

    return check


def _sparql_json_rows(path: Path) -> tuple[list[str], Counter[tuple[Any, ...]]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    variables = document.get("head", {}).get("vars", [])
    if "boolean" in document:
        return variables, Counter([("boolean", document["boolean"])])
    rows: Counter[tuple[Any, ...]] = Counter()
    xsd_string = "http://www.w3.org/2001/XMLSchema#string"
    for binding in document["results"]["bindings"]:
        row = []
        for var in variables:
            term = binding.get(var)
            if term is None:
                row.append(None)
                continue
            kind = "literal" if term["type"] in ("literal", "typed-literal") else term["type"]
            datatype = term.get("datatype")
            if datatype == xsd_string or "xml:lang" in term:
                datatype = None
            row.append((kind, term["value"], term.get("xml:lang", "").lower(), datatype))
        rows[tuple(row)] += 1
    return variables, rows


def compare_query(ours: Path, base: Path) -> tuple[bool, str]:
    vars_a, rows_a = _sparql_json_rows(ours)
    vars_b, rows_b = _sparql_json_rows(base)
    count = sum(rows_a.values())
    if vars_a == vars_b and rows_a == rows_b:
        return True, f"same {count} rows"
    return False, (
        f"ours {count} rows {vars_a} != baseline {sum(rows_b.values())} rows {vars_b} "
        f"({len(rows_a - rows_b)} only ours, {len(rows_b - rows_a)} only baseline)"
    )


def our_validation_set(path: Path) -> tuple[set[tuple[Any, ...]], int]:
    report = json.loads(path.read_text(encoding="utf-8"))
    results = set()
    dataset_level = 0
    for r in report["results"]:
        if r["source_shape"] in OUR_DATASET_CHECKS:
            dataset_level += 1
            continue
        path_ = r["path"] if r["path"] and r["path"].startswith("<") else None
        results.add(
            tuple(
                drivers.result_key(
                    r["focus_node"], path_, r["source_shape"], r["message"], r["severity"]
                )
            )
        )
    return results, dataset_level


def compare_validation(ours: Path, base: Path) -> tuple[bool, str]:
    a, extra = our_validation_set(ours)
    b = {tuple(r) for r in json.loads(base.read_text(encoding="utf-8"))["results"]}
    counts = Counter(r[3] for r in a)
    summary = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items())) or "none"
    note = f"; plus {extra} dataset-level (not SHACL)" if extra else ""
    if a == b:
        return True, f"same result set ({summary}){note}"
    return False, f"result sets differ: {len(a - b)} only ours, {len(b - a)} only pyshacl{note}"


def compare_stats(ours: Path, base: Path) -> tuple[bool, str]:
    a = json.loads(ours.read_text(encoding="utf-8"))
    b = json.loads(base.read_text(encoding="utf-8"))
    keys = (
        "triples",
        "distinct_triples",
        "graphs",
        "default_graph_triples",
        "classes",
        "label_languages",
    )
    differ = [k for k in keys if a.get(k) != b.get(k)]
    if not differ:
        return True, f"same counts ({a['triples']} triples, {a['graphs']} graphs)"
    return False, f"counts differ: {', '.join(differ)}"


# --------------------------------------------------------------------------- operations


@dataclass
class Variant:
    """Another way of ours to do the same operation, compared with the same baseline run."""

    label: str
    ours: Callable[[Path], list[str]]
    prepare: Callable[[], None] | None = None
    """Run (untimed) before each measurement."""


@dataclass
class Operation:
    name: str
    group: str
    ours: Callable[[Path], list[str]]
    """argv, given the output path."""
    baseline: Callable[[Path], list[str]]
    ours_to_stdout: bool = True
    """Ours writes its result to stdout (redirected to the output file)."""
    compare: Callable[[Path, Path], tuple[bool, str]] | None = None
    ours_ok: tuple[int, ...] = (0,)
    variants: list[Variant] = field(default_factory=list)
    primary: bool = True
    """False for a variant: its targets are judged on the primary row."""


@dataclass
class Row:
    op: Operation
    size: int
    ours: list[Sample] = field(default_factory=list)
    base: list[Sample] = field(default_factory=list)
    check: str = ""
    ok: bool = True
    errors: list[str] = field(default_factory=list)
    shared_baseline: bool = False
    """The baseline samples are those of the operation this row is a variant of."""
    timeout: float = 0.0
    """The per-step timeout its runs had."""

    @staticmethod
    def _median(samples: list[Sample]) -> float | None:
        walls = [s.wall for s in samples if s.wall is not None]
        if not samples or len(walls) < len(samples):
            return None
        return statistics.median(walls)

    @property
    def ours_s(self) -> float | None:
        return self._median(self.ours)

    @property
    def base_s(self) -> float | None:
        return self._median(self.base)

    @property
    def ours_mb(self) -> float | None:
        return max((s.peak_mb for s in self.ours), default=None)

    @property
    def base_mb(self) -> float | None:
        return max((s.peak_mb for s in self.base), default=None)

    @property
    def base_parse_s(self) -> float | None:
        parses = [s.phases.get("parse") for s in self.base if s.phases.get("parse") is not None]
        return statistics.median(parses) if parses else None  # type: ignore[type-var]

    @property
    def speedup(self) -> float | None:
        if self.ours_s and self.base_s:
            return self.base_s / self.ours_s
        return None


def has_store(ssc: list[str]) -> bool:
    """Does this ssc-kg have ``ssc-kg load --store`` (and ``--store`` on the other commands)?"""
    done = subprocess.run([*ssc, "load", "--help"], capture_output=True, text=True, check=False)
    return done.returncode == 0 and "--store" in done.stdout


def operations(
    ssc: list[str], nq: Path, trig: Path, stores: dict[str, Path] | None
) -> list[Operation]:
    """The measured operations; *stores* (``data``, ``data+shipped``) adds the store variants."""
    driver = [PY, str(HERE / "drivers.py")]
    ops: list[Operation] = []
    for label, file in (("nquads", nq), ("trig", trig)):
        variants = [
            Variant(
                "ssc_kg.load API, to rdflib.Dataset",
                lambda out, f=file: [*driver, "ours-load", str(f)],
            )
        ]
        if stores is not None and label == "nquads":
            target = stores["data"].with_name("store-load")
            variants.insert(
                0,
                Variant(
                    "ssc-kg load --store",
                    lambda out, t=target, f=file: [
                        *ssc,
                        "load",
                        "--store",
                        str(t),
                        "--no-shipped",
                        "--data",
                        str(f),
                    ],
                    prepare=lambda t=target: shutil.rmtree(t, ignore_errors=True),
                ),
            )
        ops.append(
            Operation(
                name=f"load {label}",
                group="load",
                ours=lambda out, f=file: [*driver, "ours-parse", str(f)],
                baseline=lambda out, f=file: [*driver, "baseline-load", str(f)],
                variants=variants,
            )
        )
    for fmt in EXPORT_FORMATS:
        ops.append(
            Operation(
                name=f"export {fmt}",
                group="export",
                ours=lambda out, f=fmt: [
                    *ssc,
                    "export",
                    "--no-shipped",
                    "--data",
                    str(nq),
                    "--format",
                    f,
                ],
                baseline=lambda out, f=fmt: [*driver, "baseline-export", str(nq), f, str(out)],
                compare=compare_export(fmt),
                variants=[]
                if stores is None
                else [
                    Variant(
                        "--store",
                        lambda out, f=fmt: [
                            *ssc,
                            "export",
                            "--store",
                            str(stores["data"]),
                            "--format",
                            f,
                        ],
                    )
                ],
            )
        )
    # The N-Quads file first: rdflib 7's N-Quads parser drops the default graph already in the
    # Dataset (rdflib/plugins/parsers/nquads.py: ds.remove_graph(ds_default)).
    data = [str(nq)] + [str(p) for p in SHIPPED_DATA]
    for query in [*SHIPPED_QUERIES, *BENCH_QUERIES]:
        ops.append(
            Operation(
                name=f"query {query.stem}",
                group="query",
                ours=lambda out, q=query: [
                    *ssc,
                    "query",
                    "-f",
                    str(q),
                    "--data",
                    str(nq),
                    "--format",
                    "json",
                ],
                baseline=lambda out, q=query: [*driver, "baseline-query", str(q), str(out), *data],
                compare=compare_query,
                variants=[]
                if stores is None
                else [
                    Variant(
                        "--store",
                        lambda out, q=query: [
                            *ssc,
                            "query",
                            "-f",
                            str(q),
                            "--store",
                            str(stores["data+shipped"]),
                            "--format",
                            "json",
                        ],
                    )
                ],
            )
        )
    ops.append(
        Operation(
            name="validate",
            group="validate",
            ours=lambda out: [*ssc, "validate", "--data", str(nq), "--format", "json"],
            baseline=lambda out: [*driver, "baseline-validate", str(out), *data],
            compare=compare_validation,
            ours_ok=(0, 1),
        )
    )
    ops.append(
        Operation(
            name="stats",
            group="stats",
            ours=lambda out: [*ssc, "stats", "--no-shipped", "--data", str(nq), "--format", "json"],
            baseline=lambda out: [*driver, "baseline-stats", str(nq), str(out)],
            compare=compare_stats,
            variants=[]
            if stores is None
            else [
                Variant(
                    "--store",
                    lambda out: [*ssc, "stats", "--store", str(stores["data"]), "--format", "json"],
                )
            ],
        )
    )
    return ops


# --------------------------------------------------------------------------- running


def fmt_s(value: float | None, *, timeout: float | None = None) -> str:
    if value is None:
        return f"> {timeout:g}" if timeout is not None else "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def fmt_x(value: float | None) -> str:
    return "-" if value is None else (f"{value:.1f}x" if value < 100 else f"{value:.0f}x")


def fmt_mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def size_label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


class Runner:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.log = workdir / "commands.log"
        self.ssc = ssc_kg_command()
        self.store_support = has_store(self.ssc) and not args.no_store
        self.rows: list[Row] = []
        self.everyday: Row | None = None
        self.failures: list[str] = []

    def say(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def timeout_for(self, op: Operation) -> float:
        if op.group == "query" and self.args.query_timeout:
            return float(self.args.query_timeout)
        return float(self.args.timeout)

    def sample(
        self, argv: list[str], stdout: Path | None, phases: Path | None, timeout: float
    ) -> Sample:
        return measure(argv, stdout=stdout, timeout=timeout, log=self.log, phases=phases)

    def _ours(
        self, row: Row, argv: list[str], out: Path, to_stdout: bool, ok: tuple[int, ...]
    ) -> bool:
        """Measure ours once; False when it timed out or failed (no more runs)."""
        s = self.sample(argv, out if to_stdout else None, None, row.timeout)
        row.ours.append(s)
        if s.wall is None:
            return False
        if s.returncode not in ok:
            row.errors.append(f"ours exited {s.returncode}: {shlex.join(argv)}")
            return False
        return True

    def _finish(self, row: Row, size: int) -> None:
        if row.errors:
            row.ok = False
            row.check = "; ".join(row.errors)
        if not row.ok:
            self.failures.append(f"{row.op.name} @ {size_label(size)}: {row.check}")
        limit, name = row.timeout, row.op.name
        self.say(
            f"  {name:<44} {size_label(size):>5}  ours {fmt_s(row.ours_s, timeout=limit):>8} s"
            f"  baseline {fmt_s(row.base_s, timeout=limit):>8} s  {fmt_x(row.speedup):>7}"
            f"  {fmt_mb(row.ours_mb):>5} / {fmt_mb(row.base_mb):>5} MB  "
            f"{'OK' if row.ok else 'MISMATCH'} {row.check}"
        )

    def run_operation(self, op: Operation, size: int, folder: Path, base_repeat: int) -> list[Row]:
        """The operation's row, then one row per variant (sharing the baseline's runs)."""
        row = Row(op=op, size=size, timeout=self.timeout_for(op))
        slug = re.sub(r"[^a-z0-9]+", "-", op.name.lower()).strip("-")
        ours_out = folder / f"{slug}.ours"
        base_out = folder / f"{slug}.base"
        phases = folder / f"{slug}.phases.json"
        ours_alive = base_alive = True
        for r in range(max(self.args.repeat, base_repeat)):
            if r < self.args.repeat and ours_alive:
                ours_alive = self._ours(
                    row, op.ours(ours_out), ours_out, op.ours_to_stdout, op.ours_ok
                )
            if r == 0 and ours_alive and self.args.query_cap and op.group == "query":
                # Enough to prove (or disprove) the target: stop the baseline once it has
                # taken FACTOR times our first run; the row then shows '> limit'.
                first = row.ours[0].wall or 0.0
                row.timeout = min(row.timeout, max(self.args.query_cap * first, 30.0))
            if r < base_repeat and base_alive:
                argv = op.baseline(base_out)
                s = self.sample(argv, None, phases, row.timeout)
                row.base.append(s)
                if s.wall is None:
                    base_alive = False
                elif s.returncode != 0:
                    row.errors.append(f"baseline exited {s.returncode}: {shlex.join(argv)}")
                    base_alive = False
            if r == 0:
                if op.compare is None:
                    row.check = "(not compared: see export and stats)"
                elif row.errors:
                    pass
                elif ours_alive and base_alive:
                    row.ok, row.check = op.compare(ours_out, base_out)
                else:
                    row.check = "(not compared: timeout)"
        self._finish(row, size)
        rows = [row]
        for variant in op.variants:
            vrow = Row(
                op=Operation(
                    name=f"{op.name} ({variant.label})",
                    group=op.group,
                    ours=variant.ours,
                    baseline=op.baseline,
                    compare=op.compare,
                    ours_ok=op.ours_ok,
                    primary=False,
                ),
                size=size,
                base=row.base,
                shared_baseline=True,
                timeout=row.timeout,
            )
            alive = True
            for r in range(self.args.repeat):
                if not alive:
                    break
                if variant.prepare is not None:
                    variant.prepare()
                alive = self._ours(
                    vrow, variant.ours(ours_out), ours_out, op.ours_to_stdout, op.ours_ok
                )
                if r == 0:
                    if op.compare is None:
                        vrow.check = "(not compared: see export and stats)"
                    elif vrow.errors:
                        pass
                    elif alive and base_alive and base_out.exists():
                        vrow.ok, vrow.check = op.compare(ours_out, base_out)
                    else:
                        vrow.check = "(not compared: timeout)"
            if variant.prepare is not None:
                variant.prepare()
            self._finish(vrow, size)
            rows.append(vrow)
        for path in (ours_out, base_out, phases):
            path.unlink(missing_ok=True)
        return rows

    def run_size(self, size: int) -> None:
        folder = self.workdir / size_label(size)
        folder.mkdir(parents=True, exist_ok=True)
        nq, trig = folder / "data.nq", folder / "data.trig"
        started = time.perf_counter()
        count = generate.write(nq, size, seed=self.args.seed)
        generate.write(trig, size, seed=self.args.seed)
        self.say(
            f"size {size_label(size)}: {count} quads generated in "
            f"{time.perf_counter() - started:.1f} s ({nq.stat().st_size / 1e6:.1f} MB N-Quads)"
        )
        base_repeat = self.args.baseline_repeat or (1 if size >= LARGE else self.args.repeat)
        pattern = re.compile(self.args.only) if self.args.only else None
        stores = None
        if self.store_support:
            stores = {"data": folder / "store-data", "data+shipped": folder / "store-shipped"}
            started = time.perf_counter()
            for name, shipped in (("data", False), ("data+shipped", True)):
                argv = [*self.ssc, "load", "--store", str(stores[name]), "--data", str(nq)]
                if not shipped:
                    argv.insert(-2, "--no-shipped")
                subprocess.run(argv, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
            self.say(
                f"  stores for the --store variants built in {time.perf_counter() - started:.1f} s"
            )
        chosen = [
            op
            for op in operations(self.ssc, nq, trig, stores)
            if not pattern or pattern.search(op.name)
        ]
        if self.args.jobs > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.args.jobs) as pool:
                for rows in pool.map(
                    lambda op: self.run_operation(op, size, folder, base_repeat), chosen
                ):
                    self.rows += rows
        else:
            for op in chosen:
                self.rows += self.run_operation(op, size, folder, base_repeat)
        shutil.rmtree(folder, ignore_errors=True)

    def run_everyday(self) -> None:
        op = Operation(
            name="everyday: ssc-kg export --format jsonld (shipped) vs python -c 'import rdflib'",
            group="everyday",
            ours=lambda out: [*self.ssc, "export", "--format", "jsonld"],
            baseline=lambda out: [PY, "-c", "import rdflib"],
            ours_to_stdout=False,
        )
        repeat = max(5, self.args.repeat)
        row = Row(op=op, size=0)
        for _ in range(repeat):
            row.ours.append(self.sample(op.ours(Path()), None, None, self.args.timeout))
            row.base.append(self.sample(op.baseline(Path()), None, None, self.args.timeout))
        bad = [s.returncode for s in row.ours + row.base if s.returncode != 0]
        if bad:
            row.ok = False
            self.failures.append(f"everyday: exit status {bad}")
        self.everyday = row
        ratio = (row.ours_s / row.base_s) if row.ours_s and row.base_s else None
        self.say(
            f"  everyday: ssc-kg export --format jsonld {fmt_s(row.ours_s)} s, "
            f"import rdflib {fmt_s(row.base_s)} s, ratio {ratio and f'{ratio:.2f}'}"
        )


# --------------------------------------------------------------------------- report


def _versions() -> dict[str, str]:
    found = {}
    for name in ("ssc-kg", "rdflib", "pyshacl", "pyoxigraph", "pyld", "click"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _memory_gb() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    return "unknown"


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _code_version() -> str:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "ssc_kg")
    return f"{commit}" + (" + uncommitted changes in ssc_kg/" if dirty else "")


def machine() -> list[tuple[str, str]]:
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = _versions()
    return [
        ("CPU", f"{_cpu_model()}, {nproc} cores available (nproc)"),
        ("RAM", _memory_gb()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("libraries", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("code", f"ssc-kg at commit {_code_version()}"),
    ]


def _largest(rows: list[Row]) -> int | None:
    return max((r.size for r in rows), default=None)


def _speedup_floor(row: Row) -> float | None:
    """The speed-up, or its lower bound (timeout / ours) when only the baseline timed out."""
    if row.speedup is not None:
        return row.speedup
    if row.base_s is None and row.base and row.ours_s:
        return row.timeout / row.ours_s
    return None


def _group_verdict(rows: list[Row], need: float) -> tuple[bool, str]:
    floors = [(_speedup_floor(r), r) for r in rows]
    ok = all(f is not None and f >= need for f, _ in floors) and all(r.ok for r in rows)
    known = [(f, r) for f, r in floors if f is not None]
    if not known:
        return False, "no figures"
    worst, worst_row = min(known, key=lambda fr: fr[0])
    bound = ">= " if worst_row.speedup is None else ""
    detail = f"lowest {bound}{fmt_x(worst)} ({worst_row.op.name})"
    timed_out = [r for r in rows if r.base_s is None and r.base]
    if timed_out:
        detail += (
            f"; baseline > {timed_out[0].timeout:g} s on {len(timed_out)} "
            "(speed-up >= timeout/ours)"
        )
    return ok, detail


def targets(runner: Runner) -> list[tuple[str, str, str]]:
    """(target, verdict, detail) at the largest size measured."""
    rows = runner.rows
    size = _largest(rows)
    found: list[tuple[str, str, str]] = []
    if size is None:
        return found
    at = [r for r in rows if r.size == size]
    where = size_label(size) + ("" if size >= LARGE else " (1M not run: verdict at this size)")

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    for group, label in (
        ("load", "load/parse ≥ 10x rdflib"),
        ("export", "export to each format ≥ 10x rdflib's serializer"),
        ("query", "competency queries ≥ 10x rdflib's SPARQL engine"),
        ("validate", "validation ≥ 3x plain pyshacl, identical result set"),
    ):
        primary = [r for r in at if r.op.group == group and r.op.primary]
        if group == "query":
            primary = [r for r in primary if not r.op.name.startswith("query b")]
        if not primary:
            continue
        ok, detail = _group_verdict(primary, TARGETS[group])
        detail = f"at {where}: {detail}"
        if group == "query":
            both = [r for r in primary if r.ours_s and r.base_s]
            if both:
                total = sum(r.base_s or 0 for r in both) / sum(r.ours_s or 0 for r in both)
                detail += f"; sum of the {len(both)} timed on both sides: {fmt_x(total)}"
            bench = [r for r in at if r.op.group == "query" and r.op.primary and r not in primary]
            if bench:
                _, bench_detail = _group_verdict(bench, TARGETS[group])
                detail += f"; bench queries b1-b3: {bench_detail}"
        variants = [r for r in at if r.op.group == group and not r.op.primary]
        for label_ in sorted({r.op.name.rsplit("(", 1)[-1].rstrip(")") for r in variants}):
            chosen = [r for r in variants if r.op.name.endswith(f"({label_})")]
            if group == "query":
                chosen = [r for r in chosen if not r.op.name.startswith("query b")]
            v_ok, v_detail = _group_verdict(chosen, TARGETS[group])
            detail += f"; with {label_}: {'met' if v_ok else 'not met'}, {v_detail}"
        found.append((label, verdict(ok), detail))
    peaks = [(r.ours_mb or 0, r.op.name) for r in at]
    peak, peak_op = max(peaks)
    found.append(
        (
            "peak memory ≤ 2 GB (ours, every command)",
            verdict(peak <= PEAK_TARGET_MB),
            f"at {where}: highest {peak:.0f} MB ({peak_op})",
        )
    )
    growth = growth_rows(rows)
    if growth:
        measured = [g for g in growth if g[1] is not None]
        worst_growth = max(measured, key=lambda g: g[1] or 0) if measured else None
        found.append(
            (
                "growth 100k → 1M ≤ 12x time, every command",
                verdict(all(g[1] is not None and g[1] <= GROWTH_TARGET for g in growth)),
                "-"
                if worst_growth is None
                else f"highest {fmt_x(worst_growth[1])} ({worst_growth[0]})",
            )
        )
    else:
        found.append(
            (
                "growth 100k → 1M ≤ 12x time, every command",
                "not measured",
                "needs --sizes with 100k and 1M",
            )
        )
    if runner.everyday is not None:
        row = runner.everyday
        ratio = row.ours_s / row.base_s if row.ours_s and row.base_s else None
        found.append(
            (
                "everyday export --format jsonld ≤ 1.5x `python -c 'import rdflib'`",
                verdict(ratio is not None and ratio <= EVERYDAY_TARGET),
                f"{fmt_s(row.ours_s)} s vs {fmt_s(row.base_s)} s: "
                f"{'-' if ratio is None else f'{ratio:.2f}'}x",
            )
        )
    return found


def growth_rows(rows: list[Row]) -> list[tuple[str, float | None, float | None]]:
    """(operation, ours 1M/100k, baseline 1M/100k)."""
    small = {r.op.name: r for r in rows if r.size == 100_000}
    large = {r.op.name: r for r in rows if r.size == 1_000_000}
    found = []
    for name, big in large.items():
        little = small.get(name)
        if little is None:
            continue
        ours = big.ours_s / little.ours_s if big.ours_s and little.ours_s else None
        base = big.base_s / little.base_s if big.base_s and little.base_s else None
        found.append((name, ours, base))
    return found


def _fmt_floor(row: Row) -> str:
    """The speed-up, or '>= bound' when only the baseline was stopped by its timeout."""
    if row.speedup is None and (floor := _speedup_floor(row)) is not None:
        return f">= {fmt_x(floor)}"
    return fmt_x(row.speedup)


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| operation | size | ours s | baseline s | speed-up | ours peak MB | baseline peak MB "
        "| baseline parse s | runs (ours/base) | check |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.op.name} | {size_label(r.size)} | {fmt_s(r.ours_s, timeout=r.timeout)} "
            f"| {fmt_s(r.base_s, timeout=r.timeout)} | {_fmt_floor(r)} | {fmt_mb(r.ours_mb)} "
            f"| {fmt_mb(r.base_mb)} | {fmt_s(r.base_parse_s)} "
            f"| {len(r.ours)}/{'same' if r.shared_baseline else len(r.base)} "
            f"| {'' if r.ok else '**MISMATCH** '}{r.check} |"
        )
    return lines


def report(runner: Runner, command: str, started: dt.datetime, elapsed: float) -> str:
    args = runner.args
    lines = [
        "# Benchmarks: ssc-kg vs plain rdflib + pyshacl",
        "",
        "Generated by `bench/run.py` (see [`bench/README.md`](../bench/README.md) for what each "
        "side runs and how the results are checked). Do not edit by hand: rerun the command.",
        "",
        "```sh",
        command,
        "```",
        "",
        f"Run on {started:%Y-%m-%d %H:%M} UTC, took {elapsed / 60:.1f} min. "
        f"Medians of {args.repeat} runs for ours; the baseline ran "
        + (
            f"{args.baseline_repeat} time(s) at every size."
            if args.baseline_repeat
            else f"{args.repeat} times below 1M and once at 1M and above."
        )
        + f' Per-step timeout {args.timeout:g} s (shown as "> {args.timeout:g}")'
        + (f", {args.query_timeout:g} s for the queries" if args.query_timeout else "")
        + (
            f"; a baseline query is stopped after {args.query_cap:g}x our first run of it "
            "(at least 30 s), enough to decide the 10x target."
            if args.query_cap
            else "."
        )
        + (
            f" **{args.jobs} operations were measured at the same time (--jobs): the timings "
            "are not comparable.**"
            if args.jobs > 1
            else " One measurement at a time."
        ),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine()),
        "",
    ]
    if runner.failures:
        lines += ["**FAILED: ours and the baseline disagree (or a command failed):**", ""]
        lines += [f"- {f}" for f in runner.failures]
        lines.append("")
    lines += ["## Targets (issue 3)", "", "| target | verdict | figures |", "|---|---|---|"]
    lines += [f"| {t} | {v} | {d} |" for t, v, d in targets(runner)]
    lines += [
        "",
        "## Results",
        "",
        "Wall time of the whole process (interpreter start, imports, parsing, the operation, "
        "writing the output), median; peak RSS of that process (max over runs). "
        'Speed-up = baseline ÷ ours. "baseline parse s" is the part of the baseline\'s time '
        "spent in rdflib's parser.",
        "",
        *table(runner.rows),
        "",
    ]
    growth = growth_rows(runner.rows)
    if growth:
        lines += [
            "## Growth 100k → 1M (time at 1M ÷ time at 100k; target ≤ 12x for ours)",
            "",
            "| operation | ours | baseline |",
            "|---|---|---|",
            *(f"| {name} | {fmt_x(o)} | {fmt_x(b)} |" for name, o, b in growth),
            "",
        ]
    if runner.everyday is not None:
        row = runner.everyday
        ratio = row.ours_s / row.base_s if row.ours_s and row.base_s else None
        lines += [
            "## Everyday: exporting the shipped graph",
            "",
            "| command | median s | peak MB |",
            "|---|---|---|",
            f"| `ssc-kg export --format jsonld` (shipped graph, to stdout) | {fmt_s(row.ours_s)} "
            f"| {fmt_mb(row.ours_mb)} |",
            f"| `python -c 'import rdflib'` | {fmt_s(row.base_s)} | {fmt_mb(row.base_mb)} |",
            "",
            f"Ratio {'-' if ratio is None else f'{ratio:.2f}'}x (target ≤ 1.5x), "
            f"{len(row.ours)} runs each.",
            "",
        ]
    lines += [
        "## Method",
        "",
        "- Data: `bench/generate.py`, seed "
        f"{args.seed}, default violation rate ({generate.DEFAULT_VIOLATIONS}), written once per "
        "size as N-Quads and TriG; every operation but `load trig` reads the N-Quads file.",
        "- Ours, the rows without parentheses (the targets are judged on these): the `ssc-kg` "
        "command as a user runs it: `export --no-shipped --data FILE --format F` (to stdout, "
        "redirected to a file); `query -f Q --data FILE --format json` (with the shipped data: "
        "the competency queries ask about it); `validate --data FILE --format json` (with the "
        "shipped data); `stats --no-shipped --data FILE --format json`. For load, what the "
        "command line does to read a file: `ssc_kg.parse_quads([FILE])`.",
        "- Ours, the rows with parentheses (same baseline runs): `(--store)` is the same "
        "command reading a store built beforehand, untimed, by `ssc-kg load --store DIR "
        "[--no-shipped] --data FILE`; `load nquads (ssc-kg load --store)` times that build; "
        "`(ssc_kg.load API, to rdflib.Dataset)` is the library call that hands out an "
        "`rdflib.Dataset`.",
        "- Baseline (`bench/drivers.py`), parse included in every step: `rdflib.Dataset().parse"
        "(FILE)`; `Dataset(default_union=True)` + `Dataset.serialize(OUT, format=F)` (so triple "
        "formats get the union of all graphs, as ours); rdflib's SPARQL engine on "
        "`Dataset(default_union=True)` of the N-Quads file and the shipped TriG files (the "
        "N-Quads file first: rdflib 7's N-Quads parser drops a default graph already in the "
        "Dataset); `pyshacl.validate(union, shacl_graph=shapes, inference='none', "
        "advanced=True)` on one `Graph` holding every quad of the file and the shipped data; "
        "the stats counts computed over `Dataset.quads()`.",
        "- Checks (first run of each pair): exports by count + SHA-256 of the sorted, "
        "deduplicated N-Quads lines after parsing both outputs with pyoxigraph (triple formats "
        "as triples; rdflib's `urn:x-rdflib:default` read as the default graph, and in rdflib's "
        "JSON-LD the `@id`-less graph object holding the default graph, which JSON-LD "
        "processors (pyld, pyoxigraph) read as a blank-node named graph); queries by "
        "SPARQL JSON rows as multisets; validation by the sets of (focus node, path, source "
        "shape, severity), our dataset-level checks (named graphs described, well-formed "
        "literals) set aside; stats by all counts.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_sizes(text: str) -> list[int]:
    sizes = [generate._count(part) for part in text.split(",") if part.strip()]
    if not sizes or any(n <= 0 for n in sizes):
        raise argparse.ArgumentTypeError("sizes are positive counts like 10k,100k,1M")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="run.py", description="Benchmark ssc-kg against plain rdflib + pyshacl."
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("10k,100k"),
        help="comma-separated quad counts (default 10k,100k)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--baseline-repeat",
        type=int,
        default=0,
        metavar="N",
        help="runs of the baseline (default: --repeat below 1M, 1 from 1M)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds per step before it is recorded as '> timeout'",
    )
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="per-step timeout of the query steps (default: --timeout); rdflib needs hours "
        "for some competency queries from 100k on",
    )
    parser.add_argument(
        "--query-cap",
        type=float,
        default=0.0,
        metavar="FACTOR",
        help="stop a baseline query step after FACTOR x our first run of it (at least 30 s); "
        "its speed-up is then shown as '>= FACTOR' (default: off)",
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--only", metavar="REGEX", help="only operations whose name matches")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="operations measured at the same time (default 1; more is for smoke runs only: "
        "the timings are then not comparable)",
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="skip the --store variants even if ssc-kg has 'load --store'",
    )
    parser.add_argument(
        "--no-everyday",
        action="store_true",
        help="skip the everyday export-vs-import-rdflib figure",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to write the data (default: a new temporary folder)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the report (Markdown) here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)  # clean up children and the data folder
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ssc-bench-", dir=args.workdir))
    runner = Runner(args, workdir)
    try:
        for size in args.sizes:
            runner.run_size(size)
        if not args.no_everyday:
            runner.run_everyday()
    finally:
        log = runner.log
        if runner.failures and log.exists():
            kept = Path(tempfile.gettempdir()) / f"ssc-bench-{started:%Y%m%d-%H%M%S}.log"
            shutil.copy(log, kept)
            print(f"commands and their stderr: {kept}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - clock
    command = "python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    text = report(runner, command, started, elapsed)
    print("\n".join(table(runner.rows)))
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        print(f"report written to {args.out}", file=sys.stderr)
    if runner.failures:
        print("FAILED: ours and the baseline disagree:", file=sys.stderr)
        for failure in runner.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
