"""A fast SHACL engine for the SHACL Core subset the shipped shapes use.

pyshacl walks the data graph node by node in Python; on a million triples that takes
minutes. This engine compiles each shape into a handful of SPARQL queries and runs them
on an in-memory Oxigraph store, so the data never becomes Python objects in bulk: only
the violations (and a few small candidate sets) come back to Python.

It is a *fast path*, not a second opinion: its results must be exactly pyshacl's
(``inference="none"``, ``advanced=True``, ``allow_warnings=True``) for every data graph,
including pyshacl's quirks, and the tests compare the two engines' result sets on the
shipped data, on every shape fixture, on synthetic data with injected violations and on
randomly mutated graphs. Whatever it does not implement exactly it refuses:
:func:`compile_shapes` raises :class:`Unsupported` for a shapes graph that uses anything
outside the subset, and :func:`run` raises it for data it cannot represent faithfully;
:func:`ssc_kg.validate` then falls back to pyshacl (``engine="auto"``).

The supported subset (see ``docs/validation.md``):

* targets: ``sh:targetClass`` (with the ``rdfs:subClassOf`` closure of the data),
  ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, ``sh:targetNode``, implicit class
  targets;
* paths: IRIs, ``sh:inversePath``, sequences, ``sh:alternativePath``,
  ``sh:zeroOrMorePath``, ``sh:oneOrMorePath``, ``sh:zeroOrOnePath`` (with pyshacl's
  reading of an inverse sequence);
* constraints: ``sh:class``, ``sh:datatype`` (ill-formed literals included, decided by
  rdflib exactly as pyshacl does), ``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``,
  ``sh:minLength``, ``sh:maxLength``, ``sh:pattern`` (+ ``sh:flags``), ``sh:languageIn``,
  ``sh:uniqueLang``, ``sh:minInclusive`` / ``sh:maxInclusive`` / ``sh:minExclusive`` /
  ``sh:maxExclusive``, ``sh:hasValue``, ``sh:or``, ``sh:property``,
  ``sh:qualifiedValueShape`` with ``sh:qualifiedMinCount`` / ``sh:qualifiedMaxCount``;
* ``sh:severity``, ``sh:message``, ``sh:deactivated`` (and the non-validating
  ``sh:name``, ``sh:description``, ``sh:order``, ``sh:group``, ``sh:defaultValue``).

How literals are kept exact: an Oxigraph store canonicalizes typed literals
(``"01"^^xsd:integer`` is stored as ``"1"``), while rdflib, and so pyshacl, keeps the
lexical form. Every typed literal (other than ``xsd:string`` and ``rdf:langString``) is
therefore stored with a private datatype IRI, ``urn:x-ssc-kg:lexical:`` + its datatype,
which the store does not interpret; the queries use the same encoding. What depends on a
literal's *value* (well-formedness, ``sh:datatype``, range comparisons) is decided in
Python by rdflib and pyshacl's own comparison function, once per distinct literal, and
handed to the queries as a set stored in a private named graph.
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import pyoxigraph as ox
    from rdflib import Graph
    from rdflib.term import Node

__all__ = ["FastData", "Plan", "RawResult", "Unsupported", "compile_shapes", "run"]

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = RDF + "type"
RDFS_SUBCLASS_OF = RDFS + "subClassOf"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = RDF + "langString"
RDF_DIR_LANG_STRING = RDF + "dirLangString"

LEXICAL = "urn:x-ssc-kg:lexical:"
"""Prefix of the private datatype under which typed literals are stored."""
_SET = "urn:x-ssc-kg:set:"
_MEMBER = "<urn:x-ssc-kg:member>"

# sh: predicates the fast engine understands; any other one in the shapes graph (sh:sparql,
# sh:node, sh:not, sh:closed, sh:rule, sh:target, ...) makes it step aside.
_ALLOWED_SH = frozenset(
    SH + name
    for name in (
        "targetClass targetNode targetSubjectsOf targetObjectsOf property path inversePath "
        "alternativePath zeroOrMorePath oneOrMorePath zeroOrOnePath class datatype nodeKind "
        "minCount maxCount minLength maxLength pattern flags languageIn uniqueLang "
        "minInclusive maxInclusive minExclusive maxExclusive hasValue or qualifiedValueShape "
        "qualifiedMinCount qualifiedMaxCount qualifiedValueShapesDisjoint message severity "
        "deactivated name description order group defaultValue"
    ).split()
)
_ALLOWED_SH_TYPES = frozenset({SH + "NodeShape", SH + "PropertyShape"})
_NODE_KINDS = {
    SH + "IRI": ("iri",),
    SH + "BlankNode": ("bnode",),
    SH + "Literal": ("literal",),
    SH + "BlankNodeOrIRI": ("bnode", "iri"),
    SH + "BlankNodeOrLiteral": ("bnode", "literal"),
    SH + "IRIOrLiteral": ("iri", "literal"),
}
_KIND_TEST = {"iri": "isIRI($x)", "bnode": "isBlank($x)", "literal": "isLiteral($x)"}
_RANGES: dict[str, tuple[str, str, Callable[[int], bool]]] = {
    "minExclusive": ("MinExclusiveConstraintComponent", ">", lambda c: c > 0),
    "minInclusive": ("MinInclusiveConstraintComponent", ">=", lambda c: c >= 0),
    "maxExclusive": ("MaxExclusiveConstraintComponent", "<", lambda c: c < 0),
    "maxInclusive": ("MaxInclusiveConstraintComponent", "<=", lambda c: c <= 0),
}
_MAX_EXISTS_COUNT = 4
"""Largest count a nested sh:minCount / sh:maxCount is compiled for (a k-way self-join)."""


class Unsupported(Exception):
    """The shapes or the data use something the fast engine does not implement exactly."""


# =============================================================================== shapes


@dataclass(eq=False)
class Shape:
    """One node or property shape, parsed and checked the way pyshacl loads it."""

    node: Node
    path: Node | None
    sparql_path: str
    zero_length: bool
    """The path can stay on the focus node (``*`` or ``?``)."""
    repeats: bool
    """The path has ``*``, ``+`` or ``?`` (its values from every node are many)."""
    severity: Node
    messages: tuple[Node, ...]
    deactivated: bool
    classes: list[str] = field(default_factory=list)
    class_nodes: list[Node] = field(default_factory=list)
    datatype: str | None = None
    datatype_node: Node | None = None
    node_kind: tuple[str, ...] | None = None
    node_kind_node: Node | None = None
    patterns: list[tuple[str, int]] = field(default_factory=list)
    pattern_values: list[str] = field(default_factory=list)
    min_length: tuple[int, Node] | None = None
    max_length: tuple[int, Node] | None = None
    language_in: tuple[frozenset[str], Node] | None = None
    unique_lang: bool = False
    ranges: list[tuple[str, Any]] = field(default_factory=list)
    """(parameter name, rdflib Literal bound), e.g. ("minInclusive", Literal(1))."""
    has_value: list[Node] = field(default_factory=list)
    ors: list[tuple[Node, list[Shape]]] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    qualified: list[tuple[Shape, int | None, int | None, Node]] = field(default_factory=list)
    min_count: tuple[int, Node] | None = None
    max_count: tuple[int, Node] | None = None
    target_classes: list[str] = field(default_factory=list)
    target_nodes: list[Node] = field(default_factory=list)
    target_subjects_of: list[str] = field(default_factory=list)
    target_objects_of: list[str] = field(default_factory=list)

    @property
    def is_property(self) -> bool:
        return self.path is not None

    @property
    def has_targets(self) -> bool:
        return bool(
            self.target_classes
            or self.target_nodes
            or self.target_subjects_of
            or self.target_objects_of
        )

    @property
    def relaxed(self) -> bool:
        """Nested in sh:or / sh:qualifiedValueShape, this shape always conforms: pyshacl
        (with ``allow_warnings``) ignores the failures of a warning or info shape."""
        return self.deactivated or str(self.severity) in (SH + "Warning", SH + "Info")


@dataclass
class Plan:
    """A compiled shapes graph: the shapes that have targets (each with its nested shapes)."""

    shapes_graph: Graph
    top: list[Shape]
    classes: set[str]
    """Every class whose rdfs:subClassOf closure in the data the queries need."""


def _one(values: list[Node], what: str) -> Node:
    if len(values) != 1:
        raise Unsupported(f"{what}: {len(values)} values")
    return values[0]


def _iri(node: Node, what: str) -> str:
    from rdflib import URIRef

    if not isinstance(node, URIRef):
        raise Unsupported(f"{what} is not an IRI")
    _check_iri(str(node))
    return str(node)


def _check_iri(iri: str) -> None:
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError:
        raise Unsupported(f"invalid IRI <{iri}>") from None


def _int_literal(node: Node, what: str, *, whole: bool = False) -> int:
    """An integer parameter, accepted only where pyshacl accepts it."""
    from rdflib import Literal

    if not isinstance(node, Literal) or getattr(node, "ill_typed", False):
        raise Unsupported(f"{what} is not an integer literal")
    value = node.value
    if whole:
        if node.datatype is None or str(node.datatype) != XSD + "integer":
            raise Unsupported(f"{what} is not an xsd:integer")
    elif node.datatype is None or str(node.datatype) not in _WHOLE_INTEGERS:
        raise Unsupported(f"{what} is not an integer")
    elif str(node.datatype) in (XSD + "negativeInteger", XSD + "nonPositiveInteger"):
        raise Unsupported(f"{what} is not a positive integer")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Unsupported(f"{what} is not a non-negative integer")
    return value


_WHOLE_INTEGERS = frozenset(
    XSD + name
    for name in (
        "integer nonPositiveInteger negativeInteger long int short byte nonNegativeInteger "
        "unsignedLong unsignedInt unsignedShort unsignedByte positiveInteger"
    ).split()
)


class _ShapeParser:
    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.shapes: dict[Node, Shape] = {}
        self.kinds: dict[Node, Node | None] = {}  # shape node -> its sh:path (None: node shape)

    def objects(self, node: Node, name: str) -> list[Node]:
        from rdflib import URIRef

        return list(self.g.objects(node, URIRef(SH + name)))

    def items(self, node: Node, what: str) -> list[Node]:
        from rdflib import RDF as RDFNS
        from rdflib import BNode

        found: list[Node] = []
        seen: set[Node] = set()
        while str(node) != RDF + "nil":
            if not isinstance(node, BNode) or node in seen:
                raise Unsupported(f"{what} is not a well-formed RDF list")
            seen.add(node)
            found.append(_one(list(self.g.objects(node, RDFNS.first)), f"{what} rdf:first"))
            node = _one(list(self.g.objects(node, RDFNS.rest)), f"{what} rdf:rest")
        return found

    # ------------------------------------------------------------------ harvest

    def harvest(self) -> None:
        """Which nodes are shapes, and which of them property shapes (pyshacl's rules)."""
        from rdflib import RDF as RDFNS
        from rdflib import URIRef

        g = self.g

        def subjects(name: str) -> set[Node]:
            return {s for s, _ in g.subject_objects(URIRef(SH + name))}

        def objects(name: str) -> set[Node]:
            return {o for _, o in g.subject_objects(URIRef(SH + name))}

        node_shapes = set(g.subjects(RDFNS.type, URIRef(SH + "NodeShape")))
        prop_shapes = set(g.subjects(RDFNS.type, URIRef(SH + "PropertyShape")))
        if node_shapes & prop_shapes:
            raise Unsupported("a shape is both a node shape and a property shape")
        for s in node_shapes:
            if self.objects(s, "path"):
                raise Unsupported("a sh:NodeShape has a sh:path")
            self.kinds[s] = None
        for s in prop_shapes:
            self.kinds[s] = _one(self.objects(s, "path"), "sh:path of a property shape")
        implied: set[Node] = set()
        for name in ("targetClass", "targetNode", "targetObjectsOf", "targetSubjectsOf"):
            implied |= subjects(name)
        implied |= subjects("property") | subjects("node")
        values: set[Node] = set()
        for name in ("property", "node", "not", "qualifiedValueShape"):
            values |= objects(name)
        for name in ("and", "or", "xone"):
            for lst in objects(name):
                members = self.items(lst, f"sh:{name} list")
                if not members:
                    raise Unsupported(f"empty sh:{name} list")
                values |= set(members)
        for s in [*implied, *values]:
            if s in self.kinds:
                continue
            paths = self.objects(s, "path")
            if len(paths) > 1:
                raise Unsupported("an implicit property shape has several sh:path values")
            self.kinds[s] = paths[0] if paths else None
        # implicit class targets: a shape that is also a class
        class_types = set(g.subjects(URIRef(RDFS_SUBCLASS_OF), URIRef(RDFS + "Class")))
        class_types.add(URIRef(RDFS + "Class"))
        self.implicit = {s for s in self.kinds if set(g.objects(s, RDFNS.type)) & class_types}

    # ------------------------------------------------------------------ shapes

    def shape(self, node: Node, stack: tuple[Node, ...] = ()) -> Shape:
        if node in stack:
            raise Unsupported("recursive shapes")
        if node in self.shapes:
            return self.shapes[node]
        if node not in self.kinds:
            raise Unsupported("reference to something that is not a shape")
        from rdflib import BNode, Literal, URIRef

        if isinstance(node, Literal):
            raise Unsupported("a literal used as a shape")
        stack = (*stack, node)
        path = self.kinds[node]
        sparql_path, zero, repeats = (
            ("", False, False) if path is None else self.path(path, False, 0)
        )
        severities = self.objects(node, "severity")
        if len(severities) > 1:
            raise Unsupported("several sh:severity values")
        deactivated_values = self.objects(node, "deactivated")
        deactivated = False
        if deactivated_values:
            flag = _one(deactivated_values, "sh:deactivated")
            if not isinstance(flag, Literal):
                raise Unsupported("sh:deactivated is not a literal")
            deactivated = bool(flag.value)
        shape = Shape(
            node=node,
            path=path,
            sparql_path=sparql_path,
            zero_length=zero,
            repeats=repeats,
            severity=severities[0] if severities else URIRef(SH + "Violation"),
            messages=tuple(self.objects(node, "message")),
            deactivated=deactivated,
        )
        # targets
        for c in self.objects(node, "targetClass"):
            shape.target_classes.append(_iri(c, "sh:targetClass"))
        if node in self.implicit:
            shape.target_classes.append(_iri(node, "an implicit class target"))
        for t in self.objects(node, "targetNode"):
            if isinstance(t, BNode):
                raise Unsupported("a blank node sh:targetNode")
            shape.target_nodes.append(t)
        for p in self.objects(node, "targetSubjectsOf"):
            shape.target_subjects_of.append(_iri(p, "sh:targetSubjectsOf"))
        for p in self.objects(node, "targetObjectsOf"):
            shape.target_objects_of.append(_iri(p, "sh:targetObjectsOf"))
        # constraints
        for c in self.objects(node, "class"):
            shape.classes.append(_iri(c, "sh:class"))
            shape.class_nodes.append(c)
        if values := self.objects(node, "datatype"):
            shape.datatype_node = _one(values, "sh:datatype")
            shape.datatype = _iri(shape.datatype_node, "sh:datatype")
        if values := self.objects(node, "nodeKind"):
            kind = _one(values, "sh:nodeKind")
            shape.node_kind = _NODE_KINDS.get(str(kind), ())
            shape.node_kind_node = kind
        flags = 0
        if values := self.objects(node, "flags"):
            if len(values) > 1:
                raise Unsupported("several sh:flags")
            if not isinstance(values[0], Literal):
                raise Unsupported("sh:flags is not a literal")
            text = str(values[0].value).lower()
            flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
        for p in self.objects(node, "pattern"):
            if not isinstance(p, Literal):
                raise Unsupported("sh:pattern is not a literal")
            text = str(p.value) if p.value is not None and len(p.value) > 1 else str(p)
            try:
                re.compile(text, flags)
            except re.error:
                raise Unsupported("sh:pattern is not a valid regular expression") from None
            shape.patterns.append((text, flags))
            shape.pattern_values.append(str(p.value))
        for name in ("minLength", "maxLength"):
            if values := self.objects(node, name):
                rule = _one(values, f"sh:{name}")
                setattr(shape, name.replace("L", "_l"), (_int_literal(rule, f"sh:{name}"), rule))
        if values := self.objects(node, "languageIn"):
            lst = _one(values, "sh:languageIn")
            langs = set()
            for item in self.items(lst, "sh:languageIn"):
                if not isinstance(item, Literal) or not isinstance(item.value, str):
                    raise Unsupported("a sh:languageIn item is not a string")
                langs.add(str(item.value).lower())
            shape.language_in = (frozenset(langs), lst)
        if values := self.objects(node, "uniqueLang"):
            if path is None:
                raise Unsupported("sh:uniqueLang on a node shape")
            flag = _one(values, "sh:uniqueLang")
            if not isinstance(flag, Literal) or not isinstance(flag.value, bool):
                raise Unsupported("sh:uniqueLang is not a boolean")
            shape.unique_lang = flag.value
        for name in _RANGES:
            for bound in self.objects(node, name):
                if not isinstance(bound, Literal):
                    raise Unsupported(f"sh:{name} is not a literal")
                shape.ranges.append((name, bound))
        for value in self.objects(node, "hasValue"):
            if isinstance(value, BNode):
                raise Unsupported("a blank node sh:hasValue")
            shape.has_value.append(value)
        for lst in self.objects(node, "or"):
            members = [self.shape(m, stack) for m in self.items(lst, "sh:or")]
            shape.ors.append((lst, members))
        for p in self.objects(node, "property"):
            prop = self.shape(p, stack)
            if not prop.is_property:
                raise Unsupported("sh:property points to a shape without sh:path")
            shape.properties.append(prop)
        for name in ("minCount", "maxCount"):
            if values := self.objects(node, name):
                if path is None:
                    raise Unsupported(f"sh:{name} on a node shape")
                rule = _one(values, f"sh:{name}")
                count = _int_literal(rule, f"sh:{name}", whole=True)
                setattr(shape, name.replace("C", "_c"), (count, rule))
        self._qualified(shape, stack)
        self.shapes[node] = shape
        return shape

    def _qualified(self, shape: Shape, stack: tuple[Node, ...]) -> None:
        from rdflib import Literal

        node = shape.node
        value_shapes = self.objects(node, "qualifiedValueShape")
        mins = self.objects(node, "qualifiedMinCount")
        maxs = self.objects(node, "qualifiedMaxCount")
        disjoint = self.objects(node, "qualifiedValueShapesDisjoint")
        if not (value_shapes or mins or maxs or disjoint):
            return
        if not shape.is_property:
            raise Unsupported("sh:qualifiedValueShape on a node shape")
        if not value_shapes or len(mins) > 1 or len(maxs) > 1 or not (mins or maxs):
            raise Unsupported("incomplete sh:qualifiedValueShape")
        for d in disjoint:
            if isinstance(d, Literal) and d.value is True:
                raise Unsupported("sh:qualifiedValueShapesDisjoint true")

        def count(values: list[Node], what: str) -> int | None:
            if not values:
                return None
            literal = values[0]
            value = getattr(literal, "value", None)
            if (
                not isinstance(literal, Literal)
                or isinstance(value, bool)
                or not isinstance(value, int)
            ):
                raise Unsupported(f"{what} is not an integer")
            return int(literal.value)

        low, high = count(mins, "sh:qualifiedMinCount"), count(maxs, "sh:qualifiedMaxCount")
        if len(value_shapes) > 1:
            raise Unsupported("several sh:qualifiedValueShape values")
        value_shape = value_shapes[0]
        shape.qualified.append((self.shape(value_shape, stack), low, high, value_shape))

    def path(self, node: Node, inverse: bool, depth: int) -> tuple[str, bool, bool]:
        """A SHACL path as a SPARQL property path, with pyshacl's semantics (its inverse of
        a sequence inverts each step and keeps their order); also whether the path can
        have length zero, and whether it repeats (``*``, ``+``, ``?``)."""
        from rdflib import BNode, URIRef

        if isinstance(node, URIRef):
            _check_iri(str(node))
            return (f"^<{node}>" if inverse else f"<{node}>"), False, False
        if not isinstance(node, BNode) or depth > 8:
            raise Unsupported("unsupported sh:path")
        predicates = {str(p) for p in self.g.predicates(node)}
        if RDF + "first" in predicates:
            parts = self.items(node, "a sequence path")
            if len(parts) < 2:
                raise Unsupported("a sequence path with fewer than two steps")
            steps = [self.path(p, inverse, depth + 1) for p in parts]
            text = "/".join(f"({s})" for s, _, _ in steps)
            return text, all(z for _, z, _ in steps), any(r for _, _, r in steps)
        if len(predicates) != 1 or len(list(self.g.predicate_objects(node))) != 1:
            raise Unsupported("unsupported sh:path")
        (name,) = predicates
        (inner,) = self.g.objects(node, URIRef(name))
        if name == SH + "inversePath":
            return self.path(inner, not inverse, depth + 1)
        if name == SH + "alternativePath":
            parts = self.items(inner, "an alternative path")
            if len(parts) < 2:
                raise Unsupported("an alternative path with fewer than two paths")
            steps = [self.path(p, inverse, depth + 1) for p in parts]
            text = "|".join(f"({s})" for s, _, _ in steps)
            return text, any(z for _, z, _ in steps), any(r for _, _, r in steps)
        marks = {"zeroOrMorePath": "*", "oneOrMorePath": "+", "zeroOrOnePath": "?"}
        for key, mark in marks.items():
            if name == SH + key:
                text, zero, _repeats = self.path(inner, inverse, depth + 1)
                return f"({text}){mark}", zero or mark != "+", True
        raise Unsupported("unsupported sh:path")


def compile_shapes(shapes: Graph) -> Plan:
    """Check that the fast engine implements everything *shapes* uses, and parse them.

    :raises Unsupported: naming the first feature outside the subset (or a shapes graph
        pyshacl would reject: pyshacl then reports the error in its own words).
    """
    from rdflib import RDF as RDFNS
    from rdflib import URIRef

    used = {str(p) for p in shapes.predicates()} | {
        str(t) for t in shapes.objects(None, RDFNS.type)
    }
    foreign = sorted(
        f"sh:{iri[len(SH) :]}"
        for iri in used
        if iri.startswith(SH) and iri not in _ALLOWED_SH | _ALLOWED_SH_TYPES
    )
    if foreign:
        raise Unsupported(", ".join(foreign))
    parser = _ShapeParser(shapes)
    parser.harvest()
    for node in parser.kinds:
        parser.shape(node)
    for shape in parser.shapes.values():
        for _lst, members in shape.ors:
            for m in members:
                _check_nested(m)
        for value_shape, *_rest in shape.qualified:
            _check_nested(value_shape)
    top = [s for s in parser.shapes.values() if s.has_targets and not s.deactivated]
    classes: set[str] = set()
    for s in parser.shapes.values():
        classes.update(s.target_classes)
        classes.update(s.classes)
    _ = URIRef
    return Plan(shapes_graph=shapes, top=top, classes=classes)


def _check_nested(shape: Shape, depth: int = 0) -> None:
    """What a shape used inside sh:or / sh:qualifiedValueShape may contain: its
    conformance is compiled into one SPARQL expression (see ``_Compiler.conforms``)."""
    if shape.relaxed:
        return
    if depth > 8:
        raise Unsupported("shapes nested too deep")
    if shape.is_property:
        if shape.qualified:
            raise Unsupported("a nested sh:qualifiedValueShape")
        if shape.min_count is not None and shape.min_count[0] > _MAX_EXISTS_COUNT:
            raise Unsupported(f"a nested sh:minCount above {_MAX_EXISTS_COUNT}")
        if shape.max_count is not None and shape.max_count[0] + 1 > _MAX_EXISTS_COUNT:
            raise Unsupported(f"a nested sh:maxCount above {_MAX_EXISTS_COUNT - 1}")
    for _lst, members in shape.ors:
        for m in members:
            _check_nested(m, depth + 1)
    for prop in shape.properties:
        _check_nested(prop, depth + 1)


# ================================================================================= data


def encode_literal(term: ox.Literal) -> ox.Literal:
    """The stored form of a literal (typed literals under the private datatype)."""
    import pyoxigraph as ox

    datatype = term.datatype.value
    if datatype in (XSD_STRING, RDF_LANG_STRING):
        return term
    return ox.Literal(term.value, datatype=ox.NamedNode(LEXICAL + datatype))


class FastData:
    """The dataset in a private in-memory Oxigraph store (graph names kept)."""

    def __init__(self) -> None:
        import pyoxigraph as ox

        self.store = ox.Store()
        self._bnodes: dict[str, Node] = {}
        """Stored blank node label -> the caller's rdflib blank node (rdflib input)."""
        self.graph_names: set[Any] = set()
        self.described: set[Any] = set()
        self.typed: dict[Any, ox.Literal] = {}
        """Every distinct typed literal of the data (not xsd:string, rdf:langString) ->
        its stored form."""
        self._sets = itertools.count(1)

    # ---------------------------------------------------------------- building

    @classmethod
    def from_quads(cls, quads: Iterable[ox.Quad], describing: Iterable[str] = ()) -> FastData:
        """From pyoxigraph quads (a list, an ``ox.Dataset``, a ``Store``, a parser...).

        The store holds the UNION of the graphs, in its default graph (each triple once,
        as in pyshacl's union graph). :attr:`graph_names` records the graph names and
        :attr:`described` the subjects of ``rdf:type`` *describing* triples of the
        default graph (for the dataset-level check that every graph is described)."""
        import pyoxigraph as ox

        data = cls()
        literal_type, named_type, blank_type = ox.Literal, ox.NamedNode, ox.BlankNode
        default_type, quad_type = ox.DefaultGraph, ox.Quad
        plain = (XSD_STRING, RDF_LANG_STRING)
        typed, names, described = data.typed, data.graph_names, data.described
        rdf_type = ox.NamedNode(RDF_TYPE)
        kinds = {ox.NamedNode(t) for t in describing}

        def encoded() -> Iterator[ox.Quad]:
            for quad in quads:
                s, p = quad.subject, quad.predicate
                o: Any = quad.object
                g = quad.graph_name
                if type(g) is default_type:
                    if p == rdf_type and o in kinds:
                        described.add(s)
                else:
                    names.add(g)
                kind = type(o)
                if kind is literal_type:
                    if o.datatype.value not in plain:
                        stored = typed.get(o)
                        if stored is None:
                            if o.datatype.value == RDF_DIR_LANG_STRING:
                                raise Unsupported("directional language-tagged strings")
                            stored = typed[o] = encode_literal(o)
                        o = stored
                elif kind is not named_type and kind is not blank_type:
                    raise Unsupported("RDF 1.2 triple terms")
                yield quad_type(s, p, o)

        data.store.bulk_extend(encoded())
        return data

    @classmethod
    def from_rdflib(cls, dataset: Any, describing: Iterable[str] = ()) -> FastData:
        """From an rdflib Dataset or Graph; refuses terms that would not round-trip."""
        import pyoxigraph as ox
        from rdflib import BNode, Literal, URIRef

        from .io import rdflib_quads

        data = cls()
        cache: dict[Node, Any] = {}
        bnodes = data._bnodes

        def term(node: Node) -> Any:
            found = cache.get(node)
            if found is not None:
                return found
            try:
                if isinstance(node, URIRef):
                    made: Any = ox.NamedNode(str(node))
                elif isinstance(node, BNode):
                    made = ox.BlankNode()
                    bnodes[made.value] = node
                elif isinstance(node, Literal):
                    lang = node.language
                    if lang is not None:
                        if lang != lang.lower():
                            raise Unsupported("an upper-case language tag")
                        made = ox.Literal(str(node), language=lang)
                    elif node.datatype is None:
                        made = ox.Literal(str(node))
                    elif str(node.datatype) in (XSD_STRING, RDF_LANG_STRING):
                        raise Unsupported(f"a literal typed {node.datatype}")
                    else:
                        made = encode_literal(
                            ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
                        )
                        data.typed[made] = made
                else:
                    raise Unsupported(f"RDF term {type(node).__name__}")
            except ValueError:
                raise Unsupported(f"an RDF term pyoxigraph refuses: {node!r}") from None
            cache[node] = made
            return made

        kinds = set(describing)

        def triples() -> Iterator[ox.Quad]:
            for s, p, o, g in rdflib_quads(dataset):
                if g is None:
                    if str(p) == RDF_TYPE and str(o) in kinds:
                        data.described.add(term(s))
                else:
                    data.graph_names.add(term(g))
                yield ox.Quad(term(s), term(p), term(o))

        data.store.bulk_extend(triples())
        return data

    # ---------------------------------------------------------------- terms

    def rdflib_term(self, term: Any) -> Node:
        """A stored term as the rdflib term pyshacl would report."""
        import pyoxigraph as ox
        from rdflib import BNode, Literal, URIRef

        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return self._bnodes.get(term.value) or BNode(term.value)
        if isinstance(term, ox.Literal):
            if term.language:
                return Literal(term.value, lang=term.language)
            datatype = term.datatype.value
            if datatype == XSD_STRING:
                return Literal(term.value)
            datatype = datatype.removeprefix(LEXICAL)
            return Literal(term.value, datatype=URIRef(datatype), normalize=False)
        raise Unsupported(f"RDF term {term!r}")  # pragma: no cover - refused on input

    def query(self, sparql: str) -> Any:
        return self.store.query(sparql)

    def new_set(self, members: Iterable[Any]) -> str:
        """Store *members* in a fresh private graph; returns its IRI (no brackets)."""
        import pyoxigraph as ox

        name = f"{_SET}{next(self._sets)}"
        graph = ox.NamedNode(name)
        member = ox.NamedNode(_MEMBER[1:-1])
        self.store.extend(ox.Quad(graph, member, m, graph) for m in members)
        return name


def stored_term(node: Node) -> Any:
    """An rdflib term (from the shapes graph) as the store holds it."""
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    if isinstance(node, URIRef):
        _check_iri(str(node))
        return ox.NamedNode(str(node))
    if isinstance(node, Literal):
        lang = node.language
        if lang is not None:
            if lang != lang.lower():
                raise Unsupported("an upper-case language tag in the shapes")
            return ox.Literal(str(node), language=lang)
        if node.datatype is None:
            return ox.Literal(str(node))
        if str(node.datatype) in (XSD_STRING, RDF_LANG_STRING):
            raise Unsupported(f"a literal typed {node.datatype} in the shapes")
        _check_iri(str(node.datatype))
        return encode_literal(ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype))))
    raise Unsupported("a blank node in a constraint parameter")


