"""SHACL validation of the dataset.

pyshacl runs on the UNION of all graphs as one :class:`rdflib.Graph` (a claim graph
alone lacks the types that live in ``sscg:entities``; pyshacl would otherwise
validate each named graph separately). Two dataset-level checks that SHACL cannot
express on a union graph are added:

* :data:`DATASET_GRAPHS_DESCRIBED`: every named graph is described in the default
  graph (``<G> a ssc:Claim`` or one of its subclasses, or ``ssc:CuratedGraph``);
* :data:`DATASET_LITERALS_WELL_FORMED`: no ill-typed literal such as
  ``"abc"^^xsd:date`` (pyshacl may mis-handle them, e.g. in range comparisons).

Only ``sh:Violation`` results make the data non-conforming; warnings and infos are
reported but do not fail.

Two engines give the same results (see ``docs/validation.md``):

* ``"pyshacl"``, the reference: pyshacl on an rdflib union graph;
* ``"fast"``: :mod:`ssc_kg.shacl_fast`, the SHACL Core subset our shapes use compiled to
  SPARQL on an in-memory Oxigraph store, many times faster on large data.

``engine="auto"`` (the default) uses the fast engine when it implements everything the
shapes use, and pyshacl otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

from .errors import RemoteImportError, SscKgError, ValidationError
from .io import PathLike, parse_files, quiet_rdflib, rdflib_quads, union_graph
from .namespaces import SSC, compact_iri

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Dataset, Graph
    from rdflib.term import Node

    from .shacl_fast import FastData, Plan

__all__ = [
    "CLAIM_GRAPH_TYPES",
    "DATASET_GRAPHS_DESCRIBED",
    "DATASET_LITERALS_WELL_FORMED",
    "ENGINES",
    "Data",
    "Engine",
    "Severity",
    "ValidationReport",
    "ValidationResult",
    "validate",
]

Severity: TypeAlias = Literal["Violation", "Warning", "Info"]
Engine: TypeAlias = Literal["auto", "fast", "pyshacl"]
ENGINES: tuple[Engine, ...] = ("auto", "fast", "pyshacl")
"""The SHACL engines :func:`validate` accepts."""

Data: TypeAlias = "Dataset | Graph | ox.Store | ox.Dataset | Iterable[ox.Quad]"
"""What :func:`validate` validates: an rdflib Dataset or Graph, or pyoxigraph quads (a
``Store``, a ``Dataset`` or any iterable of ``Quad``)."""

DATASET_GRAPHS_DESCRIBED = SSC + "DatasetGraphsDescribed"
"""``source_shape`` of results for named graphs not described in the default graph."""

DATASET_LITERALS_WELL_FORMED = SSC + "DatasetLiteralsWellFormed"
"""``source_shape`` of results for ill-typed literals."""

CLAIM_GRAPH_TYPES: tuple[str, ...] = tuple(
    SSC + name
    for name in ("Claim", "SeedClaim", "PrimarySourceClaim", "CuratorInference", "CuratedGraph")
)
"""A named graph ``G`` is described when the default graph has ``G a T`` for one of these."""

_SH = "http://www.w3.org/ns/shacl#"
_OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SEVERITY_ORDER: dict[str, int] = {"Violation": 0, "Warning": 1, "Info": 2}


def _show(node: Node | None) -> str:
    """A term as people read it: prefixed name, <iri>, "literal"@lang, _:bnode."""
    from rdflib import BNode, Literal, URIRef

    if node is None:
        return ""
    if isinstance(node, URIRef):
        return compact_iri(str(node))
    if isinstance(node, BNode):
        return f"_:{node}"
    if isinstance(node, Literal):
        text = json.dumps(str(node), ensure_ascii=False)
        if node.language:
            return f"{text}@{node.language}"
        if node.datatype is not None:
            return f"{text}^^{compact_iri(str(node.datatype))}"
        return text
    return str(node)


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result (one ``sh:ValidationResult``)."""

    focus_node: Node
    path: Node | None
    value: Node | None
    message: str
    severity: Severity
    source_shape: Node | None
    constraint_component: Node | None
    path_text: str = ""
    """The property path as SPARQL-like text (``ex:a/ex:b``, ``^ex:p``), for display."""

    def sort_key(self) -> tuple[int, str, str, str, str, str, str]:
        return (
            _SEVERITY_ORDER[self.severity],
            _show(self.focus_node),
            self.path_text,
            self.message,
            _show(self.value),
            _show(self.source_shape),
            _show(self.constraint_component),
        )

    def to_text(self) -> str:
        """``[VIOLATION] sscid:x rdfs:label: message`` (one line)."""
        where = _show(self.focus_node) + (f" {self.path_text}" if self.path_text else "")
        message = " ".join(self.message.split())
        return f"[{self.severity.upper()}] {where}: {message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; terms in N-Triples syntax (``None`` when absent)."""

        from rdflib import URIRef

        def nt(node: Node | None) -> str | None:
            return None if node is None else node.n3()

        return {
            "focus_node": nt(self.focus_node),
            # an IRI in N-Triples syntax; a complex path (blank node) as SPARQL-like text
            "path": nt(self.path) if isinstance(self.path, URIRef) else (self.path_text or None),
            "value": nt(self.value),
            "message": self.message,
            "severity": self.severity,
            "source_shape": nt(self.source_shape),
            "constraint_component": nt(self.constraint_component),
        }


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of :func:`validate`."""

    conforms: bool
    """True when there is no ``sh:Violation`` (warnings and infos do not fail)."""
    results: tuple[ValidationResult, ...]
    """All findings, sorted (violations first)."""
    notes: tuple[str, ...] = field(default=())
    """Warnings logged by pyshacl while validating (e.g. about the shapes)."""
    engine: str = field(default="pyshacl", compare=False)
    """The engine that produced the results: ``"pyshacl"`` or ``"fast"``."""

    def count(self, severity: Severity) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def summary(self) -> str:
        counts = ", ".join(
            f"{self.count(s)} {s.lower()}{'s' if self.count(s) != 1 else ''}"
            for s in ("Violation", "Warning", "Info")
        )
        verdict = "conforms" if self.conforms else "does not conform"
        return f"{verdict} ({counts})"

    def to_text(self) -> str:
        """One line per finding, sorted, then a summary line."""
        lines = [r.to_text() for r in self.results]
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "conforms": self.conforms,
            "counts": {s.lower(): self.count(s) for s in ("Violation", "Warning", "Info")},
            "results": [r.to_dict() for r in self.results],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------- helpers


def _path_text(graph: Graph, node: Node | None, depth: int = 0) -> str:
    """Render a SHACL property path (IRI, sequence, ^inverse, alternatives, * + ?)."""
    from rdflib import RDF, BNode, URIRef
    from rdflib.collection import Collection

    if node is None:
        return ""
    if isinstance(node, URIRef):
        return compact_iri(str(node))
    if not isinstance(node, BNode) or depth > 20:
        return _show(node)
    sh = {
        name: URIRef(_SH + name)
        for name in (
            "inversePath",
            "alternativePath",
            "zeroOrMorePath",
            "oneOrMorePath",
            "zeroOrOnePath",
        )
    }

    def sub(n: Node) -> str:
        text = _path_text(graph, n, depth + 1)
        return text if isinstance(n, URIRef) else f"({text})"

    if (node, RDF.first, None) in graph:
        return "/".join(sub(n) for n in Collection(graph, node))
    inverse = graph.value(node, sh["inversePath"])
    if inverse is not None:
        return "^" + sub(inverse)
    alternatives = graph.value(node, sh["alternativePath"])
    if alternatives is not None:
        return "|".join(sub(n) for n in Collection(graph, alternatives))
    for name, mark in (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
        inner = graph.value(node, sh[name])
        if inner is not None:
            return sub(inner) + mark
    return _show(node)


def _pick_message(graph: Graph, result: Node) -> str:
    from rdflib import URIRef

    return _choose_message(graph.objects(result, URIRef(_SH + "resultMessage")))


def _choose_message(candidates: Iterable[Node]) -> str:
    """The message people read: English or untagged first, then the first in text order."""
    from rdflib import Literal

    messages = [m for m in candidates if isinstance(m, Literal)]
    if not messages:
        return "(no message)"

    def rank(m: Literal) -> tuple[int, str]:
        lang = (m.language or "").lower()
        return (0 if lang in ("", "en") or lang.startswith("en-") else 1, str(m))

    return str(sorted(messages, key=rank)[0])


def _severity(node: Node | None) -> Severity:
    name = str(node).removeprefix(_SH) if node else "Violation"
    return cast("Severity", name) if name in ("Violation", "Warning", "Info") else "Violation"


def _results_from_report(report: Graph, shapes: Graph) -> Iterator[ValidationResult]:
    from rdflib import RDF, URIRef

    sh = URIRef
    for result in report.subjects(RDF.type, sh(_SH + "ValidationResult")):
        severity = _severity(report.value(result, sh(_SH + "resultSeverity")))
        path = report.value(result, sh(_SH + "resultPath"))
        path_graph = report if path is not None and (path, None, None) in report else shapes
        focus = report.value(result, sh(_SH + "focusNode"))
        if focus is None:  # pragma: no cover - pyshacl always sets it
            continue
        yield ValidationResult(
            focus_node=focus,
            path=path,
            value=report.value(result, sh(_SH + "value")),
            message=_pick_message(report, result),
            severity=severity,
            source_shape=report.value(result, sh(_SH + "sourceShape")),
            constraint_component=report.value(result, sh(_SH + "sourceConstraintComponent")),
            path_text=_path_text(path_graph, path),
        )


def _graph_not_described(graph: Node) -> ValidationResult:
    from rdflib import URIRef

    kinds = ", ".join(compact_iri(t) for t in CLAIM_GRAPH_TYPES)
    return ValidationResult(
        focus_node=graph,
        path=URIRef(_RDF_TYPE),
        value=None,
        message=f"named graph is not described in the default graph (needs rdf:type {kinds})",
        severity="Violation",
        source_shape=URIRef(DATASET_GRAPHS_DESCRIBED),
        constraint_component=URIRef(_SH + "ClassConstraintComponent"),
        path_text="rdf:type",
    )


def _ill_typed(s: Node, p: Node, o: Node) -> ValidationResult:
    from rdflib import URIRef

    datatype = compact_iri(str(getattr(o, "datatype", "")))
    return ValidationResult(
        focus_node=s,
        path=p,
        value=o,
        message=f"ill-typed literal: {str(o)!r} is not a valid {datatype}",
        severity="Violation",
        source_shape=URIRef(DATASET_LITERALS_WELL_FORMED),
        constraint_component=URIRef(_SH + "DatatypeConstraintComponent"),
        path_text=compact_iri(str(p)),
    )


def _check_graphs_described(dataset: Dataset | Graph) -> Iterator[ValidationResult]:
    typed: dict[Node, set[str]] = {}
    named: set[Node] = set()
    for s, p, o, g in rdflib_quads(dataset):
        if g is None:
            if str(p) == _RDF_TYPE:
                typed.setdefault(s, set()).add(str(o))
        else:
            named.add(g)
    wanted = set(CLAIM_GRAPH_TYPES)
    for graph in sorted(named, key=lambda n: n.n3()):
        if not typed.get(graph, set()) & wanted:
            yield _graph_not_described(graph)


def _check_literals(union: Graph) -> Iterator[ValidationResult]:
    from rdflib import Literal

    for s, p, o in union:
        if isinstance(o, Literal) and o.ill_typed:
            yield _ill_typed(s, p, o)


class _CollectLogs(logging.Filter):
    """Collects pyshacl's log records instead of letting them reach stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            self.messages.append(" ".join(record.getMessage().split()))
        return False


