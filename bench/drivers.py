"""What one benchmark measurement runs, in a fresh process: ``python bench/drivers.py OP ...``.

The baseline is plain rdflib + pyshacl, written the way a user of those libraries would:

* ``baseline-load FILE``: ``rdflib.Dataset().parse(FILE)``;
* ``baseline-export FILE FORMAT OUT``: parse (``Dataset(default_union=True)``, so that the
  triple formats get the union of all graphs, as ``ssc-kg export`` writes them), then
  ``Dataset.serialize(OUT, format=...)``;
* ``baseline-query QUERY OUT FILE...``: parse the files into ``Dataset(default_union=True)``,
  run the query with rdflib's SPARQL engine, write the results as SPARQL JSON;
* ``baseline-validate OUT FILE...``: parse, copy all quads into one union ``rdflib.Graph``,
  ``pyshacl.validate(union, shacl_graph=shapes, inference="none", advanced=True)``, write the
  result set as JSON;
* ``baseline-stats FILE OUT``: the counts of ``ssc-kg stats`` computed with rdflib.

Ours, where it is not the ``ssc-kg`` command itself: ``ours-parse FILE`` is what the command
line does to read a file, ``ssc_kg.parse_quads([FILE])`` (a list of pyoxigraph quads), and
``ours-load FILE`` the library's rdflib API, ``ssc_kg.load([FILE], shipped=False)``.

With the environment variable ``SSC_BENCH_PHASES=PATH`` the seconds spent in each phase
(import, parse, the operation, write) are written to PATH as JSON, for the "baseline parse s"
column of the report.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

SHAPES_DIR = Path(__file__).resolve().parent.parent / "shapes"
SH = "http://www.w3.org/ns/shacl#"
RDFLIB_FORMATS = {
    ".nq": "nquads",
    ".trig": "trig",
    ".ttl": "turtle",
    ".nt": "nt",
    ".jsonld": "json-ld",
    ".rdf": "xml",
}
EXPORT_FORMATS = {  # ssc-kg format name -> rdflib serializer name
    "turtle": "turtle",
    "nt": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "xml": "xml",
}


class Phases:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.times: dict[str, float] = {}

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = self.times.get(name, 0.0) + now - self.last
        self.last = now


def _parse(phases: Phases, files: list[str], *, union: bool = False) -> Any:
    from rdflib import Dataset

    phases.mark("import")
    ds = Dataset(default_union=union)
    for name in files:
        ds.parse(name, format=RDFLIB_FORMATS[Path(name).suffix.lower()])
    phases.mark("parse")
    return ds


def baseline_load(phases: Phases, file: str) -> None:
    _parse(phases, [file])


def ours_load(phases: Phases, file: str) -> None:
    import ssc_kg

    phases.mark("import")
    ssc_kg.load([file], shipped=False)
    phases.mark("parse")


def ours_parse(phases: Phases, file: str) -> None:
    """What the command line does to read a file: ``ssc_kg.parse_quads`` (pyoxigraph quads).

    Falls back to :func:`ours_load` for an ssc-kg without ``parse_quads``.
    """
    import ssc_kg

    parse_quads = getattr(ssc_kg, "parse_quads", None)
    if parse_quads is None:
        phases.mark("import")
        ssc_kg.load([file], shipped=False)
    else:
        phases.mark("import")
        parse_quads([file])
    phases.mark("parse")


def baseline_export(phases: Phases, file: str, fmt: str, out: str) -> None:
    ds = _parse(phases, [file], union=True)
    ds.serialize(destination=out, format=EXPORT_FORMATS[fmt], encoding="utf-8")
    phases.mark("serialize")


def baseline_query(phases: Phases, query_file: str, out: str, *files: str) -> None:
    ds = _parse(phases, list(files), union=True)
    result = ds.query(Path(query_file).read_text(encoding="utf-8"))
    payload = result.serialize(format="json")
    phases.mark("query")
    Path(out).write_bytes(payload)
    phases.mark("write")


def _shapes() -> Any:
    from rdflib import Graph

    shapes = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def result_key(
    focus: str, path: str | None, shape: str | None, message: str, severity: str
) -> list[str | None]:
    """The identity of a SHACL result: (focus node, path, source shape, severity).

    Terms are in N-Triples syntax. A source shape that is a blank node (a property shape
    written ``sh:property [ ... ]``) has no identity across two parses of the shapes, so it is
    named by its message instead (every property shape of ours has its own message).
    """
    if shape is not None and shape.startswith("_:"):
        shape = f"[shape with message {message!r}]"
    return [focus, path, shape, severity]


def baseline_validate(phases: Phases, out: str, *files: str) -> None:
    from rdflib import BNode, Graph, Literal, URIRef
    from rdflib.namespace import RDF

    ds = _parse(phases, list(files))
    union = Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    shapes = _shapes()
    phases.mark("union+shapes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import pyshacl

        phases.mark("import")
        conforms, report, _text = pyshacl.validate(
            union, shacl_graph=shapes, inference="none", advanced=True
        )
    phases.mark("validate")
    results = []
    for result in report.subjects(RDF.type, URIRef(SH + "ValidationResult")):
        path = report.value(result, URIRef(SH + "resultPath"))
        shape = report.value(result, URIRef(SH + "sourceShape"))
        severity = str(report.value(result, URIRef(SH + "resultSeverity"))).removeprefix(SH)
        messages = [
            m
            for m in report.objects(result, URIRef(SH + "resultMessage"))
            if isinstance(m, Literal)
        ]
        english = sorted(
            messages, key=lambda m: (0 if (m.language or "en").startswith("en") else 1, str(m))
        )
        results.append(
            result_key(
                report.value(result, URIRef(SH + "focusNode")).n3(),
                None if path is None or isinstance(path, BNode) else path.n3(),
                None if shape is None else shape.n3(),
                str(english[0]) if english else "",
                severity,
            )
        )
    Path(out).write_text(
        json.dumps({"conforms": bool(conforms), "results": sorted(map(tuple, results))}),
        encoding="utf-8",
    )
    phases.mark("write")


def baseline_stats(phases: Phases, file: str, out: str) -> None:
    from collections import Counter

    from rdflib import Literal
    from rdflib.namespace import RDF, RDFS, SKOS

    ds = _parse(phases, [file])
    quads = default = 0
    graphs = set()
    union = set()
    default_id = str(ds.default_graph.identifier)
    for s, p, o, g in ds.quads((None, None, None, None)):
        quads += 1
        if g is None or str(g) == default_id:
            default += 1
        else:
            graphs.add(g)
        union.add((s, p, o))
    typed = {(s, o) for s, p, o in union if p == RDF.type}
    classes = Counter(str(cls) for _, cls in typed)
    languages = Counter(
        (o.language or "")
        for _, p, o in union
        if p in (RDFS.label, SKOS.prefLabel) and isinstance(o, Literal)
    )
    phases.mark("count")
    Path(out).write_text(
        json.dumps(
            {
                "triples": quads,
                "distinct_triples": len(union),
                "graphs": len(graphs),
                "default_graph_triples": default,
                "classes": dict(sorted(classes.items())),
                "label_languages": dict(sorted(languages.items())),
            }
        ),
        encoding="utf-8",
    )
    phases.mark("write")


OPS = {
    "baseline-load": baseline_load,
    "ours-load": ours_load,
    "ours-parse": ours_parse,
    "baseline-export": baseline_export,
    "baseline-query": baseline_query,
    "baseline-validate": baseline_validate,
    "baseline-stats": baseline_stats,
}


def main(argv: list[str]) -> int:
    phases = Phases()
    phases_path = os.environ.get("SSC_BENCH_PHASES")
    op, *args = argv
    OPS[op](phases, *args)
    if phases_path:
        Path(phases_path).write_text(json.dumps(phases.times), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