def sparql_term(node: Node) -> str:
    """An rdflib term (from the shapes graph) in SPARQL, in the stored encoding."""
    return str(stored_term(node))


# ============================================================================ literals


def _actual_datatype_ok(literal: Any, datatype: str) -> bool:
    """pyshacl's ``DatatypeConstraintComponent._assert_actual_datatype``."""
    from datetime import date, datetime, time
    from decimal import Decimal

    value = literal.value
    checks: dict[str, Callable[[Any], bool]] = {
        XSD_STRING: lambda v: isinstance(v, (str, bytes)),
        RDF_LANG_STRING: lambda v: isinstance(v, (str, bytes)),
        XSD + "integer": lambda v: isinstance(v, int),
        XSD + "float": lambda v: isinstance(v, float),
        XSD + "decimal": lambda v: isinstance(v, Decimal),
        XSD + "boolean": lambda v: isinstance(v, bool),
        XSD + "date": lambda v: isinstance(v, date),
        XSD + "time": lambda v: isinstance(v, time),
        XSD + "dateTime": lambda v: isinstance(v, datetime),
    }
    check = checks.get(datatype)
    return True if check is None else check(value)


@dataclass
class _Literals:
    """What rdflib says about every distinct typed literal of the data."""

    ill_typed: list[Any]
    """Stored literals that rdflib finds ill-typed (``"abc"^^xsd:date``)."""
    datatype_bad: list[Any]
    """Stored literals whose own datatype is not matched in pyshacl's sh:datatype check."""


