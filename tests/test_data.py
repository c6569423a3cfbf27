"""The shipped dataset (data/*.trig): syntax, SHACL conformance, and the curation rules
that SHACL cannot express (docs/CONTRACT.md, data/README.md).

Files are parsed with pyoxigraph, a strict parser independent of the library's rdflib
loader; SHACL validation goes through the library API, ``ssc_kg.validate()``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path
from typing import TypeAlias

import pyoxigraph as ox
import pytest

import ssc_kg

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SEEDS_DIR = Path(__file__).resolve().parent / "seeds"
DATA_FILES = sorted(DATA_DIR.glob("*.trig"))
SEED_FILES = sorted(SEEDS_DIR.glob("*.txt"))

SSC = "https://w3id.org/ssc-kg/def#"
SSCID = "https://w3id.org/ssc-kg/id/"
SSCG = "https://w3id.org/ssc-kg/graph/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
PROV_DERIVED = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
SCHEMA = "http://schema.org/"
VOCABULARY_GRAPH = ox.NamedNode(SSCG + "vocabulary")
GRAPH_KINDS = {
    ox.NamedNode(SSC + name)
    for name in ("Claim", "SeedClaim", "PrimarySourceClaim", "CuratorInference", "CuratedGraph")
}
DECLARATION_TYPES = {
    ox.NamedNode("http://www.w3.org/2002/07/owl#" + name)
    for name in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")
} | {ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#Property")}

# Seed lines (paragraphs) that state no fact, so no claim quotes them. Keyed by
# (seed file, line number from 1): (the line's exact text, why it has no claim).
NON_FACT_LINES: dict[tuple[str, int], tuple[str, str]] = {
    ("000_547bc55838324597.txt", 10): ("Tujuan", "section heading (Objectives)"),
    ("001_2b33faccb3762f74.txt", 2): (
        "Lantas, apa itu Kerja Sama Selatan-Selatan?",
        "rhetorical question introducing the next section",
    ),
    ("001_2b33faccb3762f74.txt", 3): (
        "Pengertian Kerja Sama Selatan-Selatan",
        "section heading (Definition of South-South Cooperation)",
    ),
    ("001_2b33faccb3762f74.txt", 5): (
        "SCROLL TO CONTINUE WITH CONTENT",
        "page furniture of the publisher's site",
    ),
    ("001_2b33faccb3762f74.txt", 9): (
        "Tujuan Kerja Sama Selatan-Selatan",
        "section heading (Objectives of South-South Cooperation)",
    ),
    ("001_2b33faccb3762f74.txt", 19): (
        "Itulah arti dari Kerja Sama Selatan-Selatan serta tujuannya.",
        "closing summary that repeats the article, no new fact",
    ),
}


def parse(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))


QUADS: list[ox.Quad] = [q for path in DATA_FILES for q in parse(path)]
DEFAULT = ox.DefaultGraph()
Term: TypeAlias = "ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple"


def objects(subject: ox.NamedNode, predicate: ox.NamedNode) -> list[Term]:
    return sorted(
        {q.object for q in QUADS if q.subject == subject and q.predicate == predicate}, key=str
    )


def one(subject: ox.NamedNode, predicate: ox.NamedNode) -> Term:
    values = objects(subject, predicate)
    assert len(values) == 1, f"{subject} {predicate}: expected one value, got {values}"
    return values[0]


def one_iri(subject: ox.NamedNode, predicate: ox.NamedNode) -> ox.NamedNode:
    value = one(subject, predicate)
    assert isinstance(value, ox.NamedNode), f"{subject} {predicate}: {value} is not an IRI"
    return value


def one_int(subject: ox.NamedNode, predicate: ox.NamedNode) -> int:
    value = one(subject, predicate)
    assert isinstance(value, ox.Literal), f"{subject} {predicate}: {value} is not a literal"
    return int(value.value)


def seed_lines(name: str) -> list[str]:
    """A seed's paragraphs: its lines, numbered from 1 (no trailing newline in the files)."""
    return (SEEDS_DIR / name).read_text(encoding="utf-8").split("\n")


