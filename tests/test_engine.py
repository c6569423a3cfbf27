"""The engine layer on pyoxigraph: the fast paths give what the reference paths give.

* JSON-LD: the fast compactor (``ssc_kg.jsonld.compact_fast``) writes exactly the bytes
  of the pyld reference (``compact_reference``), on the shipped data, the fixtures and
  generated datasets, or declines (and the reference is used);
* the canonical form: the same order, labels and bytes as the previous implementation
  (pyoxigraph ``Dataset`` + RDFC-1.0 + a sort by term strings);
* exports of fixtures are byte-identical to the ones recorded before the engine layer;
* the rdflib-facing API (``load``, ``serialize``, ``query``, ``stats``) equals the
  pyoxigraph-native functions under it;
* ``export``, ``query``, ``stats`` and ``load`` never import rdflib, pyshacl or pyld.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ssc_kg
from ssc_kg.formats import FORMATS
from ssc_kg.io import (
    canonical,
    canonical_quads,
    load,
    oxigraph_quads,
    parse_quads,
    quads_to_dataset,
    serialize,
    serialize_quads,
    source_paths,
    used_prefixes,
)
from ssc_kg.jsonld import Unsupported, compact_fast, compact_reference, to_jsonld
from ssc_kg.namespaces import PREFIXES
from ssc_kg.query import query, query_quads
from ssc_kg.stats import stats, stats_quads, stats_store

from .conftest import EXTRA, FIXTURES, ILLTYPED, INLINE_JSONLD, SAMPLE, SHAPES, VIOLATIONS

SSC = "https://w3id.org/ssc-kg/def#"
SSCID = "https://w3id.org/ssc-kg/id/"
SSCG = "https://w3id.org/ssc-kg/graph/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

FIXTURE_SETS = {
    "sample+extra": [SAMPLE, EXTRA],
    "sample": [SAMPLE],
    "extra": [EXTRA],
    "violations": [VIOLATIONS],
    "illtyped": [ILLTYPED],
    "inline": [INLINE_JSONLD],
    "shapes": [SHAPES],
    "all": [SAMPLE, EXTRA, VIOLATIONS, ILLTYPED, INLINE_JSONLD],
}


def _sets() -> dict[str, list[Path]]:
    return {"shipped": [Path(p) for p in source_paths([], shipped=True)], **FIXTURE_SETS}


# --------------------------------------------------------------------------- JSON-LD


@pytest.mark.parametrize("name", list(_sets()))
def test_fast_jsonld_is_the_reference_on_real_data(name: str) -> None:
    quads = canonical(parse_quads(_sets()[name])).items
    fast = compact_fast(quads)
    assert fast == compact_reference(quads)
    assert to_jsonld(quads) == fast


def test_the_shipped_context_is_handled_by_the_fast_path() -> None:
    from ssc_kg.jsonld import _project_context

    assert _project_context() is not None


# Terms of every kind in our context, as IRIs: a language map, an @id-typed term, a
# datatype-coerced term, a plain term, keyword-alias lookalikes.
_PROPERTIES = [
    "http://www.w3.org/2000/01/rdf-schema#label",  # label: @container @language
    "http://schema.org/about",  # about: @type @id
    "http://schema.org/byMonth",  # byMonth: @type xsd:integer
    "http://schema.org/foundingDate",  # foundingDate: @type xsd:gYear
    SSC + "documentSymbol",  # documentSymbol: plain term
    "http://www.w3.org/2004/02/skos/core#notation",  # notation: plain term
    RDF + "type",  # @type when the object is a node
    SSC + "v",  # a compact IRI ssc:v
    "http://schema.org/",  # exactly a prefix: the term "schema"
    "http://example.org/p",  # no prefix
    "http://example.org/p!",  # sorts before ".../p" in JSON text
    "urn:x:ünïcode",
]
_NODES = [
    SSCID + "a",
    SSCID + "b",
    SSCID + "b!",
    SSC + "Class",
    SSCG + "g1",
    "http://schema.org/",
    "http://schema.org/about",  # a term's IRI as a node or a class
    "http://www.w3.org/2004/02/skos/core#notation",
    "http://example.org/x",
    "http://example.org/x/",
    "urn:isbn:123",
    "label:looks-like-a-term",
    "id:looks-like-a-keyword-alias",
]
_RARE_NODES = ["ssc:looks-like-a-curie"]  # confusable with a compact IRI: the fast path declines
_DATATYPES = [
    XSD + "integer",
    XSD + "gYear",
    XSD + "date",
    XSD + "boolean",
    "http://example.org/dt",
    "http://schema.org/about",  # a datatype that is also a term's IRI
]
_RARE_DATATYPES = [RDF + "JSON"]  # pyld parses it: the fast path declines
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\ufeff")
    | st.sampled_from('\n\t"\\<>&{}@#!:/ \x01'),
    max_size=12,
)
_IRIS = st.sampled_from(_NODES)
_BLANKS = st.sampled_from(["x", "y", "z"]).map(ox.BlankNode)
_SUBJECTS = st.one_of(_IRIS.map(ox.NamedNode), _BLANKS)
_LITERALS = st.one_of(
    _TEXT.map(ox.Literal),
    st.tuples(_TEXT, st.sampled_from(["en", "id", "fr", "en-us", "zh-hant"])).map(
        lambda t: ox.Literal(t[0], language=t[1])
    ),
    st.tuples(
        st.one_of(_TEXT, st.integers(-5, 2000).map(str)),
        st.sampled_from(_DATATYPES),
    ).map(lambda t: ox.Literal(t[0], datatype=ox.NamedNode(t[1]))),
)
_OBJECTS = st.one_of(_IRIS.map(ox.NamedNode), _BLANKS, _LITERALS)
_GRAPHS = st.one_of(
    st.just(ox.DefaultGraph()),
    st.sampled_from([SSCG + "g1", SSCG + "g2", "http://example.org/g"]).map(ox.NamedNode),
    st.just(ox.BlankNode("g")),
)
_QUADS = st.lists(
    st.builds(
        ox.Quad, _SUBJECTS, st.sampled_from(_PROPERTIES).map(ox.NamedNode), _OBJECTS, _GRAPHS
    ),
    max_size=25,
)


# What the fast path declines: an IRI pyld would read back as a compact IRI, an RDF
# list (rdf:nil), an rdf:JSON literal.
_RARE = st.one_of(
    st.builds(
        ox.Quad,
        st.sampled_from(_RARE_NODES).map(ox.NamedNode),
        st.sampled_from(_PROPERTIES).map(ox.NamedNode),
        _OBJECTS,
    ),
    st.builds(
        ox.Quad,
        _SUBJECTS,
        st.sampled_from(_PROPERTIES).map(ox.NamedNode),
        st.one_of(
            st.just(ox.NamedNode(RDF + "nil")),
            st.sampled_from(_RARE_NODES).map(ox.NamedNode),
            st.just(ox.Literal("{}", datatype=ox.NamedNode(_RARE_DATATYPES[0]))),
        ),
        _GRAPHS,
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_QUADS)
def test_fast_jsonld_is_the_reference_property(quads: list[ox.Quad]) -> None:
    items = canonical(quads).items
    fast = compact_fast(items)  # this data is all within the fast path
    assert fast == compact_reference(items)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_QUADS, st.lists(_RARE, min_size=1, max_size=2))
def test_fast_jsonld_declines_what_it_does_not_handle(
    quads: list[ox.Quad], rare: list[ox.Quad]
) -> None:
    items = canonical(quads + rare).items
    try:
        fast = compact_fast(items)
    except Unsupported:
        event("declined")
        try:
            reference = to_jsonld(items)
        except ssc_kg.SscKgError:
            event("the reference fails too")
        else:
            assert reference == compact_reference(items)
        return
    event("fast path")  # e.g. rdf:nil under a property pyld does not make a list of
    assert fast == compact_reference(items)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.builds(
            ox.Quad,
            st.sampled_from(_NODES[:9]).map(ox.NamedNode),
            st.sampled_from(_PROPERTIES[:9]).map(ox.NamedNode),
            st.one_of(st.sampled_from(_NODES[:9]).map(ox.NamedNode), _LITERALS),
            st.sampled_from([SSCG + "g1", SSCG + "g2", SSCG + "g3"]).map(ox.NamedNode),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_named_graph_order_ties(quads: list[ox.Quad]) -> None:
    """Several graphs starting with the same node: ordered by their whole @graph text."""
    items = canonical(quads).items
    try:
        fast = compact_fast(items)
    except Unsupported:
        return
    assert fast == compact_reference(items)


def test_declined_inputs_fall_back_to_the_reference() -> None:
    nil = [ox.Quad(ox.NamedNode(SSCID + "a"), ox.NamedNode(SSC + "v"), ox.NamedNode(RDF + "nil"))]
    with pytest.raises(Unsupported):
        compact_fast(nil)
    assert to_jsonld(nil) == compact_reference(nil)
    confusable = [ox.Quad(ox.NamedNode("ssc:x"), ox.NamedNode(SSC + "v"), ox.Literal("1"))]
    with pytest.raises(Unsupported):
        compact_fast(confusable)
    with pytest.raises(ssc_kg.SscKgError, match="confused with prefix"):
        to_jsonld(confusable)


def test_an_unsupported_context_declines() -> None:
    from ssc_kg.jsonld import _build_context

    for context in (
        {"@vocab": "http://e/"},
        {"@language": "en"},
        {"p": {"@id": "http://e/p", "@container": "@list"}},
        {"p": {"@id": "http://e/p", "@type": "@vocab"}},
        {"p": {"@reverse": "http://e/p"}},
        {"e:p": "http://e/p"},
    ):
        with pytest.raises(Unsupported):
            _build_context(context)


def test_reference_keeps_backslashes_and_control_characters() -> None:
    """The reference reads quads directly (not N-Quads text through pyld's parser)."""
    value = 'a\\nb "quoted" \x08 \u2028 end'
    quads = [ox.Quad(ox.NamedNode(SSCID + "a"), ox.NamedNode(SSC + "v"), ox.Literal(value))]
    document = json.loads(compact_reference(quads))
    assert document["@graph"][0]["ssc:v"] == value
    assert compact_fast(quads) == compact_reference(quads)


# --------------------------------------------------------------------------- canonical form


def _previous_canonical(quads: list[ox.Quad], union: bool) -> list[ox.Quad]:
    """The canonical form as the code before the engine layer computed it."""

    def key(q: ox.Quad) -> tuple[int, str, str, str, str]:
        default = isinstance(q.graph_name, ox.DefaultGraph)
        name = "" if default else str(q.graph_name)
        return (0 if default else 1, name, str(q.subject), str(q.predicate), str(q.object))

    if union:
        quads = [ox.Quad(q.subject, q.predicate, q.object) for q in quads]
    dataset = ox.Dataset(quads)
    if any(
        isinstance(t, ox.BlankNode) for q in dataset for t in (q.subject, q.object, q.graph_name)
    ):
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(dataset, key=key)


def _previous_prefixes(quads: list[ox.Quad]) -> dict[str, str]:
    iris = set()
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal) and term.datatype.value not in (
                XSD + "string",
                RDF + "langString",
            ):
                iris.add(term.datatype.value)
    return {p: ns for p, ns in sorted(PREFIXES.items()) if any(iri.startswith(ns) for iri in iris)}