def _examine_literals(data: FastData) -> _Literals:
    from .io import quiet_rdflib

    ill: list[Any] = []
    bad: list[Any] = []
    with quiet_rdflib(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rdflib: "Parsing weird boolean, ..."
        for stored in set(data.typed.values()):
            literal = data.rdflib_term(stored)
            ill_typed = getattr(literal, "ill_typed", None)
            if ill_typed is True:
                ill.append(stored)
                bad.append(stored)
            elif not _actual_datatype_ok(literal, str(literal.datatype)):  # type: ignore[attr-defined]
                bad.append(stored)
    return _Literals(ill_typed=ill, datatype_bad=bad)


# ============================================================================ compiling


@dataclass
class RawResult:
    """A result before rdflib terms and messages: stored terms for focus and value."""

    focus: Any
    value: Any
    shape: Shape
    component: str
    """Constraint component name, e.g. ``MinCountConstraintComponent``."""


@dataclass
class _Check:
    """A per-value constraint of a shape, as a SPARQL test that is true when it holds,
    and, when it can be decided from the value alone (or with sets of class instances),
    as a Python predicate that is true when it holds (``py``)."""

    shape: Shape
    component: str
    test: Callable[[str], str]
    report_value: bool = True
    py: Callable[[Any], bool] | None = None


@dataclass
class _PySet:
    """A per-value test decided in Python (pattern, range comparison): its failing terms
    among the candidates that the *domain* query returns go into a private graph."""

    kind: str
    params: tuple[Any, ...]
    domain: str
    """SPARQL ``SELECT DISTINCT ?x WHERE {...}`` of the candidate terms."""
    graph: str = ""


class _Compiler:
    def __init__(self, plan: Plan, data: FastData, closures: dict[str, list[str]]) -> None:
        self.plan = plan
        self.data = data
        self.closures = closures
        self.fresh = itertools.count()
        self.pysets: dict[tuple[Any, ...], _PySet] = {}
        self.bad_datatype_graph = ""
        self.bad_datatype: set[Any] = set()
        self._instances: dict[str, set[Any]] = {}
        self._domains: dict[str, list[Any]] = {}

    def var(self, stem: str = "v") -> str:
        return f"?_{stem}{next(self.fresh)}"

    # -------------------------------------------------------------- focus nodes

    def focus_pattern(self, shape: Shape) -> str:
        """A group binding ``?this`` to the focus nodes of a shape's targets."""
        branches = []
        classes = sorted({c for t in shape.target_classes for c in self.closures[t]})
        if classes:
            values = " ".join(f"<{c}>" for c in classes)
            branches.append(f"VALUES ?_c {{ {values} }} ?this <{RDF_TYPE}> ?_c .")
        for p in shape.target_subjects_of:
            branches.append(f"?this <{p}> ?_o .")
        for p in shape.target_objects_of:
            branches.append(f"?_s <{p}> ?this .")
        if shape.target_nodes:
            values = " ".join(sparql_term(n) for n in shape.target_nodes)
            branches.append(f"VALUES ?this {{ {values} }}")
        body = " UNION ".join(f"{{ {b} }}" for b in branches)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {body} }} }}"

    @staticmethod
    def rows(source: str, subject: str, shape: Shape, obj: str) -> str:
        """A group pattern: *source* binds *subject*; *obj* is bound to each value of the
        shape's path from it.

        Oxigraph's zero-length paths (``p*``, ``p?``) do not return a start node that is
        not in the data (a ``sh:targetNode``, say); pyshacl does, so a path that can have
        length zero gets a second branch with the node itself."""
        path = shape.sparql_path
        if not shape.zero_length:
            return f"{source} {subject} {path} {obj} ."
        return (
            f"{{ {source} {subject} {path} {obj} . }} UNION {{ {source} BIND({subject} AS {obj}) }}"
        )

    @staticmethod
    def step(subject: str, shape: Shape, obj: str) -> str:
        """``subject path obj`` inside (NOT) EXISTS, where *subject* is already bound."""
        path = shape.sparql_path
        if not shape.zero_length:
            return f"{subject} {path} {obj} ."
        return f"{{ {subject} {path} {obj} . }} UNION {{ BIND({subject} AS {obj}) }}"

    def value_focus(self, focus: str, shape: Shape) -> str:
        """The value nodes of the shape's path from the focus nodes of *focus*, as ?this."""
        up = f"{{ SELECT (?this AS ?_up) WHERE {{ {focus} }} }}"
        return f"{{ SELECT DISTINCT ?this WHERE {{ {self.rows(up, '?_up', shape, '?this')} }} }}"

    @staticmethod
    def domain_of(pattern: str, var: str) -> str:
        """Candidate query for a variable bound by a group pattern."""
        return f"SELECT DISTINCT {var} WHERE {{ {pattern} }}"

    # -------------------------------------------------------------- tests

    def checks(self, shape: Shape, domain: str) -> list[_Check]:
        """The per-value constraints of *shape*, each as a SPARQL test of a value node
        (and a Python predicate where one exists).

        *domain* is a group pattern binding ``?this`` to (a superset of) the nodes the
        tests will be applied to (candidates for the SPARQL tests decided in Python)."""
        import pyoxigraph as ox

        out: list[_Check] = []
        kinds = {ox.NamedNode: "iri", ox.BlankNode: "bnode", ox.Literal: "literal"}

        def add(
            component: str,
            test: Callable[[str], str],
            py: Callable[[Any], bool] | None,
            *,
            report_value: bool = True,
        ) -> None:
            out.append(_Check(shape, component, test, report_value, py))

        for cls in shape.classes:
            add("ClassConstraintComponent", self.class_test(cls), self.py_class(cls))
        if shape.datatype is not None:
            add(
                "DatatypeConstraintComponent",
                self.datatype_test(shape),
                self.py_datatype(shape.datatype),
            )
        if shape.node_kind is not None:
            allowed = frozenset(shape.node_kind)
            test = " || ".join(_KIND_TEST[k] for k in shape.node_kind)
            add(
                "NodeKindConstraintComponent",
                _template(f"({test})" if test else "false"),
                lambda t: kinds.get(type(t)) in allowed,
            )
        for pattern, flags in shape.patterns:
            add(
                "PatternConstraintComponent",
                self.python_set_test("pattern", (pattern, flags), domain, "(!isBlank($x) && {})"),
                _pattern_predicate(pattern, flags),
            )
        if shape.min_length is not None:
            n = shape.min_length[0]
            # pyshacl: a minimum length of 0 passes every value, blank nodes included
            test = "true" if n == 0 else f"(!isBlank($x) && STRLEN(STR($x)) >= {n})"
            add(
                "MinLengthConstraintComponent",
                _template(test),
                lambda t, n=n: n == 0 or (type(t) is not ox.BlankNode and len(t.value) >= n),  # type: ignore[misc]
            )
        if shape.max_length is not None:
            n = shape.max_length[0]
            add(
                "MaxLengthConstraintComponent",
                _template(f"(!isBlank($x) && STRLEN(STR($x)) <= {n})"),
                lambda t, n=n: type(t) is not ox.BlankNode and len(t.value) <= n,  # type: ignore[misc]
            )
        if shape.language_in is not None:
            add(
                "LanguageInConstraintComponent",
                self.language_test(shape),
                _language_predicate(shape.language_in[0]),
            )
        for name, bound in shape.ranges:
            add(
                _RANGES[name][0],
                self.python_set_test("range", (name, bound), domain, "(isLiteral($x) && {})"),
                self.py_range(name, bound),
            )
        for _lst, members in shape.ors:
            tests = [self.conforms(m, domain) for m in members]
            add("OrConstraintComponent", _any(tests), self.py_or(members, domain))
        if not shape.is_property:
            for value in shape.has_value:
                stored = stored_term(value)
                add(
                    "HasValueConstraintComponent",
                    _template(f"sameTerm($x, {sparql_term(value)})"),
                    lambda t, stored=stored: t == stored,  # type: ignore[misc]
                    report_value=False,
                )
        return out

    def python_set_test(
        self, kind: str, params: tuple[Any, ...], domain: str, template: str
    ) -> Callable[[str], str]:
        """A SPARQL test decided in Python: the set of failing candidates is registered
        only when a query uses the test."""

        def test(x: str) -> str:
            pyset = self.pyset(kind, params, domain)
            return template.format(_not_in(pyset)).replace("$x", x)

        return test

    # -------------------------------------------------------------- Python predicates

    def domain(self, sparql: str) -> list[Any]:
        """The terms a one-column query returns (cached: shapes share paths)."""
        found = self._domains.get(sparql)
        if found is None:
            found = self._domains[sparql] = [row[0] for row in self.data.query(sparql)]
        return found

    def instances(self, cls: str) -> set[Any]:
        """The SHACL instances of a class in the data (``rdf:type/rdfs:subClassOf*``)."""
        found = self._instances.get(cls)
        if found is None:
            classes = " ".join(f"<{c}>" for c in self.closures[cls])
            rows = self.data.query(
                f"SELECT DISTINCT ?x WHERE {{ VALUES ?t {{ {classes} }} ?x <{RDF_TYPE}> ?t }}"
            )
            found = self._instances[cls] = {row[0] for row in rows}
        return found

    def py_class(self, cls: str) -> Callable[[Any], bool]:
        return lambda t: t in self.instances(cls)

    def py_datatype(self, rule: str) -> Callable[[Any], bool]:
        """pyshacl's DatatypeConstraintComponent, on the stored term."""
        import pyoxigraph as ox

        bad = self.bad_datatype

        def ok(t: Any) -> bool:
            if type(t) is not ox.Literal:
                return False
            lang = t.language
            stored = t.datatype.value
            datatype = None if lang or stored == XSD_STRING else stored.removeprefix(LEXICAL)
            if datatype == rule:
                return t not in bad
            if rule == RDFS + "Literal":
                return True
            if rule == RDFS + "Datatype" and datatype is not None:
                return True
            if datatype is None and not lang and rule == XSD_STRING:
                return True
            return bool(rule == RDF_LANG_STRING and lang)

        return ok

    def py_range(self, name: str, bound: Any) -> Callable[[Any], bool]:
        check = _range_predicate(name, bound)
        return lambda t: check(self.data, t)

    def py_or(self, members: list[Shape], domain: str) -> Callable[[Any], bool] | None:
        tests: list[Callable[[Any], bool]] = []
        for m in members:
            if m.relaxed:
                return lambda t: True
            if m.is_property or m.properties:
                return None  # needs the graph around the value: SPARQL only
            checks = self.checks(m, domain)
            predicates = [c.py for c in checks]
            if any(p is None for p in predicates):
                return None
            tests.append(lambda t, ps=predicates: all(p(t) for p in ps))  # type: ignore[misc]
        return lambda t: any(test(t) for test in tests)

    def class_test(self, cls: str) -> Callable[[str], str]:
        classes = " ".join(f"<{c}>" for c in self.closures[cls])

        def test(x: str) -> str:
            t = self.var("t")
            return f"EXISTS {{ {x} <{RDF_TYPE}> {t} . VALUES {t} {{ {classes} }} }}"

        return test

    def datatype_test(self, shape: Shape) -> Callable[[str], str]:
        datatype = shape.datatype
        if datatype == XSD_STRING:
            return lambda x: f"(isLiteral({x}) && DATATYPE({x}) = <{XSD_STRING}>)"
        if datatype == RDF_LANG_STRING:
            return lambda x: f'(isLiteral({x}) && LANG({x}) != "")'
        if datatype == RDFS + "Literal":
            return lambda x: f"isLiteral({x})"
        if datatype == RDFS + "Datatype":
            return lambda x: f"(isLiteral({x}) && STRSTARTS(STR(DATATYPE({x})), {_str(LEXICAL)}))"
        stored = f"<{LEXICAL}{datatype}>"
        bad = self.bad_datatype_graph

        def test(x: str) -> str:
            ok = f"(isLiteral({x}) && DATATYPE({x}) = {stored}"
            if bad:
                ok += f" && NOT EXISTS {{ GRAPH <{bad}> {{ <{bad}> {_MEMBER} {x} }} }}"
            return ok + ")"

        return test

    def language_test(self, shape: Shape) -> Callable[[str], str]:
        assert shape.language_in is not None
        langs = shape.language_in[0]
        if "*" in langs:
            return lambda x: f'(isLiteral({x}) && LANG({x}) != "")'
        if not langs:
            return lambda x: "false"
        options = ", ".join(_str(lang) for lang in sorted(langs))

        def test(x: str) -> str:
            lang = f"LCASE(LANG({x}))"
            first = f'STRBEFORE(CONCAT({lang}, "-"), "-")'
            return (
                f'(isLiteral({x}) && LANG({x}) != "" && '
                f"({lang} IN ({options}) || {first} IN ({options})))"
            )

        return test

    def pyset(self, kind: str, params: tuple[Any, ...], domain: str) -> _PySet:
        key = (kind, *params, domain)
        found = self.pysets.get(key)
        if found is None:
            found = self.pysets[key] = _PySet(kind, params, self.domain_of(domain, "?this"))
        return found

    # -------------------------------------------------------------- conformance

    def conforms(self, shape: Shape, domain: str) -> Callable[[str], str]:
        """A SPARQL test that is true when a node conforms to *shape* (nested use: in sh:or
        or sh:qualifiedValueShape), the way pyshacl decides it."""
        if shape.relaxed:
            return lambda x: "true"
        parts: list[Callable[[str], str]] = []
        if shape.is_property:
            parts.append(self.property_conforms(shape, domain))
        else:
            parts.extend(c.test for c in self.checks(shape, domain))
            parts.extend(self.property_conforms(p, domain) for p in shape.properties)
        if not parts:
            return lambda x: "true"
        return lambda x: "(" + " && ".join(p(x) for p in parts) + ")"

    def property_conforms(self, shape: Shape, domain: str) -> Callable[[str], str]:
        """True when the values of a property shape's path from a node satisfy it."""
        if shape.relaxed:
            return lambda x: "true"
        if shape.qualified:
            raise Unsupported("a nested sh:qualifiedValueShape")
        values = self.value_focus(domain, shape)
        per_value: list[Callable[[str], str]] = [c.test for c in self.checks(shape, values)]
        per_value.extend(self.property_conforms(p, values) for p in shape.properties)
        counts: list[Callable[[str], str]] = []
        if shape.min_count is not None and shape.min_count[0] > 0:
            counts.append(self.distinct_values(shape, shape.min_count[0], exist=True))
        if shape.max_count is not None:
            counts.append(self.distinct_values(shape, shape.max_count[0] + 1, exist=False))
        if shape.unique_lang:
            counts.append(lambda x: f"!{self.shared_language(shape, x)}")
        for value in shape.has_value:
            counts.append(self.has_value(shape, sparql_term(value)))

        def test(x: str) -> str:
            tests = [c(x) for c in counts]
            if per_value:
                v = self.var()
                ok = " && ".join(p(v) for p in per_value)
                tests.append(
                    f"NOT EXISTS {{ {self.step(x, shape, v)} FILTER(!COALESCE({ok}, false)) }}"
                )
            return "(" + " && ".join(tests) + ")" if tests else "true"

        return test

    def shared_language(self, shape: Shape, x: str) -> str:
        """EXISTS two values of *x* with the same language tag (sh:uniqueLang fails)."""
        a, b = self.var(), self.var()
        return (
            f"EXISTS {{ {self.step(x, shape, a)} {self.step(x, shape, b)} "
            f"FILTER(!sameTerm({a}, {b}) && isLiteral({a}) && isLiteral({b}) && "
            f'LANG({a}) != "" && LCASE(LANG({a})) = LCASE(LANG({b}))) }}'
        )

    def has_value(self, shape: Shape, term: str) -> Callable[[str], str]:
        def test(x: str) -> str:
            v = self.var()
            return f"EXISTS {{ {self.step(x, shape, v)} FILTER(sameTerm({v}, {term})) }}"

        return test

    def distinct_values(
        self, shape: Shape, n: int, *, exist: bool, test: Callable[[str], str] | None = None
    ) -> Callable[[str], str]:
        """EXISTS (or NOT EXISTS) *n* pairwise distinct values of the shape's path (that
        pass *test*)."""
        if n > _MAX_EXISTS_COUNT:
            raise Unsupported(f"a nested count above {_MAX_EXISTS_COUNT - 1}")

        def found(x: str) -> str:
            names = [self.var() for _ in range(n)]
            triples = " ".join(self.step(x, shape, v) for v in names)
            conditions = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(names, 2)]
            if test is not None:
                conditions.extend(f"COALESCE({test(v)}, false)" for v in names)
            where = triples + (f" FILTER({' && '.join(conditions)})" if conditions else "")
            return f"{'EXISTS' if exist else 'NOT EXISTS'} {{ {where} }}"

        return found


