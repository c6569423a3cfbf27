"""Counts that describe a dataset (size, graphs, classes, label languages)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .namespaces import compact_iri

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Dataset, Graph

__all__ = ["Stats", "stats", "stats_quads", "stats_store"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
)


@dataclass(frozen=True)
class Stats:
    """Result of :func:`stats`. Class and language counts are over the union of graphs."""

    triples: int
    """Total number of triples over all graphs, i.e. of quads (a triple in two graphs
    counts twice)."""
    distinct_triples: int
    """Number of triples in the union of all graphs."""
    graphs: int
    """Number of non-empty named graphs."""
    default_graph_triples: int
    classes: tuple[tuple[str, int], ...]
    """(class IRI, number of distinct resources with that rdf:type), most frequent first."""
    label_languages: tuple[tuple[str, int], ...]
    """(language tag, "" for none; number of rdfs:label + skos:prefLabel values), by tag."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "triples": self.triples,
            "distinct_triples": self.distinct_triples,
            "graphs": self.graphs,
            "default_graph_triples": self.default_graph_triples,
            "classes": dict(self.classes),
            "label_languages": dict(self.label_languages),
        }

    def to_json(self) -> str:
        """JSON text (the dicts keep the order of the tuples)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_text(self) -> str:
        lines = [
            f"triples (all graphs):  {self.triples}",
            f"distinct triples:      {self.distinct_triples}",
            f"named graphs:          {self.graphs}",
            f"default graph triples: {self.default_graph_triples}",
            "resources per class:",
        ]
        lines += [f"  {count:>7}  {compact_iri(iri)}" for iri, count in self.classes] or [
            "  (none)"
        ]
        lines.append("labels per language (rdfs:label, skos:prefLabel):")
        lines += [
            f"  {count:>7}  {lang or '(no language)'}" for lang, count in self.label_languages
        ] or ["  (none)"]
        return "\n".join(lines) + "\n"


def _sorted_counts(
    classes: Counter[str], languages: Counter[str]
) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
    return (
        tuple(sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))),
        tuple(sorted(languages.items())),
    )


def stats_quads(quads: Iterable[ox.Quad]) -> Stats:
    """:func:`stats` of pyoxigraph quads (duplicates count once, as in a dataset)."""
    import pyoxigraph as ox

    unique = quads if isinstance(quads, (set, frozenset)) else set(quads)
    default_graph, literal = ox.DefaultGraph, ox.Literal
    default = 0
    graphs = set()
    union = set()
    for quad in unique:
        graph = quad.graph_name
        if type(graph) is default_graph:
            default += 1
        else:
            graphs.add(graph)
        union.add(quad.triple)
    classes: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    typed = set()
    for triple in union:
        predicate = triple.predicate.value
        if predicate == _RDF_TYPE:
            typed.add((triple.subject, triple.object.value))  # type: ignore[union-attr]
        elif predicate in _LABELS:
            obj = triple.object
            if type(obj) is literal:
                languages[obj.language or ""] += 1
    classes.update(cls for _, cls in typed)
    class_counts, language_counts = _sorted_counts(classes, languages)
    return Stats(
        triples=len(unique),
        distinct_triples=len(union),
        graphs=len(graphs),
        default_graph_triples=default,
        classes=class_counts,
        label_languages=language_counts,
    )


def _select(store: ox.Store, sparql: str, *, union: bool = True) -> ox.QuerySolutions:
    import pyoxigraph as ox

    result = store.query(sparql, use_default_graph_as_union=union)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _count(store: ox.Store, sparql: str, *, union: bool = True) -> int:
    import pyoxigraph as ox

    (solution,) = _select(store, sparql, union=union)
    term = solution[0]
    assert isinstance(term, ox.Literal)
    return int(term.value)


def stats_store(store: ox.Store) -> Stats:
    """:func:`stats` of a :class:`pyoxigraph.Store`, computed by SPARQL aggregates.

    Same counts as :func:`stats_quads`; a blank node class is named by its label in the
    store (canonical labels in a store built by :mod:`ssc_kg.store`).
    """
    import pyoxigraph as ox

    triples = _count(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    default = _count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", union=False)
    graphs = _count(store, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    distinct = _count(
        store,
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
        "{ { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } }",
        union=False,
    )
    classes: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    for cls, count in _select(
        store, f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{_RDF_TYPE}> ?c }} GROUP BY ?c"
    ):
        assert cls is not None
        assert isinstance(count, ox.Literal)
        classes[cls.value] += int(count.value)
        terms[cls.value] += 1
    if any(n > 1 for n in terms.values()):
        # Two class terms with one text (an IRI and a literal, say): like stats_quads,
        # count each resource once per text.
        typed: dict[str, set[Any]] = {}
        for subject, cls in _select(
            store, f"SELECT DISTINCT ?s ?c WHERE {{ ?s <{_RDF_TYPE}> ?c }}"
        ):
            assert cls is not None
            typed.setdefault(cls.value, set()).add(subject)
        classes = Counter({cls: len(subjects) for cls, subjects in typed.items()})
    languages: Counter[str] = Counter()
    for solution in _select(
        store,
        "SELECT ?l (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
        f"VALUES ?p {{ <{_LABELS[0]}> <{_LABELS[1]}> }} ?s ?p ?o FILTER(isLiteral(?o)) }} }} "
        "GROUP BY (LANG(?o) AS ?l)",
    ):
        language = solution[0]
        count = solution[1]
        assert isinstance(count, ox.Literal)
        languages[language.value if isinstance(language, ox.Literal) else ""] += int(count.value)
    class_counts, language_counts = _sorted_counts(classes, languages)
    return Stats(
        triples=triples + default,
        distinct_triples=distinct,
        graphs=graphs,
        default_graph_triples=default,
        classes=class_counts,
        label_languages=language_counts,
    )


def stats(ds: Dataset | Graph) -> Stats:
    """Count triples, named graphs, resources per class and labels per language."""
    from .io import oxigraph_quads

    return stats_quads(oxigraph_quads(ds))
