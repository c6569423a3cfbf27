"""Files shipped with the package: dataset, SHACL shapes, SPARQL queries, JSON-LD context.

An installed wheel carries them inside the package (``ssc_kg/data``, ``ssc_kg/shapes``,
``ssc_kg/queries``). When running from a source checkout (including an editable
install) they are read from the checkout's top-level ``data/``, ``shapes/`` and
``queries/`` folders instead. Nothing is read at import time.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

__all__ = ["data_files", "dcat_shape_file", "jsonld_context", "query_files", "shape_files"]

_PACKAGE = "ssc_kg"


def _folder(name: str) -> Path | None:
    packaged = files(_PACKAGE) / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    # Source checkout / editable install: <checkout>/ssc_kg/__init__.py -> <checkout>/<name>
    package_dir = files(_PACKAGE)
    if isinstance(package_dir, Path):
        checkout = package_dir.parent
        candidate = checkout / name
        if (checkout / "pyproject.toml").is_file() and candidate.is_dir():
            return candidate
    return None


def _list(name: str, suffixes: tuple[str, ...]) -> list[Path]:
    folder = _folder(name)
    if folder is None:
        return []
    return sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes),
        key=lambda p: p.name,
    )


def data_files() -> list[Path]:
    """The shipped dataset files (``data/*.trig``), sorted by file name."""
    return _list("data", (".trig",))


def shape_files() -> list[Path]:
    """The shipped SHACL shapes files (``shapes/*.ttl``), sorted by file name."""
    return _list("shapes", (".ttl",))


def dcat_shape_file() -> Path | None:
    """The SHACL shapes of the DCAT dataset description (``shapes/dcat/dataset.ttl``).

    In a subfolder, so not one of :func:`shape_files` (it is not a data shape).
    """
    folder = _folder("shapes")
    path = None if folder is None else folder / "dcat" / "dataset.ttl"
    return path if path is not None and path.is_file() else None


def query_files() -> list[Path]:
    """The shipped SPARQL queries (``queries/*.rq`` and ``*.sparql``), sorted by file name."""
    return _list("queries", (".rq", ".sparql"))


@cache
def _context_text() -> str:
    return (files(_PACKAGE) / "context.jsonld").read_text(encoding="utf-8")


def jsonld_context() -> dict[str, Any]:
    """The project's JSON-LD context (the value of ``@context`` in ``context.jsonld``).

    A fresh dict on every call, so callers may modify it.
    """
    document = json.loads(_context_text())
    context: dict[str, Any] = document["@context"]
    return context
