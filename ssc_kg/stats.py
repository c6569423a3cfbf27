"""Counts that describe a dataset (size, graphs, classes, label languages)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .namespaces import compact_iri

if TYPE_CHECKING:
    from rdflib import Dataset, Graph

__all__ = ["Stats", "stats"]

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


def stats(ds: Dataset | Graph) -> Stats:
    """Count triples, named graphs, resources per class and labels per language."""
    from rdflib import Literal

    from .io import rdflib_quads

    quads = 0
    default = 0
    graphs = set()
    union = set()
    for s, p, o, g in rdflib_quads(ds):
        quads += 1
        if g is None:
            default += 1
        else:
            graphs.add(g)
        union.add((s, p, o))
    typed = {(s, str(o)) for s, p, o in union if str(p) == _RDF_TYPE}
    classes = Counter(cls for _, cls in typed)
    languages = Counter(
        (o.language or "") for _, p, o in union if str(p) in _LABELS and isinstance(o, Literal)
    )
    return Stats(
        triples=quads,
        distinct_triples=len(union),
        graphs=len(graphs),
        default_graph_triples=default,
        classes=tuple(sorted(classes.items(), key=lambda kv: (-kv[1], kv[0]))),
        label_languages=tuple(sorted(languages.items())),
    )