_ANY_NODES = st.one_of(
    st.sampled_from(["http://e/a", "http://e/a!", "http://e/ab", "http://e/a b"[:10]]).map(
        ox.NamedNode
    ),
    st.sampled_from(["b1", "b10", "b2", "x"]).map(ox.BlankNode),
    st.sampled_from(list(PREFIXES.values())).map(lambda ns: ox.NamedNode(ns + "t")),
)
_ANY_QUADS = st.lists(
    st.builds(
        ox.Quad,
        _ANY_NODES,
        st.sampled_from(["http://e/p", "http://e/p2", RDF + "type"]).map(ox.NamedNode),
        st.one_of(_ANY_NODES, _LITERALS),
        st.one_of(
            st.just(ox.DefaultGraph()),
            st.sampled_from(["http://e/g", "http://e/g!", "http://e/gg"]).map(ox.NamedNode),
            st.sampled_from(["g", "g1"]).map(ox.BlankNode),
        ),
    ),
    max_size=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ANY_QUADS, st.booleans())
def test_canonical_form_is_the_previous_one(quads: list[ox.Quad], union: bool) -> None:
    result = canonical(quads + quads[:3], union=union)
    expected = _previous_canonical(quads, union)
    got = canonical_quads(quads + quads[:3], union=union)
    assert got == expected
    assert [str(q) for q in got] == result.lines
    if union:
        assert result.items == [q.triple for q in expected]
        assert result.to_bytes() == ox.serialize(
            [q.triple for q in expected], format=ox.RdfFormat.N_TRIPLES
        )
    else:
        assert result.items == expected
        assert result.to_bytes() == ox.serialize(expected, format=ox.RdfFormat.N_QUADS)
    assert used_prefixes(result.lines) == _previous_prefixes(expected)
    assert result.default_graph == sum(isinstance(q.graph_name, ox.DefaultGraph) for q in got)


