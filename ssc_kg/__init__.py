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

The engine underneath is pyoxigraph: ``parse_quads``, ``serialize_quads``,
``query_quads`` and ``stats_quads`` work on :class:`pyoxigraph.Quad` lists without
rdflib (the functions above convert to and from rdflib around them), and
:mod:`ssc_kg.store` keeps a parsed dataset on disk (``store.build``, ``open_store``).
"""

from __future__ import annotations

from typing import Any

# These modules only import the standard library at import time; rdflib, pyoxigraph,
# pyshacl and pyld are imported inside the functions that need them. Importing the
# functions here (not lazily) also makes ``ssc_kg.validate`` / ``ssc_kg.query`` /
# ``ssc_kg.stats`` always be the functions, never the same-named submodules.
from .errors import (
    FormatError,
    InputError,
    LimitError,
    NetworkAccessError,
    QueryError,
    SscKgError,
    ValidationError,
)
from .formats import FORMATS, Format
from .io import load, parse_quads, serialize, serialize_quads, write_atomic
from .query import QueryResult, query, query_quads
from .stats import Stats, stats, stats_quads
from .store import KgStore, StoreError, open_store
from .validate import ValidationReport, ValidationResult, validate


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata on first use (it is slow to import);
    ``serve`` (:func:`ssc_kg.endpoint.serve`) and ``publish`` (:func:`ssc_kg.publishing.publish`),
    imported on first use."""
    lazy = {"serve": ".endpoint", "publish": ".publishing"}
    if name in lazy:
        from importlib import import_module

        function = getattr(import_module(lazy[name], __name__), name)
        globals()[name] = function
        return function
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("ssc-kg")
        except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORMATS",
    "Format",
    "FormatError",
    "InputError",
    "KgStore",
    "LimitError",
    "NetworkAccessError",
    "QueryError",
    "QueryResult",
    "SscKgError",
    "Stats",
    "StoreError",
    "ValidationError",
    "ValidationReport",
    "ValidationResult",
    "__version__",
    "load",
    "open_store",
    "parse_quads",
    "publish",
    "query",
    "query_quads",
    "serialize",
    "serialize_quads",
    "serve",
    "stats",
    "stats_quads",
    "validate",
    "write_atomic",
]
