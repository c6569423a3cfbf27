"""Namespace prefixes of the project (see docs/CONTRACT.md).

:data:`PREFIXES` is the single Python source of these prefixes. It is used for
Turtle/TriG/RDF-XML output, as default prefixes of SPARQL queries and for showing
IRIs in reports. ``ssc_kg/context.jsonld`` declares the same prefixes (a test
keeps the two in sync) plus readable JSON-LD term aliases.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["PREFIXES", "SSC", "SSCG", "SSCID", "compact_iri"]

SSC = "https://w3id.org/ssc-kg/def#"
SSCID = "https://w3id.org/ssc-kg/id/"
SSCG = "https://w3id.org/ssc-kg/graph/"

PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "ssc": SSC,
        "sscid": SSCID,
        "sscg": SSCG,
        "org": "http://www.w3.org/ns/org#",
        "schema": "http://schema.org/",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "prov": "http://www.w3.org/ns/prov#",
        "dct": "http://purl.org/dc/terms/",
        "undo": "https://w3id.org/un/ontology/undo/",
        "sdg": "http://metadata.un.org/sdg/",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "owl": "http://www.w3.org/2002/07/owl#",
        "sh": "http://www.w3.org/ns/shacl#",
    }
)

# Longest namespace first, so that the most specific prefix wins.
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: (-len(item[1]), item[0]))


def compact_iri(iri: str) -> str:
    """Return ``prefix:local`` for a known namespace, else ``<iri>`` (for people, not parsers).

    >>> compact_iri("https://w3id.org/ssc-kg/def#Claim")
    'ssc:Claim'
    >>> compact_iri("http://example.org/x")
    '<http://example.org/x>'
    """
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"