def test_used_prefixes_ignore_iris_inside_literals() -> None:
    quads = [
        ox.Quad(
            ox.NamedNode("http://e/s"),
            ox.NamedNode("http://e/p"),
            ox.Literal("<http://schema.org/x>"),
        ),
        ox.Quad(
            ox.NamedNode("http://e/s"),
            ox.NamedNode("http://e/p"),
            ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
        ),
    ]
    assert used_prefixes(canonical(quads).lines) == {"xsd": XSD}


# --------------------------------------------------------------------------- exports


# SHA-256 of `ssc-kg export --no-shipped --data ... --format F` recorded with the code
# before the engine layer (rdflib Dataset in the middle, pyld reading N-Quads text).
RECORDED = {
    ("sample+extra", "turtle"): "fde1cd7f8d290779209dc6969e967c66f4bc7c8966069a113168ae6d611b0acb",
    ("sample+extra", "nt"): "b07499de293fe848264774043ac3b134a2f7ae3e853163b93dcabd6202e51293",
    ("sample+extra", "nquads"): "a940544fae19464eea9dd00808dc6bae1cc9d4fdb17b9aab5e6ce40570433f51",
    ("sample+extra", "trig"): "eaf899ba87b2d239dd6c8326f9eae7abbf6dfc2c2bedc2885c1cfcf2314fd2bb",
    ("sample+extra", "jsonld"): "af814dafd5f37603affd37bb24309d7b736f6e99e6f3f50c8394cb680c42bf61",
    ("sample+extra", "xml"): "2f3cb36ad62516cce4f3e8d45bab87142d24d931cde9e53a6220b6b754ed6895",
    ("sample", "turtle"): "2e019b967c67b5bfe1cfb4e17657aa1f41875cdef323d1bdf7b2d33992c0fc92",
    ("sample", "nt"): "77b1f38ac8b1a65226cd46cd38d7e2571bc77375e089304b1a9976b69cf1a137",
    ("sample", "nquads"): "5eee4d2a88acac2ef039f970290c71b5a9f3a82d13033aeaba7a763ce5c539d3",
    ("sample", "trig"): "423e43d1421975166d73b94b0897b93b66c107d3afc5629e5fa75cf209f26d3b",
    ("sample", "jsonld"): "d859a4f610f2081d1c64313dbcb58218042debf4f13e9d6e762825de10740036",
    ("sample", "xml"): "79d621888151fe55ed098a0c9a05c9fb386f5a23231ab32d225e22ae04d18157",
    ("extra", "turtle"): "85d292241248894d34b18842dc923b43f4ee1991c1d1374fb11c8eca7ead671b",
    ("extra", "nt"): "77eaafd994573c58a11188187ff8d443a07ec1209969fe62c28a0e98ab2820fd",
    ("extra", "nquads"): "77eaafd994573c58a11188187ff8d443a07ec1209969fe62c28a0e98ab2820fd",
    ("extra", "trig"): "85d292241248894d34b18842dc923b43f4ee1991c1d1374fb11c8eca7ead671b",
    ("extra", "jsonld"): "05d175926114a2cb450bb6bd3e756740acbb12c446b2aa40a5d7c6ecfe82dd9f",
    ("extra", "xml"): "baa8c55b0b29a62f207af35d359241b3acfdf02210b00475d60670d0a1ef001e",
    ("violations", "turtle"): "7279642aabb09330c36f0a5ad95f9b77e7e69dbfa1efb3bfb6b029e514352748",
    ("violations", "nt"): "3440d40131840af700af880f1789fe859bde16aee68805ad14b38eca376e8a29",
    ("violations", "nquads"): "7eff6e3a11c9b9225dddb8d9e60673433d8388de89add22111ba7888cefe66be",
    ("violations", "trig"): "821a030fce9c40002b8a72fe4ccbb3895eedd8b044fdde6516bc6a389dbf5265",
    ("violations", "jsonld"): "827a5c04ebc54486d7a60d5ac21cf87581fce091b61ff1f62f1e5f2ee487e71e",
    ("violations", "xml"): "f2e398efd2fb86cd6834c7ebeb51dec6722b419a83aa76d632b65919ab72e88e",
    ("illtyped", "turtle"): "1d312286fa9604c904f9399c08f0cb5845124396a6a4aa601ca229c4fb9687bf",
    ("illtyped", "nt"): "164716059cbeaf65e032709b37000b837f7245e3690bfdb89028274aaed4030d",
    ("illtyped", "nquads"): "164716059cbeaf65e032709b37000b837f7245e3690bfdb89028274aaed4030d",
    ("illtyped", "trig"): "1d312286fa9604c904f9399c08f0cb5845124396a6a4aa601ca229c4fb9687bf",
    ("illtyped", "jsonld"): "1ab7ab8a325593ffd0ee568e46266b3b69c833285c58a9ea75fef0c431bcb3e7",
    ("illtyped", "xml"): "1c146aa91b69fb30003c51f7eebfcc5f08f6fe9fe7b28ed37abd2b4a8e7c896d",
    ("inline", "turtle"): "1b2e1117ed693459fd1ea8cb290586a6c5c6f216e7514498a4f2d4b8b3bfa5f3",
    ("inline", "nt"): "170de0e3727963002a17962941696bed4a939bd9729da75b45c2c75c27c750b0",
    ("inline", "nquads"): "520c129e1c4128b25c20b47e312af7ccb225f3276127139bb37aa5b0cae8c278",
    ("inline", "trig"): "969b0e03ed709788682d83ef4768ac739464a9f0054b3688f832db687d622a1b",
    ("inline", "jsonld"): "fe1d3b1da650f2fb5ffe48e90962c804a99d55dd936ca9590a776f36872644e0",
    ("inline", "xml"): "41c97464ef3a8653b52bdee060d860f2ba8edc232124ccb3656d620d8da7ce88",
    ("shapes", "turtle"): "63dd4b88138e49d9e419b26e56fdea9cadb76092914236b6a7ab861c8c561336",
    ("shapes", "nt"): "6bfc9388a5f55dff4ffe23cd76e95e3c3e04a17182bbdb0e1c14bdbdc05e5054",
    ("shapes", "nquads"): "6bfc9388a5f55dff4ffe23cd76e95e3c3e04a17182bbdb0e1c14bdbdc05e5054",
    ("shapes", "trig"): "63dd4b88138e49d9e419b26e56fdea9cadb76092914236b6a7ab861c8c561336",
    ("shapes", "jsonld"): "46c2755e6de4cca8af7f8a443c7efeaf6f8496c84edd2ac031d8006eee008134",
    ("shapes", "xml"): "10df57472142b246951d3c533b0f65139b79688fb47e60f0892633cc8d7cb234",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(RECORDED))
