"""RDF serialization formats: one table, :data:`FORMATS`, drives parsing, output and the CLI.

Triple formats (``turtle``, ``nt``, ``xml``) hold a single graph: when a dataset is
written in one of them, all its graphs are merged (their union is written) and the
graph names (provenance) are lost. Quad formats (``trig``, ``nquads``, ``jsonld``)
keep named graphs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from types import MappingProxyType
from typing import TYPE_CHECKING

from .errors import FormatError

if TYPE_CHECKING:
    from pyoxigraph import RdfFormat

__all__ = ["FORMATS", "Format", "format_from_path", "format_names", "resolve_format"]


@dataclass(frozen=True)
class Format:
    """One RDF serialization format."""

    name: str
    """Canonical name (a key of :data:`FORMATS`)."""
    label: str
    aliases: tuple[str, ...]
    extensions: tuple[str, ...]
    """File extensions, with the dot, the preferred one first."""
    media_type: str
    quads: bool
    """True if the format holds named graphs (a dataset), False for one graph."""
    oxigraph_name: str
    """Attribute name of the matching :class:`pyoxigraph.RdfFormat`."""

    @property
    def rdf_format(self) -> RdfFormat:
        """The :class:`pyoxigraph.RdfFormat` (pyoxigraph is imported on first use)."""
        import pyoxigraph

        fmt: RdfFormat = getattr(pyoxigraph.RdfFormat, self.oxigraph_name)
        return fmt

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical name followed by the aliases."""
        return (self.name, *self.aliases)


FORMATS: Mapping[str, Format] = MappingProxyType(
    {
        f.name: f
        for f in (
            Format("turtle", "Turtle", ("ttl",), (".ttl",), "text/turtle", False, "TURTLE"),
            Format(
                "nt",
                "N-Triples",
                ("ntriples", "n-triples"),
                (".nt",),
                "application/n-triples",
                False,
                "N_TRIPLES",
            ),
            Format(
                "nquads",
                "N-Quads",
                ("nq", "n-quads"),
                (".nq",),
                "application/n-quads",
                True,
                "N_QUADS",
            ),
            Format("trig", "TriG", (), (".trig",), "application/trig", True, "TRIG"),
            Format(
                "jsonld",
                "JSON-LD",
                ("json-ld",),
                (".jsonld", ".json"),
                "application/ld+json",
                True,
                "JSON_LD",
            ),
            Format(
                "xml",
                "RDF/XML",
                ("rdfxml", "rdf/xml"),
                (".rdf", ".xml", ".owl"),
                "application/rdf+xml",
                False,
                "RDF_XML",
            ),
        )
    }
)

_BY_NAME: Mapping[str, Format] = {n: f for f in FORMATS.values() for n in f.names}
_BY_EXTENSION: Mapping[str, Format] = {e: f for f in FORMATS.values() for e in f.extensions}


def format_names() -> list[str]:
    """Every accepted format name: canonical names and aliases, in table order."""
    return list(_BY_NAME)


def resolve_format(name: str | Format) -> Format:
    """Return the :class:`Format` for a canonical name or alias (case-insensitive).

    >>> resolve_format("ttl").name
    'turtle'

    :raises FormatError: unknown name; the message lists the choices.
    """
    if isinstance(name, Format):
        return name
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        raise FormatError(
            f"unknown format {name!r}; choose one of: {', '.join(format_names())}"
        ) from None


def format_from_path(path: str | os.PathLike[str]) -> Format:
    """Return the :class:`Format` matching the extension of *path*.

    >>> format_from_path("data/x.trig").name
    'trig'

    :raises FormatError: unknown or missing extension; the message lists the choices.
    """
    suffix = PurePath(os.fspath(path)).suffix.lower()
    try:
        return _BY_EXTENSION[suffix]
    except KeyError:
        known = ", ".join(_BY_EXTENSION)
        what = f"extension {suffix!r}" if suffix else "no extension"
        raise FormatError(
            f"cannot tell the RDF format of {os.fspath(path)!r} ({what}); known: {known}"
        ) from None