def _load_shapes(shapes: Sequence[PathLike] | Graph | None) -> Graph:
    from rdflib import Graph

    from .resources import shape_files

    if isinstance(shapes, Graph):
        return shapes
    if isinstance(shapes, (str, os.PathLike)):  # one path
        shapes = [shapes]
    paths = list(shape_files() if shapes is None else shapes)
    return union_graph(parse_files(paths))


def _refuse_network_in_shapes(shapes: Graph) -> None:
    """SHACL-SPARQL constraints run in rdflib, whose SERVICE would go to the network."""
    from rdflib import Literal, URIRef

    from .query import _uses_service

    for name in ("select", "ask", "construct", "update"):
        for _, text in shapes.subject_objects(URIRef(_SH + name)):
            if isinstance(text, Literal) and _uses_service(str(text)):
                raise ValidationError(
                    f"a SHACL-SPARQL sh:{name} uses SERVICE (network access), which is refused"
                )


def _shapes_imports(shapes: Graph) -> list[str]:
    from rdflib import URIRef

    return sorted({str(o) for o in shapes.objects(None, URIRef(_OWL_IMPORTS))})


def _unfollowed_imports_note(shapes: Graph) -> list[str]:
    """pyshacl follows only the imports of an ``owl:Ontology``: say which it will skip."""
    from rdflib import RDF, URIRef

    ontology = URIRef("http://www.w3.org/2002/07/owl#Ontology")
    skipped = sorted(
        {
            str(o)
            for s, o in shapes.subject_objects(URIRef(_OWL_IMPORTS))
            if (s, RDF.type, ontology) not in shapes
        }
    )
    if not skipped:
        return []
    return [
        f"owl:imports <{skipped[0]}>{f' and {len(skipped) - 1} more' if len(skipped) > 1 else ''}"
        " in the shapes not followed: pyshacl follows only the imports of an owl:Ontology"
    ]


