"""JSON-LD output: a fast compactor for our context, and pyld as the reference.

The JSON-LD export is defined by the reference implementation,
:func:`compact_reference`: pyld's ``fromRdf`` (``useNativeTypes`` and ``useRdfType``
off) of the canonical, sorted quads; every array of the expanded document sorted by
its JSON text (except ``@list``); pyld's compaction with the project context
(``graph: true``); ``json.dumps(indent=2, sort_keys=True, ensure_ascii=False)``.

:func:`compact_fast` produces the same bytes without pyld, for the subset of JSON-LD
1.1 compaction that our context uses, and is what :func:`to_jsonld` runs first. It
follows pyld step by step (term selection through the inverse context, compact IRIs,
value compaction, language maps, keyword aliases, named graphs as ``{"id": G,
"@graph": [...]}`` nodes). It declines -- and :func:`to_jsonld` falls back to the
reference -- whenever it is not certain to give the same bytes:

* the context uses anything beyond: ``@version`` 1.1; prefix terms (a string ending
  in ``:/?#[]@``); simple terms; terms with ``@id`` plus either ``@type`` (``@id`` or a
  datatype IRI) or ``@container: @language``; aliases of ``@id`` and ``@type``;
* the data has a literal typed ``rdf:JSON``, ``rdf:nil`` as an object (pyld turns RDF
  lists into ``@list``), an RDF 1.2 term (triple term, directional literal), or an
  IRI that starts with ``prefix:`` for one of the context's prefixes (pyld refuses
  to write it: "IRI confused with prefix").

Tests prove byte equality with the reference on the shipped data, the fixtures and
generated datasets. Nothing is computed at import time; the context's inverse is
built on first use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cmp_to_key
from json.encoder import encode_basestring as enc
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import SscKgError

if TYPE_CHECKING:
    import pyoxigraph as ox

__all__ = ["compact_fast", "compact_reference", "to_jsonld"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_TYPE = _RDF + "type"
_RDF_NIL = _RDF + "nil"
_RDF_JSON = _RDF + "JSON"
_RDF_LANG_STRING = _RDF + "langString"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_GEN_DELIMS = tuple(":/?#[]@")
_KEYWORD_ALIASES = ("@id", "@type")


class Unsupported(Exception):
    """The fast compactor is not sure to match the reference for this input."""


# --------------------------------------------------------------------------- the reference


def _refuse_remote_document(url: str, options: Any = None) -> Any:
    from pyld import jsonld

    raise jsonld.JsonLdError(
        f"refusing to load remote JSON-LD document {url} (no network access)",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


def _describe(error: Any) -> str:
    """A pyld error in a few words (its ``str`` dumps the whole active context)."""
    message = str(error.args[0]) if error.args else error.type
    details = error.details if isinstance(error.details, dict) else {}
    if error.code == "IRI confused with prefix" and "iri" in details:
        return (
            f"IRI confused with prefix: <{details['iri']}> would read back as a compact IRI "
            f"(prefix {details.get('term', '')}: of the context); write it in another format"
        )
    if error.code == "invalid JSON literal" and "value" in details:
        return f"ill-formed rdf:JSON literal {str(details['value'])[:80]!r}"
    cause = getattr(error, "cause", None) or error.__cause__
    text = f"{message.rstrip('.')} ({error.code or error.type})"
    if isinstance(cause, jsonld_error_type()):
        text += f": {_describe(cause)}"
    return text[:300]


def jsonld_error_type() -> type[Exception]:
    from pyld import jsonld

    return jsonld.JsonLdError  # type: ignore[no-any-return]


def _json_sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _sort_jsonld(value: Any, *, keep_order: bool = False) -> Any:
    """Sort every array of expanded JSON-LD except ``@list`` arrays (order matters there)."""
    if isinstance(value, list):
        items = [_sort_jsonld(item) for item in value]
        return items if keep_order else sorted(items, key=_json_sort_key)
    if isinstance(value, dict):
        return {key: _sort_jsonld(item, keep_order=key == "@list") for key, item in value.items()}
    return value


def _pyld_term(term: Any) -> dict[str, str]:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": "_:" + term.value}
    if isinstance(term, ox.Literal):
        if term.direction is not None:
            raise SscKgError("JSON-LD conversion failed: directional literals are not supported")
        result = {"type": "literal", "value": term.value, "datatype": term.datatype.value}
        if term.language:
            result["language"] = term.language
        return result
    raise SscKgError(f"JSON-LD conversion failed: unsupported RDF term {term}")


def _pyld_dataset(quads: Iterable[ox.Quad]) -> dict[str, list[dict[str, Any]]]:
    """The quads as a pyld RDF dataset (what pyld's N-Quads parser would return)."""
    import pyoxigraph as ox

    dataset: dict[str, list[dict[str, Any]]] = {}
    for quad in quads:
        graph = quad.graph_name
        name = "@default" if isinstance(graph, ox.DefaultGraph) else _pyld_term(graph)["value"]
        dataset.setdefault(name, []).append(
            {
                "subject": _pyld_term(quad.subject),
                "predicate": _pyld_term(quad.predicate),
                "object": _pyld_term(quad.object),
            }
        )
    return dataset


def _prefix_namespaces() -> list[tuple[str, str]]:
    """(term, IRI) of the project context's prefix terms (simple terms ending in ``:/?#[]@``)."""
    from .resources import jsonld_context

    return [
        (term, value)
        for term, value in jsonld_context().items()
        if isinstance(value, str) and not term.startswith("@") and value.endswith(_GEN_DELIMS)
    ]


def _refuse_misread_iris(quads: Iterable[ox.Quad]) -> None:
    """Refuse an IRI that pyld would compact to ``prefix://...``: a JSON-LD reader takes
    that for an absolute IRI (a suffix starting with ``//`` is not a compact IRI), so
    ``http://schema.org///x`` would come back as ``schema://x``."""
    import pyoxigraph as ox

    starts = tuple(namespace + "//" for _, namespace in _prefix_namespaces())
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.Literal):
                term = term.datatype
            if isinstance(term, ox.NamedNode) and term.value.startswith(starts):
                namespace = next(n for n in starts if term.value.startswith(n))[:-2]
                prefix = next(t for t, n in _prefix_namespaces() if n == namespace)
                raise SscKgError(
                    f"JSON-LD conversion failed: the IRI <{term.value}> would be written as "
                    f"{prefix}:{term.value[len(namespace) :]}, which reads back as another "
                    "IRI; write it in another format"
                )