def seed_claims() -> list[ox.NamedNode]:
    seed_claim = ox.NamedNode(SSC + "SeedClaim")
    return sorted(
        {
            q.subject
            for q in QUADS
            if q.predicate == RDF_TYPE
            and q.object == seed_claim
            and isinstance(q.subject, ox.NamedNode)
        },
        key=str,
    )


def article_seed_files() -> dict[ox.NamedNode, str]:
    """Article -> its ssc:seedFile."""
    seed_file = ox.NamedNode(SSC + "seedFile")
    return {
        q.subject: q.object.value
        for q in QUADS
        if q.predicate == seed_file
        and isinstance(q.subject, ox.NamedNode)
        and isinstance(q.object, ox.Literal)
    }


def local(iri: ox.NamedNode) -> str:
    return str(iri.value).rsplit("/", 1)[-1]


def test_there_is_data() -> None:
    assert DATA_FILES, "no data/*.trig"
    assert SEED_FILES, "no tests/seeds/*.txt"


# ------------------------------------------------------------------------------ syntax


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_parses_with_pyoxigraph(path: Path) -> None:
    quads = parse(path)
    assert quads
    assert len(set(quads)) == len(quads), "a quad is repeated within the file"


RAPPER = shutil.which("rapper")


@pytest.mark.skipif(RAPPER is None, reason="rapper not on PATH (apt-get install raptor2-utils)")
@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_rapper_reads_the_same_quads(path: Path, tmp_path: Path) -> None:
    """raptor (a strict C parser) reads the same quads as pyoxigraph. raptor 2.0.15
    implements TriG without the optional GRAPH keyword of TriG 1.1 (``GRAPH g { }`` is a
    syntax error to it, ``g { }`` is the same block), so the keyword is dropped first."""
    text = path.read_text(encoding="utf-8")
    legacy = re.sub(r"(?m)^GRAPH[ \t]+", "", text)
    copy = tmp_path / path.name
    copy.write_text(legacy, encoding="utf-8")
    done = subprocess.run(
        [RAPPER or "rapper", "-q", "-i", "trig", "-o", "nquads", str(copy)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr.strip(), done.stderr.decode()
    theirs = set(ox.parse(input=done.stdout, format=ox.RdfFormat.N_QUADS))
    assert theirs == set(parse(path))


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_blank_nodes(path: Path) -> None:
    blank = [
        q
        for q in parse(path)
        if any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object, q.graph_name))
    ]
    assert not blank, f"{len(blank)} quads with blank nodes, e.g. {blank[0]}"


# ------------------------------------------------------------------------------ SHACL


def test_shipped_data_conforms_with_the_one_known_warning() -> None:
    report = ssc_kg.validate()
    violations = [r.to_text() for r in report.results if r.severity == "Violation"]
    assert not violations, "\n".join(violations)
    assert report.conforms
    others = [
        (str(r.focus_node), str(r.path), r.severity)
        for r in report.results
        if r.severity != "Violation"
    ]
    # The detikNews archive page: the seed cites it without naming its website.
    assert others == [(SSCID + "webpage-detiknews-archive", SCHEMA + "isPartOf", "Warning")]


# -------------------------------------------------------------------- provenance graphs


def test_every_named_graph_is_described_in_the_default_graph() -> None:
    named = {q.graph_name for q in QUADS} - {DEFAULT}
    described = {
        q.subject
        for q in QUADS
        if q.graph_name == DEFAULT and q.predicate == RDF_TYPE and q.object in GRAPH_KINDS
    }
    assert not sorted(named - described, key=str), "named graphs without a description"
    assert not sorted(described - named, key=str), "described graphs that hold no triple"
    assert all(isinstance(g, ox.NamedNode) and g.value.startswith(SSCG) for g in named)


def test_claim_descriptions_live_in_the_default_graph() -> None:
    misplaced = [
        q
        for q in QUADS
        if q.predicate == RDF_TYPE and q.object in GRAPH_KINDS and q.graph_name != DEFAULT
    ]
    assert not misplaced


# ---------------------------------------------------------------------- seed sentences