def _file_importing(shapes: Sequence[PathLike] | Graph | None, iri: str) -> str:
    """The shapes file that holds ``owl:imports <iri>`` ("" if not a file), for messages."""
    from rdflib import Graph

    from .resources import shape_files

    if isinstance(shapes, Graph):
        return ""
    if isinstance(shapes, (str, os.PathLike)):
        shapes = [shapes]
    for path in list(shape_files() if shapes is None else shapes):
        try:
            if iri in _shapes_imports(union_graph(parse_files([path]))):
                return os.fspath(path)
        except SscKgError:
            continue
    return ""


def _refuse_imports(shapes: Sequence[PathLike] | Graph | None, imports: list[str]) -> None:
    where = _file_importing(shapes, imports[0])
    raise RemoteImportError(
        f"{where + ': ' if where else ''}owl:imports <{imports[0]}> in the shapes needs "
        "network access, which is off (--allow-network lets pyshacl fetch it; or give the "
        "imported shapes with --shapes)"
    )


def _data_imports_note(iris: Iterable[str]) -> list[str]:
    """A note saying that the data's ``owl:imports`` are not followed (none if none)."""
    found = sorted(set(iris))
    if not found:
        return []
    shown = ", ".join(f"<{iri}>" for iri in found[:3])
    if len(found) > 3:
        shown += f" and {len(found) - 3} more"
    return [
        f"owl:imports {shown} in the data not followed: the data is validated as it is "
        "(imports are never fetched into the data)"
    ]