def _template(text: str) -> Callable[[str], str]:
    """A test written with ``$x`` for the node it tests."""
    return lambda x: text.replace("$x", x)


def _any(tests: list[Callable[[str], str]]) -> Callable[[str], str]:
    return lambda x: "(" + " || ".join(t(x) for t in tests) + ")"


def _not_in(pyset: _PySet) -> str:
    """Placeholder for "$x is not among the failing terms of *pyset*", filled in by
    :func:`run` once the set is known (an empty set makes it ``true``)."""
    return f"@@NOTIN {id(pyset)} $x@@"


def _str(text: str) -> str:
    """A SPARQL string literal."""
    import json

    return json.dumps(text, ensure_ascii=False)


# ============================================================================ queries


@dataclass
class _Query:
    """A query that reports results: its SPARQL (with placeholders for the sets decided
    in Python) and how to read its rows."""

    sparql: str
    collect: Callable[[Any], Iterator[RawResult]]


@dataclass
class _Work:
    """Checks decided in Python on the distinct value nodes (see :func:`_value_work`)."""

    run: Callable[[], list[RawResult]]


def _queries_for_shape(comp: _Compiler, shape: Shape, focus: str) -> Iterator[_Query | _Work]:
    """The queries that report the results of *shape* for the focus nodes of *focus*.

    The per-focus tests of all the property shapes of a node shape (counts, sh:hasValue,
    sh:uniqueLang) share one query: it runs through the focus nodes once."""
    if shape.deactivated:
        return
    tests: list[tuple[Shape, str, str]] = []
    if shape.is_property:
        yield from _property_queries(comp, shape, focus, tests)
    else:
        checks = comp.checks(shape, focus)
        in_python = [c for c in checks if c.py is not None]
        in_sparql = [c for c in checks if c.py is None]
        if in_sparql:
            yield _flag_query(f"{focus}", "?this", None, in_sparql)
        if in_python:
            yield _node_work(comp, shape, focus, in_python)
        for prop in shape.properties:
            yield from _property_queries(comp, prop, focus, tests)
    if tests:
        yield _focus_query(focus, tests)