def compact_reference(quads: Sequence[ox.Quad]) -> bytes:
    """The JSON-LD document of *quads* (canonical and sorted), compacted by pyld.

    An IRI that pyld would write as a compact IRI read back as another IRI
    (``http://schema.org///x`` as ``schema://x``) is refused, not written.
    """
    from pyld import jsonld

    from .resources import jsonld_context

    _refuse_misread_iris(quads)
    try:
        expanded = jsonld.from_rdf(
            _pyld_dataset(quads),
            {
                "useNativeTypes": False,
                "useRdfType": False,
                "documentLoader": _refuse_remote_document,
            },
        )
        compacted = jsonld.compact(
            _sort_jsonld(expanded),
            jsonld_context(),
            {"documentLoader": _refuse_remote_document, "graph": True},
        )
    except jsonld.JsonLdError as error:
        raise SscKgError(f"JSON-LD conversion failed: {_describe(error)}") from None
    text = json.dumps(compacted, ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode("utf-8")


# --------------------------------------------------------------------------- the context


@dataclass
class _Context:
    """What compaction needs from the context: pyld's inverse context, specialised."""

    prefixes: list[tuple[str, str]] = field(default_factory=list)
    """(term, IRI) of the terms usable as compact IRI prefixes."""
    confusable: frozenset[str] = frozenset()
    """Prefix names: an IRI ``name:...`` would be read back as a compact IRI."""
    plain: dict[str, str] = field(default_factory=dict)
    """IRI -> term without type or container (also prefixes), shortest first."""
    ids: dict[str, str] = field(default_factory=dict)
    """IRI -> term with ``@type: @id``."""
    languages: dict[str, str] = field(default_factory=dict)
    """IRI -> term with ``@container: @language``."""
    typed: dict[tuple[str, str], str] = field(default_factory=dict)
    """(IRI, datatype IRI) -> term with that ``@type``."""
    term_type: dict[str, str] = field(default_factory=dict)
    """term -> its ``@type`` (``@id`` or a datatype IRI)."""
    language_terms: frozenset[str] = frozenset()
    aliases: dict[str, str] = field(default_factory=dict)
    """``@id`` / ``@type`` -> their alias (or themselves)."""


def _expand(value: str, context: dict[str, Any]) -> str:
    """Expand a term definition's IRI as pyld does (prefixes of the same context)."""
    if not isinstance(value, str) or value.startswith("@"):
        raise Unsupported(f"term value {value!r}")
    if ":" not in value:
        raise Unsupported(f"relative IRI {value!r} in the context")
    prefix, suffix = value.split(":", 1)
    if prefix == "_" or suffix.startswith("//"):
        return value
    definition = context.get(prefix)
    if definition is None:
        return value
    if not isinstance(definition, str) or ":" in prefix:
        raise Unsupported(f"prefix {prefix!r}")
    return _expand(definition, context) + suffix


def _build_context(context: dict[str, Any]) -> _Context:
    result = _Context()
    definitions: list[tuple[str, str, str | None, str | None, bool]] = []
    for term, value in context.items():
        if term.startswith("@"):
            if term == "@version" and value == 1.1:
                continue
            raise Unsupported(f"context keyword {term}")
        if ":" in term or "/" in term or not term:
            raise Unsupported(f"term {term!r}")
        if isinstance(value, str):
            if value in _KEYWORD_ALIASES:
                definitions.append((term, value, None, None, False))
                continue
            iri = _expand(value, context)
            prefix = iri.endswith(_GEN_DELIMS)
            definitions.append((term, iri, None, None, prefix))
        elif isinstance(value, dict):
            if not set(value) <= {"@id", "@type", "@container"} or "@id" not in value:
                raise Unsupported(f"term definition {term!r}")
            iri = _expand(value["@id"], context)
            type_ = value.get("@type")
            container = value.get("@container")
            if type_ is not None and container is not None:
                raise Unsupported(f"term definition {term!r}")
            if container is not None and container != "@language":
                raise Unsupported(f"container of {term!r}")
            if type_ is not None and type_ != "@id":
                type_ = _expand(type_, context)
            definitions.append((term, iri, type_, container, False))
        else:
            raise Unsupported(f"term definition {term!r}")
    confusable = set()
    for term, iri, type_, container, prefix in sorted(definitions, key=lambda d: (len(d[0]), d[0])):
        if iri in _KEYWORD_ALIASES:
            result.aliases.setdefault(iri, term)
            continue
        if prefix:
            result.prefixes.append((term, iri))
            confusable.add(term)
        if type_ == "@id":
            result.ids.setdefault(iri, term)
        elif type_ is not None:
            result.typed.setdefault((iri, type_), term)
        elif container is not None:
            result.languages.setdefault(iri, term)
        else:
            result.plain.setdefault(iri, term)
        if type_ is not None:
            result.term_type[term] = type_
    for keyword in _KEYWORD_ALIASES:
        result.aliases.setdefault(keyword, keyword)
    result.confusable = frozenset(confusable)
    result.language_terms = frozenset(result.languages.values())
    return result


@cache
def _project_context() -> _Context | None:
    from .resources import jsonld_context

    try:
        return _build_context(jsonld_context())
    except Unsupported:
        return None


# --------------------------------------------------------------------------- compaction


class _Compactor:
    """IRI and term compaction (pyld's ``_compact_iri``), memoized per IRI."""

    def __init__(self, context: _Context) -> None:
        import re

        self.context = context
        self._ids: dict[str, str] = {}
        self._vocab: dict[str, str] = {}
        self._keys: dict[tuple[str, int, str | None], str] = {}
        namespaces = [iri for _, iri in context.prefixes]
        self._nested = any(a != b and b.startswith(a) for a in namespaces for b in namespaces)
        by_namespace = {iri: term for term, iri in reversed(context.prefixes)}
        self._by_namespace = by_namespace
        # Longest namespace first: with no namespace inside another, at most one matches.
        pattern = "|".join(re.escape(ns) for ns in sorted(by_namespace, key=len, reverse=True))
        self._namespace = re.compile(pattern) if pattern else None

    def _curie_or_iri(self, iri: str) -> str:
        """A compact IRI if a prefix fits, else the IRI (pyld refuses a confusable one)."""
        curie: str | None = None
        if self._namespace is not None and not self._nested:
            match = self._namespace.match(iri)
            if match is not None and match.end() < len(iri):
                namespace = match.group()
                curie = self._by_namespace[namespace] + ":" + iri[len(namespace) :]
        elif self._namespace is not None:
            for term, namespace in self.context.prefixes:
                if iri != namespace and iri.startswith(namespace):
                    candidate = term + ":" + iri[len(namespace) :]
                    if curie is None or (len(candidate), candidate) < (len(curie), curie):
                        curie = candidate
        if curie is not None:
            if curie.partition(":")[2].startswith("//"):
                # "schema://x" reads back as an IRI, not a compact IRI: the reference refuses
                raise Unsupported(f"IRI {iri} would be written as {curie}")
            return curie
        scheme, colon, _ = iri.partition(":")
        if colon and scheme in self.context.confusable:
            raise Unsupported(f"IRI {iri} would be read back as a compact IRI")
        return iri

    def compact_id(self, iri: str) -> str:
        """An ``@id`` value (pyld: ``vocab=False``)."""
        result = self._ids.get(iri)
        if result is None:
            result = self._ids[iri] = self._curie_or_iri(iri)
        return result

    def compact_vocab(self, iri: str) -> str:
        """A ``@type`` value or a datatype (pyld: ``vocab=True``, no value)."""
        result = self._vocab.get(iri)
        if result is None:
            context = self.context
            result = context.ids.get(iri) or context.plain.get(iri) or self._curie_or_iri(iri)
            self._vocab[iri] = result
        return result

    def key(self, iri: str, kind: int, extra: str | None) -> str:
        """The key of a value of property *iri* (pyld's term selection, then a compact IRI)."""
        cache_key = (iri, kind, extra if kind == _TYPED else None)
        result = self._keys.get(cache_key)
        if result is None:
            context = self.context
            if kind == _ID:
                term = context.ids.get(iri) or context.plain.get(iri)
            elif kind == _LANG:
                term = context.languages.get(iri) or context.plain.get(iri)
            elif kind == _PLAIN:
                term = context.plain.get(iri) or context.languages.get(iri)
            else:
                assert extra is not None
                term = context.typed.get((iri, extra)) or context.plain.get(iri)
            result = self._keys[cache_key] = term or self._curie_or_iri(iri)
        return result


# The kinds of values (of the expanded form).
_ID, _LANG, _PLAIN, _TYPED = 0, 1, 2, 3

_Value: TypeAlias = tuple[int, str, str | None]
"""(kind, value, language or datatype)."""


class _Node:
    __slots__ = ("id", "properties", "types")

    def __init__(self, node_id: str) -> None:
        self.id = node_id
        self.types: list[str] = []
        self.properties: dict[str, list[_Value]] = {}


def _value_json(value: _Value) -> str:
    """``json.dumps(expanded value, sort_keys=True, ensure_ascii=False)``."""
    kind, text, extra = value
    if kind == _ID:
        return '{"@id": ' + enc(text) + "}"
    if kind == _PLAIN:
        return '{"@value": ' + enc(text) + "}"
    assert extra is not None
    if kind == _LANG:
        return '{"@language": ' + enc(extra) + ', "@value": ' + enc(text) + "}"
    return '{"@type": ' + enc(extra) + ', "@value": ' + enc(text) + "}"


def _node_json(node: _Node) -> str:
    """``json.dumps(expanded node, sort_keys=True, ensure_ascii=False)``, arrays sorted."""
    parts = ['{"@id": ' + enc(node.id)]
    if node.types:
        parts.append('"@type": [' + ", ".join(sorted(map(enc, node.types))) + "]")
    for iri in sorted(node.properties):
        values = sorted(map(_value_json, node.properties[iri]))
        parts.append(enc(iri) + ": [" + ", ".join(values) + "]")
    return ", ".join(parts) + "}"


def _build_nodes(quads: Iterable[ox.Quad]) -> tuple[dict[str, _Node], dict[str, dict[str, _Node]]]:
    """pyld's ``fromRdf`` (``useRdfType`` off), for the subset the fast path handles."""
    import pyoxigraph as ox

    default: dict[str, _Node] = {}
    graphs: dict[str, dict[str, _Node]] = {}
    default_graph, blank, named, literal = ox.DefaultGraph, ox.BlankNode, ox.NamedNode, ox.Literal
    previous_subject: Any = None
    previous_graph: Any = None
    node: _Node | None = None
    for quad in quads:
        subject = quad.subject
        graph = quad.graph_name
        if node is None or subject != previous_subject or graph != previous_graph:
            previous_subject, previous_graph = subject, graph
            sid = "_:" + subject.value if type(subject) is blank else subject.value  # type: ignore[union-attr]
            if type(graph) is default_graph:
                nodes = default
            else:
                gid = "_:" + graph.value if type(graph) is blank else graph.value  # type: ignore[union-attr]
                got = graphs.get(gid)
                if got is None:
                    got = graphs[gid] = {}
                    if gid not in default:
                        default[gid] = _Node(gid)
                nodes = got
            node = nodes.get(sid)
            if node is None:
                node = nodes[sid] = _Node(sid)
        predicate = quad.predicate.value
        obj = quad.object
        kind = type(obj)
        value: _Value
        if kind is named:
            text = obj.value  # type: ignore[union-attr]
            if predicate == _RDF_TYPE:
                node.types.append(text)
                continue
            if text == _RDF_NIL:
                raise Unsupported("rdf:nil (an RDF list)")
            value = (_ID, text, None)
        elif kind is literal:
            if obj.direction is not None:  # type: ignore[union-attr]
                raise Unsupported("directional literal")
            language = obj.language  # type: ignore[union-attr]
            if language:
                value = (_LANG, obj.value, language)  # type: ignore[union-attr]
            else:
                datatype = obj.datatype.value  # type: ignore[union-attr]
                if datatype == _XSD_STRING:
                    value = (_PLAIN, obj.value, None)  # type: ignore[union-attr]
                elif datatype == _RDF_JSON:
                    raise Unsupported("rdf:JSON literal")
                else:
                    value = (_TYPED, obj.value, datatype)  # type: ignore[union-attr]
        elif kind is blank:
            text = "_:" + obj.value  # type: ignore[union-attr]
            if predicate == _RDF_TYPE:
                node.types.append(text)
                continue
            value = (_ID, text, None)
        else:
            raise Unsupported(f"RDF term {obj!r}")
        values = node.properties.get(predicate)
        if values is None:
            node.properties[predicate] = [value]
        else:
            values.append(value)
    return default, graphs


def _list(texts: list[str], base: str) -> str:
    """A JSON array whose items (rendered one level deeper) start after ``base``'s line."""
    inner = base + "  "
    return "[" + inner + ("," + inner).join(texts) + base + "]"


def _object(pairs: list[tuple[str, str]], base: str) -> str:
    """A JSON object of (already encoded key, rendered value) pairs, keys in order."""
    inner = base + "  "
    return "{" + inner + ("," + inner).join(k + ": " + v for k, v in pairs) + base + "}"


class _Writer:
    """Renders compacted nodes as ``json.dumps(indent=2, sort_keys=True)`` would."""

    def __init__(self, compactor: _Compactor) -> None:
        self.compactor = compactor
        context = compactor.context
        self.enc: Callable[[str], str] = enc
        self.id_alias = context.aliases["@id"]
        self.type_alias = context.aliases["@type"]
        self.term_type = context.term_type
        self.language_terms = context.language_terms

    def item(self, key: str, value: _Value, base: str) -> str:
        enc = self.enc
        kind, text, extra = value
        compactor = self.compactor
        if kind == _PLAIN:
            return enc(text)
        if kind == _ID:
            compacted = enc(compactor.compact_id(text))
            if self.term_type.get(key) == "@id":
                return compacted
            return _object([(enc(self.id_alias), compacted)], base)
        assert extra is not None
        if kind == _LANG:
            return _object([('"@language"', enc(extra)), ('"@value"', enc(text))], base)
        if self.term_type.get(key) == extra:
            return enc(text)
        pairs = [
            (self.type_alias, enc(compactor.compact_vocab(extra))),
            ("@value", enc(text)),
        ]
        pairs.sort()
        return _object([(enc(k), v) for k, v in pairs], base)

    def node(self, node: _Node, base: str, graph: list[str] | None = None) -> str:
        """The compacted node at ``base``; *graph*: its ``@graph`` items, rendered."""
        enc = self.enc
        compactor = self.compactor
        inner = base + "  "
        pairs = [(self.id_alias, enc(compactor.compact_id(node.id)))]
        types = node.types
        if len(types) == 1:
            pairs.append((self.type_alias, enc(compactor.compact_vocab(types[0]))))
        elif types:
            ordered = sorted(types, key=enc)
            rendered = [enc(compactor.compact_vocab(t)) for t in ordered]
            pairs.append((self.type_alias, _list(rendered, inner)))
        keyed: dict[str, list[_Value]] = {}
        key_of = compactor.key
        for iri, values in node.properties.items():
            if len(values) > 1:
                values.sort(key=_value_json)
            for value in values:
                key = key_of(iri, value[0], value[2])
                items = keyed.get(key)
                if items is None:
                    keyed[key] = [value]
                else:
                    items.append(value)
        for key, items in keyed.items():
            if key in self.language_terms:
                by_language: dict[str, list[str]] = {}
                for kind, text, extra in items:
                    language = extra if kind == _LANG and extra else "@none"
                    by_language.setdefault(language, []).append(enc(text))
                entries = [
                    (enc(lang), texts[0] if len(texts) == 1 else _list(texts, inner + "  "))
                    for lang, texts in sorted(by_language.items())
                ]
                pairs.append((key, _object(entries, inner)))
            elif len(items) == 1:
                pairs.append((key, self.item(key, items[0], inner)))
            else:
                deeper = inner + "  "
                pairs.append((key, _list([self.item(key, v, deeper) for v in items], inner)))
        if graph is not None:
            pairs.append(("@graph", _list(graph, inner)))
        pairs.sort()
        return _object([(enc(k), v) for k, v in pairs], base)


def compact_fast(quads: Sequence[ox.Quad]) -> bytes:
    """The same bytes as :func:`compact_reference`, without pyld.

    :raises Unsupported: the input or the context is outside what this compactor is
        certain to handle identically (see the module documentation).
    """
    from .resources import jsonld_context

    context = _project_context()
    if context is None:
        raise Unsupported("the context uses JSON-LD features the fast compactor does not")
    writer = _Writer(_Compactor(context))
    default, graphs = _build_nodes(quads)

    # Arrays of the expanded form are sorted by their items' JSON text. A node's text
    # starts with its @id (a named graph's node: with its @graph array), and the JSON
    # text of one id is never a proper prefix of another's, so nodes sort by enc(id).
    # The named graphs' nodes come first (their text starts '{"@graph"'), ordered by
    # their @graph array: by the first node's id, unless two graphs start with the same
    # node -- then by the whole array's text; equal arrays, by the graph's own id.
    def by_id(node: _Node) -> str:
        return enc(node.id)

    inner_nodes = {name: sorted(nodes.values(), key=by_id) for name, nodes in graphs.items()}
    by_first: dict[str, list[str]] = {}
    for name, nodes in inner_nodes.items():
        by_first.setdefault(by_id(nodes[0]), []).append(name)
    texts: dict[int, str] = {}

    def node_text(node: _Node) -> str:
        text = texts.get(id(node))
        if text is None:
            text = texts[id(node)] = _node_json(node)
        return text

    def compare(a: str, b: str) -> int:
        # The @graph arrays' JSON texts, compared node by node (no node's text is a
        # prefix of another's); an array that is a prefix of the other sorts after it
        # (']' > ','); equal arrays: by the graph's own id.
        nodes_a, nodes_b = inner_nodes[a], inner_nodes[b]
        for node_a, node_b in zip(nodes_a, nodes_b, strict=False):
            if node_a is not node_b:
                text_a, text_b = node_text(node_a), node_text(node_b)
                if text_a != text_b:
                    return -1 if text_a < text_b else 1
        if len(nodes_a) != len(nodes_b):
            return -1 if len(nodes_a) > len(nodes_b) else 1
        return -1 if enc(a) < enc(b) else (1 if enc(a) > enc(b) else 0)

    order: list[str] = []
    for first in sorted(by_first):
        names = by_first[first]
        if len(names) > 1:
            names.sort(key=cmp_to_key(compare))
        order.extend(names)
    top_base = "\n    "
    graph_base = top_base + "    "
    top = [
        writer.node(
            default[name], top_base, [writer.node(n, graph_base) for n in inner_nodes[name]]
        )
        for name in order
    ]
    top.extend(
        writer.node(node, top_base)
        for node in sorted((n for i, n in default.items() if i not in graphs), key=by_id)
    )
    context_text = json.dumps(jsonld_context(), ensure_ascii=False, indent=2, sort_keys=True)
    graph_text = _list(top, "\n  ") if top else "[]"
    text = (
        '{\n  "@context": '
        + context_text.replace("\n", "\n  ")
        + ',\n  "@graph": '
        + graph_text
        + "\n}\n"
    )
    return text.encode("utf-8")


def to_jsonld(quads: Sequence[ox.Quad]) -> bytes:
    """The JSON-LD export of *quads* (canonical and sorted): fast path, else the reference."""
    try:
        return compact_fast(quads)
    except Unsupported:
        return compact_reference(quads)