def test_exports_are_the_recorded_ones(name: str, fmt: str) -> None:
    output = serialize_quads(parse_quads(FIXTURE_SETS[name]), fmt)
    assert hashlib.sha256(output).hexdigest() == RECORDED[(name, fmt)]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_rdflib_api_equals_the_engine(fmt: str) -> None:
    files = FIXTURE_SETS["all"]
    assert serialize(load(files, shipped=False), fmt) == serialize_quads(parse_quads(files), fmt)


# --------------------------------------------------------------------------- parsing


def test_load_is_parse_quads_converted() -> None:
    files = [SAMPLE, EXTRA, INLINE_JSONLD]
    assert sorted(map(str, oxigraph_quads(load(files, shipped=False)))) == sorted(
        map(str, parse_quads(files))
    )


def test_blank_nodes_are_numbered_by_first_appearance_per_file(tmp_path: Path) -> None:
    one, two = tmp_path / "one.ttl", tmp_path / "two.nt"
    one.write_text("_:x <http://e/p> [ <http://e/q> _:x ] .\n", encoding="utf-8")
    two.write_text('_:x <http://e/p> "v" .\n', encoding="utf-8")
    lines = [str(q) for q in parse_quads([one, two])]
    assert lines == [  # in parser order: the Turtle parser emits the inner triple first
        "_:b0 <http://e/q> _:b1",
        "_:b1 <http://e/p> _:b0",
        '_:b2 <http://e/p> "v"',
    ]
    dataset = quads_to_dataset(parse_quads([one, two]))
    assert {str(s) for s in dataset.default_graph.subjects()} == {"b0", "b1", "b2"}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "t.ttl",
            "<http://e/s> <http://e/p> <<( <http://e/a> <http://e/b> <http://e/c> )>> .\n",
            "triple terms",
        ),
        ("d.ttl", '<http://e/s> <http://e/p> "x"@en--ltr .\n', "directional"),
        ("r.ttl", "@prefix : <http://e/> . :s :p :o ~ :r .\n", "triple terms"),
        ("a.trig", "@prefix : <http://e/> . :s :p :o {| :q :z |} .\n", "triple terms"),
        ("d.nq", '<http://e/s> <http://e/p> "x"@ar--rtl <http://e/g> .\n', "directional"),
        (
            "d.jsonld",
            '{"@id": "http://e/s", "http://e/p": '
            '{"@value": "x", "@language": "ar", "@direction": "rtl"}}',
            "directional",
        ),
    ],
)
def test_rdf12_terms_are_refused(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ssc_kg.InputError, match=message) as excinfo:
        parse_quads([path])
    assert str(excinfo.value).startswith(str(path))