def _node_work(comp: _Compiler, shape: Shape, focus: str, checks: list[_Check]) -> _Work:
    """Node-level checks of a node shape, in Python on its focus nodes."""

    def run() -> list[RawResult]:
        found = []
        for node in comp.domain(f"SELECT DISTINCT ?this WHERE {{ {focus} }}"):
            for check in checks:
                assert check.py is not None
                if not check.py(node):
                    value = node if check.report_value else None
                    found.append(RawResult(node, value, shape, check.component))
        return found

    return _Work(run)


def _value_work(comp: _Compiler, shape: Shape, focus: str, checks: list[_Check]) -> _Work:
    """The per-value checks of a property shape that Python decides from the value alone.

    They run on the DISTINCT values of the path (all its values in the data for a plain
    path: a cheap scan, a superset of the focus nodes' values); only when some value
    fails does a query find the focus nodes that have it. Oxigraph evaluates a FILTER
    expression slowly, per row; this way most shapes cost a scan and a set lookup."""
    path = shape.sparql_path
    if shape.zero_length or shape.repeats:
        domain = f"SELECT DISTINCT ?v WHERE {{ {comp.rows(focus, '?this', shape, '?v')} }}"
    else:
        domain = f"SELECT DISTINCT ?v WHERE {{ ?_s {path} ?v }}"

    def run() -> list[RawResult]:
        failing: dict[Any, list[_Check]] = {}
        for value in comp.domain(domain):
            for check in checks:
                assert check.py is not None
                if not check.py(value):
                    failing.setdefault(value, []).append(check)
        if not failing:
            return []
        graph = comp.data.new_set(failing)
        member = f"GRAPH <{graph}> {{ <{graph}> {_MEMBER} ?v }}"
        if shape.zero_length:
            rows = f"{{ {member} ?this {path} ?v . }} UNION {{ {member} BIND(?v AS ?this) }}"
        else:
            rows = f"{member} ?this {path} ?v ."
        sparql = (
            f"SELECT DISTINCT ?this ?v WHERE {{ {{ SELECT ?this ?v WHERE {{ {rows} }} }} {focus} }}"
        )
        found = []
        for row in comp.data.query(sparql):
            for check in failing[row[1]]:
                value = row[1] if check.report_value else None
                found.append(RawResult(row[0], value, shape, check.component))
        return found

    return _Work(run)