@pytest.mark.parametrize("claim", seed_claims(), ids=local)
def test_seed_quotation_is_verbatim(claim: ox.NamedNode) -> None:
    """The claim's ssc:quotation occurs verbatim in line ssc:paragraph of the seed file
    named by its article's ssc:seedFile."""
    article = one_iri(claim, PROV_DERIVED)
    seed = article_seed_files().get(article)
    assert seed, f"{article} has no ssc:seedFile"
    assert (SEEDS_DIR / seed).is_file(), f"no tests/seeds/{seed}"
    paragraph = one_int(claim, ox.NamedNode(SSC + "paragraph"))
    quotation = one(claim, ox.NamedNode(SSC + "quotation"))
    assert isinstance(quotation, ox.Literal)
    assert quotation.language == "id"
    lines = seed_lines(seed)
    assert 1 <= paragraph <= len(lines), f"{seed} has {len(lines)} lines"
    assert quotation.value, "empty quotation"
    assert quotation.value in lines[paragraph - 1], (
        f"not in {seed} line {paragraph}: {quotation.value!r}\nline: {lines[paragraph - 1]!r}"
    )


def test_seed_claims_are_numbered_uniquely() -> None:
    keys = Counter(
        (
            one_iri(claim, PROV_DERIVED).value,
            one_int(claim, ox.NamedNode(SSC + "paragraph")),
            one_int(claim, ox.NamedNode(SSC + "sentence")),
        )
        for claim in seed_claims()
    )
    assert not [key for key, n in keys.items() if n > 1]


def test_every_seed_file_belongs_to_an_article() -> None:
    assert sorted(article_seed_files().values()) == [p.name for p in SEED_FILES]


@pytest.mark.parametrize("seed", SEED_FILES, ids=lambda p: p.name)
def test_every_seed_line_is_claimed_or_a_listed_non_fact(seed: Path) -> None:
    articles = {a for a, name in article_seed_files().items() if name == seed.name}
    paragraph = ox.NamedNode(SSC + "paragraph")
    covered = {
        one_int(claim, paragraph)
        for claim in seed_claims()
        if one_iri(claim, PROV_DERIVED) in articles
    }
    lines = seed_lines(seed.name)
    listed = {n: entry for (name, n), entry in NON_FACT_LINES.items() if name == seed.name}
    for n, (text, _reason) in listed.items():
        assert 1 <= n <= len(lines), f"{seed.name} has no line {n}"
        assert lines[n - 1] == text, f"line {n} is not {text!r}"
        assert n not in covered, f"line {n} is claimed: remove it from NON_FACT_LINES"
    unclaimed = [
        f"{n}: {line[:80]!r}"
        for n, line in enumerate(lines, 1)
        if n not in covered and n not in listed
    ]
    assert not unclaimed, "seed lines with no claim:\n" + "\n".join(unclaimed)
    assert covered <= set(range(1, len(lines) + 1)), "claims quote lines the seed lacks"


# ------------------------------------------------------------------- vocabulary & labels


def test_ssc_terms_used_are_declared_in_the_vocabulary() -> None:
    declared = {
        q.subject
        for q in QUADS
        if q.graph_name == VOCABULARY_GRAPH
        and q.predicate == RDF_TYPE
        and q.object in DECLARATION_TYPES
    }
    used = {q.predicate for q in QUADS if q.predicate.value.startswith(SSC)}
    used |= {
        q.object
        for q in QUADS
        if q.predicate == RDF_TYPE
        and isinstance(q.object, ox.NamedNode)
        and q.object.value.startswith(SSC)
    }
    missing = sorted(t.value for t in used - declared)
    assert not missing, f"ssc: terms not declared in sscg:vocabulary: {missing}"


def test_every_resource_has_one_indonesian_and_one_english_label() -> None:
    resources = {
        t
        for q in QUADS
        for t in (q.subject, q.object)
        if isinstance(t, ox.NamedNode) and t.value.startswith(SSCID)
    }
    languages: dict[ox.NamedNode, list[str]] = defaultdict(list)
    for s, o in {(q.subject, q.object) for q in QUADS if q.predicate == RDFS_LABEL}:
        if isinstance(s, ox.NamedNode):
            languages[s].append(o.language if isinstance(o, ox.Literal) and o.language else "")
    wrong = {
        local(r): sorted(languages[r]) for r in resources if sorted(languages[r]) != ["en", "id"]
    }
    assert resources
    assert not wrong, f"resources without exactly one @id and one @en rdfs:label: {wrong}"