# --------------------------------------------------------------------------- query, stats


def test_query_api_equals_the_engine() -> None:
    files = [SAMPLE, EXTRA]
    sparql = (
        "SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } "
        "ORDER BY ?s ?p ?o ?g"
    )
    api = query(load(files, shipped=False), sparql)
    engine = query_quads(parse_quads(files), sparql)
    for fmt in ("table", "csv", "tsv", "json", "xml"):
        assert api.serialize(fmt) == engine.serialize(fmt)
    assert api.rows == engine.rows


def test_query_result_converts_to_rdflib_lazily() -> None:
    code = (
        "import sys\n"
        "from ssc_kg.io import parse_quads\n"
        "from ssc_kg.query import query_quads\n"
        f"r = query_quads(parse_quads([{str(SAMPLE)!r}]), 'SELECT * {{ ?s ?p ?o }}')\n"
        "r.serialize('table'); r.serialize('csv')\n"
        "print('rdflib' in sys.modules)\n"
        "r.rows\n"
        "print('rdflib' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("name", list(_sets()))
def test_stats_api_engine_and_store_agree(name: str) -> None:
    files = _sets()[name]
    quads = parse_quads(files)
    expected = stats(load(files, shipped=False))
    assert stats_quads(quads) == expected
    store = ox.Store()
    store.extend(quads)
    assert stats_store(store) == expected


# --------------------------------------------------------------------------- lazy imports

_HEAVY = "{'rdflib', 'pyshacl', 'pyld', 'owlrl'}"


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "jsonld"],
        ["export", "--format", "turtle"],
        ["export", "--format", "nt", "--no-shipped", "--data", str(SAMPLE)],
        ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"],
        ["stats"],
    ],
    ids=["jsonld", "turtle", "nt", "query", "stats"],
)
def test_cli_paths_do_not_import_rdflib_pyshacl_or_pyld(args: list[str], tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from ssc_kg.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {_HEAVY}), file=sys.stderr)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert completed.stderr.strip() == "[]"
    assert completed.stdout