def _property_queries(
    comp: _Compiler, shape: Shape, focus: str, tests: list[tuple[Shape, str, str]]
) -> Iterator[_Query | _Work]:
    """The queries of a property shape; its per-focus tests are added to *tests*."""
    if shape.deactivated:
        return
    values = comp.value_focus(focus, shape)
    checks = comp.checks(shape, values)
    in_python = [c for c in checks if c.py is not None]
    in_sparql = [c for c in checks if c.py is None]
    if in_sparql:
        yield _flag_query(comp.rows(focus, "?this", shape, "?v"), "?v", shape, in_sparql)
    if in_python:
        yield _value_work(comp, shape, focus, in_python)
    yield from _count_queries(comp, shape, focus, values, tests)
    for prop in shape.properties:
        yield from _queries_for_shape(comp, prop, values)


def _focus_query(focus: str, tests: list[tuple[Shape, str, str]]) -> _Query:
    """One query for per-focus tests, each (shape, component, test failing for ?this)."""
    flags = " ".join(f"({test} AS ?_f{i})" for i, (_shape, _kind, test) in enumerate(tests))
    any_fails = " || ".join(f"COALESCE({test}, true)" for _shape, _kind, test in tests)
    sparql = f"SELECT ?this {flags} WHERE {{ {focus} FILTER({any_fails}) }}"

    def collect(rows: Any) -> Iterator[RawResult]:
        for row in rows:
            for i, (shape, kind, _test) in enumerate(tests):
                flag = row[1 + i]
                if flag is None or flag.value == "true":
                    yield RawResult(row[0], None, shape, kind)

    return _Query(sparql, collect)