def _run_pyshacl(
    data: Graph, shapes: Graph, *, do_owl_imports: bool = False
) -> tuple[Graph, list[str]]:
    collector = _CollectLogs()
    logger = logging.getLogger("pyshacl-validate")
    logger.addFilter(collector)
    try:
        with warnings.catch_warnings():
            # pyshacl uses rdflib APIs deprecated in rdflib 7.x; not actionable here.
            warnings.simplefilter("ignore", DeprecationWarning)
            import pyshacl

            _conforms, report, _text = pyshacl.validate(
                data,
                shacl_graph=shapes,
                inference="none",
                advanced=True,
                allow_warnings=True,
                allow_infos=True,
                do_owl_imports=do_owl_imports,
                meta_shacl=False,
                abort_on_first=False,
            )
    except SscKgError:
        raise
    except Exception as error:  # pyshacl raises many kinds; never show a traceback
        raise ValidationError(
            f"SHACL validation could not run: {type(error).__name__}: {error}"
        ) from None
    finally:
        logger.removeFilter(collector)
    from rdflib import Graph

    if not isinstance(report, Graph):
        raise ValidationError(f"SHACL validation could not run: {report}")
    return report, collector.messages


def validate(
    ds: Data | None = None,
    *,
    shapes: Sequence[PathLike] | Graph | None = None,
    engine: Engine = "auto",
    jobs: int = 1,
    allow_network: bool = False,
) -> ValidationReport:
    """Validate a dataset against SHACL shapes.

    :param ds: the dataset: an rdflib Dataset or Graph, or pyoxigraph quads (a
        ``Store``, a ``Dataset``, any iterable of ``Quad``); ``None`` loads the
        shipped dataset (:func:`ssc_kg.load`).
    :param shapes: shapes files, or a shapes graph; ``None`` uses the shipped
        ``shapes/*.ttl``.
    :param engine: ``"pyshacl"`` (the reference), ``"fast"`` (the SPARQL engine of
        :mod:`ssc_kg.shacl_fast`; refuses shapes it does not implement) or ``"auto"``
        (fast when it can, else pyshacl). Both give the same report.
    :param jobs: queries the fast engine runs at the same time (threads).
    :param allow_network: let pyshacl fetch the shapes' ``owl:imports`` and run
        ``SERVICE`` in SHACL-SPARQL. Off: both are refused (never silently skipped: a
        report on half the shapes would claim too much). ``owl:imports`` in the data
        are never followed, with or without it; the report's ``notes`` say so.
    :returns: a :class:`ValidationReport`; ``conforms`` is False only for violations.
    :raises InputError: unreadable or malformed shapes (or shipped data).
    :raises RemoteImportError: the shapes ``owl:imports`` something and
        ``allow_network`` is off.
    :raises ValidationError: pyshacl failed (e.g. broken shapes), or ``engine="fast"``
        was asked for shapes it does not implement.
    """
    if engine not in ENGINES:
        raise ValidationError(f"unknown SHACL engine {engine!r} (use {', '.join(ENGINES)})")
    if ds is None:
        from .io import load

        ds = load()
    from rdflib import Graph

    if not isinstance(ds, Graph):
        ds = _reusable(ds)
    with quiet_rdflib(), warnings.catch_warnings():
        # rdflib warns about an odd boolean ("maybe"^^xsd:boolean) as it reads it; such
        # literals are reported as ill-typed results instead
        warnings.filterwarnings("ignore", "Parsing weird boolean", UserWarning)
        shapes_graph = _load_shapes(shapes)
        imports = _shapes_imports(shapes_graph)
        if imports and not allow_network:
            _refuse_imports(shapes, imports)
        if len(shapes_graph) and not allow_network:
            _refuse_network_in_shapes(shapes_graph)
        if imports and engine == "fast":
            raise ValidationError(
                "the fast SHACL engine does not follow owl:imports in the shapes "
                "(use the pyshacl engine)"
            )
        if engine != "pyshacl" and not imports:
            from .shacl_fast import Unsupported, compile_shapes

            try:
                return _validate_fast(ds, compile_shapes(shapes_graph), jobs=jobs)
            except Unsupported as reason:
                if engine == "fast":
                    raise ValidationError(
                        f"the fast SHACL engine cannot validate this: {reason} "
                        "(use the pyshacl engine)"
                    ) from None
        if not isinstance(ds, Graph):
            from .io import quads_to_dataset

            ds = quads_to_dataset(ds)
        return _validate_pyshacl(
            ds,
            shapes_graph,
            do_owl_imports=bool(imports),
            notes=_unfollowed_imports_note(shapes_graph) if imports else [],
        )


