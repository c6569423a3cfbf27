"""The FORMATS table and name/extension resolution."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from ssc_kg.cli import RDF_FORMAT_CHOICE
from ssc_kg.errors import FormatError
from ssc_kg.formats import FORMATS, Format, format_from_path, format_names, resolve_format
from ssc_kg.namespaces import PREFIXES, compact_iri
from ssc_kg.resources import jsonld_context

EXPECTED_NAMES = {
    "turtle": {"turtle", "ttl"},
    "nt": {"nt", "ntriples", "n-triples"},
    "nquads": {"nquads", "nq", "n-quads"},
    "trig": {"trig"},
    "jsonld": {"jsonld", "json-ld"},
    "xml": {"xml", "rdfxml", "rdf/xml"},
}

EXPECTED_EXTENSIONS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
}


def test_names_and_aliases() -> None:
    assert {name: set(f.names) for name, f in FORMATS.items()} == EXPECTED_NAMES


@pytest.mark.parametrize(("alias", "name"), [(a, n) for n, s in EXPECTED_NAMES.items() for a in s])
def test_resolve_every_alias(alias: str, name: str) -> None:
    assert resolve_format(alias).name == name
    assert resolve_format(alias.upper()).name == name


def test_resolve_accepts_format_objects() -> None:
    fmt = FORMATS["trig"]
    assert resolve_format(fmt) is fmt


@pytest.mark.parametrize("bad", ["", "n3", "json", "csv", "turtle2"])
def test_unknown_format_lists_choices(bad: str) -> None:
    with pytest.raises(FormatError) as excinfo:
        resolve_format(bad)
    message = str(excinfo.value)
    assert "\n" not in message
    for name in format_names():
        assert name in message


@pytest.mark.parametrize(("extension", "name"), sorted(EXPECTED_EXTENSIONS.items()))
def test_format_from_path(extension: str, name: str) -> None:
    assert format_from_path(f"dir.d/file{extension}").name == name
    assert format_from_path(f"FILE{extension.upper()}").name == name


@pytest.mark.parametrize("path", ["file.txt", "file", "archive.ttl.gz", ".ttl/x"])
def test_format_from_path_unknown(path: str) -> None:
    with pytest.raises(FormatError, match=r"known: \.ttl"):
        format_from_path(path)


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_format_matches_pyoxigraph(fmt: Format) -> None:
    rdf_format = fmt.rdf_format
    assert isinstance(rdf_format, ox.RdfFormat)
    assert rdf_format.supports_datasets == fmt.quads
    assert rdf_format.media_type == fmt.media_type
    assert ox.RdfFormat.from_extension(fmt.extensions[0].lstrip(".")) == rdf_format


def test_format_is_frozen() -> None:
    with pytest.raises(AttributeError):
        FORMATS["trig"].name = "x"  # type: ignore[misc]


def test_cli_choices_come_from_formats() -> None:
    assert list(RDF_FORMAT_CHOICE.choices) == format_names()
    assert set(format_names()) == set().union(*EXPECTED_NAMES.values())


def test_context_declares_exactly_our_prefixes() -> None:
    context = jsonld_context()
    declared = {
        key: value
        for key, value in context.items()
        if isinstance(value, str) and value.endswith(("#", "/")) and not key.startswith("@")
    }
    assert declared == dict(PREFIXES)


def test_context_file_is_valid_json_and_has_no_remote_references() -> None:
    context = jsonld_context()
    text = json.dumps(context)
    assert "@import" not in text
    assert not any(
        isinstance(v, str) and v.startswith("http") and k == "@context" for k, v in context.items()
    )


def test_compact_iri() -> None:
    assert compact_iri("https://w3id.org/ssc-kg/def#Claim") == "ssc:Claim"
    assert compact_iri("https://w3id.org/ssc-kg/graph/claim/a/1") == "sscg:claim/a/1"
    assert compact_iri("https://w3id.org/ssc-kg/def#") == "<https://w3id.org/ssc-kg/def#>"
    assert compact_iri("urn:x") == "<urn:x>"


@pytest.mark.parametrize("module", ["ssc_kg.formats", "ssc_kg.namespaces", "ssc_kg"])
def test_docstring_examples(module: str) -> None:
    """The examples in the docstrings run (``ssc_kg``'s uses the shipped dataset)."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), raise_on_error=False, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0