def test_store_paths_do_not_import_rdflib(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from ssc_kg.cli import main\n"
        f"for args in (['load', '--store', 'st'], ['export', '--store', 'st', '-o', 'x.jsonld'],"
        " ['stats', '--store', 'st'], ['query', '--store', 'st', 'ASK {}']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as exit:\n"
        "        assert not exit.code, exit.code\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {_HEAVY}), file=sys.stderr)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert completed.stderr.strip() == "[]"


def test_fixture_folder_is_the_one_the_digests_were_recorded_from() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == [
        "extra.ttl",
        "illtyped.ttl",
        "inline.jsonld",
        "malformed.ttl",
        "query-select.rq",
        "remote-context.jsonld",
        "sample.trig",
        "shapes.ttl",
        "violations.trig",
    ]


def test_stats_count_a_resource_once_per_class_text() -> None:
    s, c = ox.NamedNode("http://e/s"), "http://e/C"
    a = ox.NamedNode(RDF + "type")
    quads = [
        ox.Quad(s, a, ox.NamedNode(c)),
        ox.Quad(s, a, ox.Literal(c)),  # same text as the IRI
        ox.Quad(ox.NamedNode("http://e/t"), a, ox.NamedNode(c), ox.NamedNode("http://e/g")),
    ]
    store = ox.Store()
    store.extend(quads)
    assert stats_quads(quads).classes == stats_store(store).classes == ((c, 2),)
    assert stats_quads(quads) == stats(quads_to_dataset(quads)) == stats_store(store)