def _flag_query(pattern: str, value: str, shape: Shape | None, checks: list[_Check]) -> _Query:
    """One query for all per-value checks: a row per (focus, value) that fails one.

    The FILTER is the conjunction of the checks (cheap to evaluate on every value); the
    flags that say which check failed are projected, so they are computed only for the
    few failing rows. A check whose test is an error counts as failed (COALESCE)."""
    tests = [c.test(value) for c in checks]
    flags = " ".join(f"(!COALESCE({t}, false) AS ?_f{i})" for i, t in enumerate(tests))
    projected = "?this ?v" if value == "?v" else "?this"
    holds = " && ".join(tests)
    sparql = (
        f"SELECT DISTINCT {projected} {flags} WHERE {{ {pattern} "
        f"FILTER(!COALESCE({holds}, false)) }}"
    )
    offset = 2 if value == "?v" else 1

    def collect(rows: Any) -> Iterator[RawResult]:
        for row in rows:
            focus = row[0]
            value_term = row[1] if value == "?v" else focus
            for i, check in enumerate(checks):
                flag = row[offset + i]
                if flag is not None and flag.value == "true":
                    yield RawResult(
                        focus,
                        value_term if check.report_value else None,
                        check.shape,
                        check.component,
                    )

    return _Query(sparql, collect)


def _count_queries(
    comp: _Compiler,
    shape: Shape,
    focus: str,
    values: str,
    exists: list[tuple[Shape, str, str]],
) -> Iterator[_Query]:
    """The per-focus constraints of a property shape (counts, sh:uniqueLang, sh:hasValue).

    Small counts are tested with (NOT) EXISTS over k pairwise distinct values, which
    Oxigraph evaluates much faster than a GROUP BY over every focus node: these tests go
    to *exists*, as (shape, component, test failing for ?this). Larger counts get a
    GROUP BY query."""
    # (aggregate, "<" or ">", threshold, component, BIND needed in the OPTIONAL)
    grouped: list[tuple[str, str, int, str, str]] = []

    def count(kind: str, op: str, n: int, test: Callable[[str], str] | None, i: int) -> None:
        """A result when the number of (conforming) values is *op* n."""
        if n + (op == ">") <= _MAX_EXISTS_COUNT:
            k = n if op == "<" else n + 1  # fails when there are not (are) k distinct values
            found = comp.distinct_values(shape, k, exist=True, test=test)("?this")
            exists.append((shape, kind, f"!{found}" if op == "<" else found))
            return
        if test is None:
            grouped.append(("COUNT(DISTINCT ?v)", op, n, kind, ""))
        else:
            bind = f"BIND(IF(COALESCE({test('?v')}, false), ?v, ?_none) AS ?_q{i})"
            grouped.append((f"COUNT(DISTINCT ?_q{i})", op, n, kind, bind))

    if shape.min_count is not None and shape.min_count[0] > 0:
        count("MinCountConstraintComponent", "<", shape.min_count[0], None, 0)
    if shape.max_count is not None:
        count("MaxCountConstraintComponent", ">", shape.max_count[0], None, 0)
    for i, (value_shape, low, high, _node) in enumerate(shape.qualified):
        test = comp.conforms(value_shape, values)
        if low is not None and low > 0:
            count("QualifiedMinCountConstraintComponent", "<", low, test, i)
        if high is not None:
            count("QualifiedMaxCountConstraintComponent", ">", high, test, i)
    if shape.unique_lang:
        exists.append(
            (shape, "UniqueLangConstraintComponent", comp.shared_language(shape, "?this"))
        )
    for value in shape.has_value:
        has = comp.has_value(shape, sparql_term(value))("?this")
        exists.append((shape, "HasValueConstraintComponent", f"!{has}"))
    if grouped:
        select = " ".join(f"({g[0]} AS ?_n{i})" for i, g in enumerate(grouped))
        having = " || ".join(f"{g[0]} {g[1]} {g[2]}" for g in grouped)
        binds = " ".join(dict.fromkeys(g[4] for g in grouped if g[4]))
        rows = comp.rows(focus, "?this", shape, "?v")
        sparql = (
            f"SELECT ?this {select} WHERE {{ {focus} OPTIONAL {{ "
            f"{{ SELECT ?this ?v WHERE {{ {rows} }} }} {binds} }} }} "
            f"GROUP BY ?this HAVING ({having})"
        )

        def collect_grouped(rows: Any) -> Iterator[RawResult]:
            for row in rows:
                for i, (_aggregate, op, threshold, kind, _bind) in enumerate(grouped):
                    n = int(row[1 + i].value)
                    if (n < threshold) if op == "<" else (n > threshold):
                        yield RawResult(row[0], None, shape, kind)

        yield _Query(sparql, collect_grouped)


def _class_closures(data: FastData, classes: Iterable[str]) -> dict[str, list[str]]:
    """Each class with its subclasses in the data (``rdfs:subClassOf*``, as pyshacl)."""
    import pyoxigraph as ox

    closures: dict[str, list[str]] = {}
    for cls in sorted(classes):
        rows = data.query(f"SELECT DISTINCT ?t WHERE {{ ?t <{RDFS_SUBCLASS_OF}>* <{cls}> }}")
        found = {cls}
        for row in rows:
            if not isinstance(row[0], ox.NamedNode):
                raise Unsupported("a blank node subclass in the data")
            found.add(row[0].value)
        closures[cls] = sorted(found)
    return closures


def _pattern_predicate(pattern: str, flags: int) -> Callable[[Any], bool]:
    """pyshacl's sh:pattern: ``re.search`` on the lexical form (a literal) or the IRI."""
    import pyoxigraph as ox

    matcher = re.compile(pattern, flags)
    return lambda t: type(t) is not ox.BlankNode and matcher.search(t.value) is not None


def _language_predicate(langs: frozenset[str]) -> Callable[[Any], bool]:
    """pyshacl's sh:languageIn (lower-cased tags; a tag also matches by its first part)."""
    import pyoxigraph as ox

    wildcard = "*" in langs

    def ok(t: Any) -> bool:
        if type(t) is not ox.Literal or not t.language:
            return False
        lang = str(t.language).lower()
        return wildcard or lang in langs or lang.split("-")[0] in langs

    return ok


def _range_predicate(name: str, bound: Any) -> Callable[[FastData, Any], bool]:
    """pyshacl's sh:min/maxIn/Exclusive, with its own comparison function."""
    import pyoxigraph as ox
    from pyshacl.rdfutil.compare import compare_literal

    compare = cast("Callable[[Any, Any], int]", compare_literal)
    passes = _RANGES[name][2]
    bound_is_string = isinstance(bound.value, str)

    def ok(data: FastData, t: Any) -> bool:
        if type(t) is not ox.Literal:
            return False
        value = data.rdflib_term(t)
        if isinstance(value.value, str) != bound_is_string:  # type: ignore[attr-defined]
            return False
        try:
            return passes(compare(value, bound))
        except (TypeError, NotImplementedError):
            return False
        except Exception as error:  # pyshacl would stop with this error
            raise Unsupported(f"range comparison failed: {error}") from None

    return ok


