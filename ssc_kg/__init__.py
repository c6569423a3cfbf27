"""ssc-kg: the South-South Cooperation knowledge graph (curated, sourced RDF).

The package ships the dataset (``data/*.trig``), SHACL shapes and SPARQL queries,
and a small API over them. Nothing heavy is imported by ``import ssc_kg``: each
function imports its engine (pyoxigraph, rdflib, pyshacl, pyld) on first use.

Example (the shipped dataset):

>>> import ssc_kg
>>> ds = ssc_kg.load()                      # rdflib.Dataset: default + named graphs
>>> report = ssc_kg.validate(ds)            # SHACL on the union of all graphs
>>> isinstance(report.conforms, bool)
True
>>> result = ssc_kg.query(ds, "ASK { ?s ?p ?o }")
>>> result.kind
'ask'
>>> trig = ssc_kg.serialize(ds, "trig")     # bytes, identical from run to run
>>> ssc_kg.stats(ds).triples == sum(1 for _ in ds.quads((None, None, None, None)))
True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

# These modules only import the standard library at import time; rdflib, pyoxigraph,
# pyshacl and pyld are imported inside the functions that need them. Importing the
# functions here (not lazily) also makes ``ssc_kg.validate`` / ``ssc_kg.query`` /
# ``ssc_kg.stats`` always be the functions, never the same-named submodules.
from .errors import FormatError, InputError, QueryError, SscKgError, ValidationError
from .formats import FORMATS, Format
from .io import load, serialize, write_atomic
from .query import QueryResult, query
from .stats import Stats, stats
from .validate import ValidationReport, ValidationResult, validate

try:
    __version__ = version("ssc-kg")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
    __version__ = "0+unknown"

__all__ = [
    "FORMATS",
    "Format",
    "FormatError",
    "InputError",
    "QueryError",
    "QueryResult",
    "SscKgError",
    "Stats",
    "ValidationError",
    "ValidationReport",
    "ValidationResult",
    "__version__",
    "load",
    "query",
    "serialize",
    "stats",
    "validate",
    "write_atomic",
]