def _reusable(quads: Any) -> Any:
    """pyoxigraph quads that can be read twice (the fast engine may hand over to pyshacl)."""
    import pyoxigraph as ox

    if isinstance(quads, (ox.Store, ox.Dataset, list, tuple)):
        return quads
    return list(quads)


def _validate_pyshacl(
    ds: Dataset | Graph,
    shapes_graph: Graph,
    *,
    do_owl_imports: bool = False,
    notes: Sequence[str] = (),
) -> ValidationReport:
    from rdflib import URIRef

    data = union_graph(ds)
    found: list[ValidationResult] = []
    notes = list(notes)
    if len(shapes_graph):
        report, logged = _run_pyshacl(data, shapes_graph, do_owl_imports=do_owl_imports)
        notes.extend(logged)
        found.extend(_results_from_report(report, shapes_graph))
    notes.extend(_data_imports_note(str(o) for o in data.objects(None, URIRef(_OWL_IMPORTS))))
    found.extend(_check_graphs_described(ds))
    found.extend(_check_literals(data))
    return _report(found, notes, "pyshacl")


def _validate_fast(ds: Any, plan: Plan, *, jobs: int) -> ValidationReport:
    import pyoxigraph as ox
    from rdflib import Graph, URIRef

    from .shacl_fast import FastData, MessageMaker, ill_typed_triples, run

    data: FastData = (
        FastData.from_rdflib(ds, CLAIM_GRAPH_TYPES)
        if isinstance(ds, Graph)
        else FastData.from_quads(ds, CLAIM_GRAPH_TYPES)
    )
    raw, literals = run(plan, data, jobs=jobs)
    imports = data.store.quads_for_pattern(None, ox.NamedNode(_OWL_IMPORTS), None)
    notes = _data_imports_note(str(getattr(q.object, "value", q.object)) for q in imports)
    found: list[ValidationResult] = []
    messages = MessageMaker(plan, data)
    try:
        for r in raw:
            focus = data.rdflib_term(r.focus)
            value = None if r.value is None else data.rdflib_term(r.value)
            shape = r.shape
            found.append(
                ValidationResult(
                    focus_node=focus,
                    path=shape.path,
                    value=value,
                    message=(
                        _choose_message(shape.messages)
                        if shape.messages
                        else messages.message(r, focus, value)
                    ),
                    severity=_severity(shape.severity),
                    source_shape=shape.node,
                    constraint_component=URIRef(_SH + r.component),
                    path_text=_path_text(plan.shapes_graph, shape.path),
                )
            )
    finally:
        messages.close()
    undescribed = [data.rdflib_term(g) for g in data.graph_names - data.described]
    found.extend(_graph_not_described(g) for g in sorted(undescribed, key=lambda n: n.n3()))
    for s, p, o in ill_typed_triples(data, literals):
        found.append(_ill_typed(data.rdflib_term(s), data.rdflib_term(p), data.rdflib_term(o)))
    return _report(found, notes, "fast")


def _report(found: list[ValidationResult], notes: list[str], engine: str) -> ValidationReport:
    results = tuple(sorted(_dedupe(found), key=ValidationResult.sort_key))
    conforms = not any(r.severity == "Violation" for r in results)
    return ValidationReport(conforms=conforms, results=results, notes=tuple(notes), engine=engine)


def _dedupe(results: Iterable[ValidationResult]) -> list[ValidationResult]:
    seen: set[tuple[str, ...]] = set()
    unique = []
    for result in results:
        key = (*result.sort_key()[1:], result.severity)
        if key not in seen:
            seen.add(key)
            unique.append(result)
    return unique