def _evaluate_pyset(data: FastData, pyset: _PySet) -> list[Any]:
    """The candidate terms that fail a pattern or a range comparison (pyshacl's code)."""
    if pyset.kind == "pattern":
        check = _pattern_predicate(*pyset.params)
        return [row[0] for row in data.query(pyset.domain) if not check(row[0])]
    in_range = _range_predicate(*pyset.params)
    return [row[0] for row in data.query(pyset.domain) if not in_range(data, row[0])]


_PLACEHOLDER = re.compile(r"@@NOTIN (\d+) (\?\w+)@@")


def run(plan: Plan, data: FastData, *, jobs: int = 1) -> tuple[list[RawResult], _Literals]:
    """Evaluate *plan* on *data*; returns the raw results and the literal examination
    (for the dataset-level check of ill-typed literals)."""
    from .io import quiet_rdflib
    from .progress import advance, step

    literals = _examine_literals(data)
    closures = _class_closures(data, plan.classes)
    comp = _Compiler(plan, data, closures)
    if literals.datatype_bad:
        comp.bad_datatype_graph = data.new_set(literals.datatype_bad)
    comp.bad_datatype = set(literals.datatype_bad)
    queries: list[_Query | _Work] = []
    for shape in plan.top:
        queries.extend(_queries_for_shape(comp, shape, comp.focus_pattern(shape)))
    # the tests decided in Python: compute their failing sets, then fill in the queries
    by_id: dict[int, _PySet] = {id(p): p for p in comp.pysets.values()}
    with quiet_rdflib():
        for pyset in comp.pysets.values():
            failing = _evaluate_pyset(data, pyset)
            pyset.graph = data.new_set(failing) if failing else ""

    def substitute(match: re.Match[str]) -> str:
        pyset = by_id[int(match.group(1))]
        x = match.group(2)
        if not pyset.graph:
            return "true"
        return f"NOT EXISTS {{ GRAPH <{pyset.graph}> {{ <{pyset.graph}> {_MEMBER} {x} }} }}"

    step("validating", count=0, unit=f"/{len(queries)} SHACL queries")

    def execute(query: _Query | _Work) -> list[RawResult]:
        if isinstance(query, _Work):
            with quiet_rdflib():
                found = query.run()
        else:
            sparql = _PLACEHOLDER.sub(substitute, query.sparql)
            found = list(query.collect(data.query(sparql)))
        advance(1)
        return found

    results: list[RawResult] = []
    if jobs > 1 and len(queries) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for found in pool.map(execute, queries):
                results.extend(found)
    else:
        for query in queries:
            results.extend(execute(query))
    return results, literals


def ill_typed_triples(data: FastData, literals: _Literals) -> list[tuple[Any, Any, Any]]:
    """The triples whose object rdflib finds ill-typed."""
    if not literals.ill_typed:
        return []
    graph = data.new_set(literals.ill_typed)
    rows = data.query(
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ <{graph}> {_MEMBER} ?o }} "
        "?s ?p ?o . }"
    )
    return [(row[0], row[1], row[2]) for row in rows]


# ============================================================================ messages


class MessageMaker:
    """pyshacl's default result messages (for shapes without sh:message), built with
    pyshacl's own ``stringify_node``, on the data graph pyshacl would use: the default
    namespace bindings of a new rdflib Graph, and the triples of any blank node shown."""

    def __init__(self, plan: Plan, data: FastData) -> None:
        from rdflib import Graph

        self.sg = plan.shapes_graph
        self.data = data
        self.dg = Graph()
        self._described: set[Any] = set()
        self._purge()

    def _purge(self) -> None:
        """Drop entries of pyshacl's blank node text cache (keyed by ``id(graph)``) that
        belong to our graph, or to an earlier graph that had the same id."""
        from pyshacl.rdfutil.stringify import stringify_blank_node

        cache = getattr(stringify_blank_node, "dict_cache", None)
        if isinstance(cache, dict):
            for key in [k for k in cache if k[0] == id(self.dg)]:
                del cache[key]

    def close(self) -> None:
        self._purge()

    def _describe(self, term: Any, depth: int = 0) -> None:
        import pyoxigraph as ox

        if not isinstance(term, ox.BlankNode) or term in self._described or depth > 12:
            return
        self._described.add(term)
        subject = self.data.rdflib_term(term)
        for quad in self.data.store.quads_for_pattern(term, None, None, None):
            self.dg.add(
                (subject, self.data.rdflib_term(quad.predicate), self.data.rdflib_term(quad.object))
            )
            self._describe(quad.object, depth + 1)

    def data_text(self, stored: Any, node: Node) -> str:
        from pyshacl.rdfutil.stringify import stringify_node

        self._describe(stored)
        try:
            return str(stringify_node(self.dg, node))
        except (LookupError, ValueError):
            return str(node)

    def shape_text(self, node: Node) -> str:
        from pyshacl.rdfutil.stringify import stringify_node

        return str(stringify_node(self.sg, node))

    def message(self, raw: RawResult, focus: Node, value: Node | None) -> str:
        from rdflib import Literal, URIRef

        s, c = raw.shape, raw.component
        if c == "ClassConstraintComponent":
            if len(s.class_nodes) < 2:
                return f"Value does not have class {self.shape_text(s.class_nodes[0])}"
            rules = ", ".join(self.shape_text(n) for n in s.class_nodes)
            return f"Value class is not in classes ({rules})"
        if c == "DatatypeConstraintComponent":
            assert s.datatype_node is not None
            return f"Value is not Literal with datatype {self.shape_text(s.datatype_node)}"
        if c == "NodeKindConstraintComponent":
            assert s.node_kind_node is not None
            return f"Value is not of Node Kind {self.shape_text(s.node_kind_node)}"
        if c in ("MinCountConstraintComponent", "MaxCountConstraintComponent"):
            rule = s.min_count if c.startswith("Min") else s.max_count
            assert rule is not None
            assert s.path is not None
            count = rule[1].value if isinstance(rule[1], Literal) else rule[0]
            word = "Less" if c.startswith("Min") else "More"
            where = f"{self.data_text(raw.focus, focus)}->{self.shape_text(s.path)}"
            return f"{word} than {count} values on {where}"
        if c in ("MinLengthConstraintComponent", "MaxLengthConstraintComponent"):
            rule = s.min_length if c.startswith("Min") else s.max_length
            assert rule is not None
            op = ">=" if c.startswith("Min") else "<="
            return f"String length not {op} {self.data_text(None, rule[1])}"
        if c == "PatternConstraintComponent":
            if len(s.pattern_values) < 2:
                return f"Value does not match pattern '{s.pattern_values[0]}'"
            return "Value does not match every pattern in ('{}')".format(
                "', '".join(s.pattern_values)
            )
        if c == "LanguageInConstraintComponent":
            assert s.language_in is not None
            return f"String language is not in {self.shape_text(s.language_in[1])}"
        if c == "UniqueLangConstraintComponent":
            return "More than one String shares the same Language"
        for name, (component, op, _passes) in _RANGES.items():
            if c == component:
                bounds = [b for n, b in s.ranges if n == name]
                if len(bounds) < 2:
                    return f"Value is not {op} {self.shape_text(bounds[0])}"
                rules = ", ".join(self.shape_text(b) for b in bounds)
                return f"Value is not {op} in ({rules})"
        if c == "HasValueConstraintComponent":
            # pyshacl lists a set: built the same way here, it iterates in the same order
            values = set(self.sg.objects(s.node, URIRef(SH + "hasValue")))
            the_set = [self.shape_text(v) for v in values]
            if s.path is not None:
                where = f"{self.data_text(raw.focus, focus)}->{self.shape_text(s.path)}"
                return f"Node {where} does not contain a value in the set: {the_set}"
            return (
                f"Node {self.data_text(raw.focus, focus)} value is not a in the set of "
                f"values: {the_set}"
            )
        if c == "OrConstraintComponent":
            lists = [lst for lst, _members in s.ors]
            texts = [" , ".join(self.shape_text(m) for m in self.sg.items(lst)) for lst in lists]
            text = texts[0] if len(texts) < 2 else " and ".join(f"({t})" for t in texts)
            assert value is not None
            shown = self.data_text(raw.value, value)
            return f"Node {shown} must conform to one or more shapes in {text}"
        if c in ("QualifiedMinCountConstraintComponent", "QualifiedMaxCountConstraintComponent"):
            _shape, low, high, node = s.qualified[0]
            counts = (f" MinCount {low}" if low is not None else "") + (
                f" MaxCount {high}" if high is not None else ""
            )
            return f"Focus node does not conform to shape{counts}: {self.shape_text(node)}"
        raise AssertionError(c)  # pragma: no cover
