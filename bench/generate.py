"""Synthetic SSC-shaped RDF for benchmarks: deterministic for a seed, streamed.

The data looks like the curated graph (``data/*.trig``) repeated many times over, with
IRIs under ``https://example.org/ssc-bench/`` and the project's vocabulary:

* one entities graph (``<https://example.org/ssc-bench/graph/entities>``, described in the
  default graph as a ``ssc:CuratedGraph``) with the types and the ``@id``/``@en``
  ``rdfs:label`` of every resource;
* per *cluster* (the unit that repeats): a formal organization, an organizational unit of it,
  an agency, a news publisher, a journalist, a General Assembly-style resolution
  (``schema:Legislation`` + ``undo:Resolution`` + ``prov:Entity``), a plan of action with
  3 to 8 ``ssc:Objective`` concepts in a concept scheme, an event, a web site and page, and
  1 to 3 news articles (``schema:NewsArticle`` + ``prov:Entity``);
* most of the volume: claims, one named graph per source sentence holding what the sentence
  states, described in the default graph (``ssc:SeedClaim``, ``prov:wasDerivedFrom`` the
  article, ``ssc:paragraph``, ``ssc:sentence``, ``ssc:quotation "…"@id``), plus one
  ``ssc:PrimarySourceClaim`` per resolution citing its document symbol (``A/RES/NN/NNN``).

The data conforms to the shipped shapes (``shapes/*.ttl``), alone or together with the
shipped data, except for the deliberate violations injected at rate ``violations``: an entity
without its ``@en`` label, a resolution with a malformed document symbol, a seed claim without
``prov:wasDerivedFrom``. Each eligible item is hit with probability ``violations``, drawn from a
random stream of its own, and a quad a violation removes still counts towards ``n``, so the
rest of the data is the same whatever the rate.

``generate(n, seed)`` yields ``n`` quads (within 1 % for n >= 5000; at least one cluster, about
300 quads, whatever ``n``). Same ``(n, seed, violations)``, same quads in the same order, so the
files written by the command line are byte-identical from run to run.

Command line::

    python bench/generate.py --triples 100000 [--seed 0] [--violations 0.001] -o FILE.nq

The output format comes from the extension: ``.nq`` (N-Quads), ``.trig`` (TriG), ``.ttl``
(Turtle) or ``.nt`` (N-Triples). Turtle and N-Triples cannot hold named graphs: they get every
quad as a triple (graph names dropped, so a triple stated by several claims repeats).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

__all__ = ["BASE", "DEFAULT_VIOLATIONS", "ENTITIES_GRAPH", "PREFIXES", "generate", "write"]

BASE = "https://example.org/ssc-bench/"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
ENTITIES_GRAPH = GRAPH + "entities"
DEFAULT_VIOLATIONS = 0.001
"""Default rate of injected violations (per eligible item)."""

_NS = {
    "ssc": "https://w3id.org/ssc-kg/def#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dct": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "undo": "https://w3id.org/un/ontology/undo/",
}
PREFIXES = {**_NS, "bid": ID, "bg": GRAPH}
"""Prefixes used when writing TriG / Turtle."""


def _term(curie: str) -> ox.NamedNode:
    prefix, local = curie.split(":", 1)
    return ox.NamedNode(_NS[prefix] + local)


class _T:
    """The vocabulary terms, created once."""

    def __init__(self) -> None:
        for curie in (
            "rdf:type rdfs:label skos:prefLabel skos:inScheme skos:notation skos:definition "
            "skos:hasTopConcept skos:Concept skos:ConceptScheme skos:note "
            "ssc:CuratedGraph ssc:SeedClaim ssc:PrimarySourceClaim ssc:Objective "
            "ssc:PlanOfAction ssc:quotation ssc:paragraph ssc:sentence ssc:documentSymbol "
            "ssc:endorsedBy ssc:hasObjective ssc:facilitates ssc:mandate ssc:seedFile "
            "prov:Entity prov:Agent prov:wasDerivedFrom prov:hadPrimarySource "
            "prov:wasAttributedTo "
            "org:Organization org:FormalOrganization org:OrganizationalUnit org:unitOf "
            "org:subOrganizationOf "
            "schema:Organization schema:NewsMediaOrganization schema:Person schema:Legislation "
            "schema:Event schema:WebSite schema:WebPage schema:NewsArticle "
            "schema:parentOrganization schema:foundingDate schema:legislationDate "
            "schema:legislationPassedBy schema:legislationIdentifier schema:startDate "
            "schema:organizer schema:about schema:recordedIn schema:publisher schema:author "
            "schema:citation schema:isPartOf schema:inLanguage "
            "undo:Resolution xsd:integer xsd:date xsd:gYear"
        ).split():
            prefix, local = curie.split(":", 1)
            setattr(self, f"{prefix}_{local}", _term(curie))


_WORDS_ID = (
    "kerja sama selatan negara berkembang pembangunan teknis bantuan kapasitas kemandirian "
    "kolektif program perserikatan bangsa majelis umum resolusi rencana aksi tujuan kantor "
    "dukungan solidaritas masyarakat kesejahteraan nasional peningkatan inisiatif laman "
    "tahun pada untuk dan dengan yang dalam oleh dari sebagai antara melalui"
).split()
_WORDS_EN = (
    "cooperation south countries developing development technical assistance capacity "
    "self-reliance collective programme united nations general assembly resolution plan "
    "action objective office support solidarity peoples well-being national improvement "
    "initiative page year on for and with the in by from as among through"
).split()
_ORG_ID = ("Badan", "Dewan", "Komisi", "Lembaga", "Kantor", "Dana")
_ORG_EN = ("Agency", "Council", "Commission", "Institute", "Office", "Fund")
_TOPIC_ID = ("Kerja Sama Teknis", "Pembangunan", "Perdagangan", "Pangan", "Iklim", "Kesehatan")
_TOPIC_EN = ("Technical Cooperation", "Development", "Trade", "Food", "Climate", "Health")


class _Generator:
    def __init__(self, n_triples: int, seed: int, violations: float) -> None:
        self.n = n_triples
        self.rng = random.Random(seed)
        # violations come from their own stream: the data is the same whatever the rate
        self.vrng = random.Random(f"violations-{seed}")
        self.rate = violations
        self.t = _T()
        self.entities = ox.NamedNode(ENTITIES_GRAPH)
        self.default = ox.DefaultGraph()
        self.editors = ox.NamedNode(ID + "bench-editors")
        self.count = 0

    # ------------------------------------------------------------------ helpers

    def _violate(self) -> bool:
        return self.rate > 0 and self.vrng.random() < self.rate

    def _quad(self, s: ox.NamedNode, p: ox.NamedNode, o: object, g: object) -> ox.Quad:
        self.count += 1
        return ox.Quad(s, p, o, g)  # type: ignore[arg-type]

    def _sentence(self, words: tuple[str, ...] | list[str], lo: int, hi: int) -> str:
        rng = self.rng
        text = " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))
        return text[0].upper() + text[1:] + "."

    def _entity(
        self, node: ox.NamedNode, types: tuple[ox.NamedNode, ...], label_id: str, label_en: str
    ) -> Iterator[ox.Quad]:
        """Types and bilingual labels in the entities graph (maybe without the @en label)."""
        t, g = self.t, self.entities
        for cls in types:
            yield self._quad(node, t.rdf_type, cls, g)
        yield self._quad(node, t.rdfs_label, ox.Literal(label_id, language="id"), g)
        if not self._violate():
            yield self._quad(node, t.rdfs_label, ox.Literal(label_en, language="en"), g)
        else:
            self.count += 1  # counted all the same: the rest of the data does not move

    # ------------------------------------------------------------------ parts

    def header(self) -> Iterator[ox.Quad]:
        t, d, g = self.t, self.default, self.entities
        yield self._quad(g, t.rdf_type, t.ssc_CuratedGraph, d)
        yield self._quad(g, t.rdfs_label, ox.Literal("Entitas sintetis", language="id"), d)
        yield self._quad(g, t.rdfs_label, ox.Literal("Synthetic entities", language="en"), d)
        yield self._quad(g, t.prov_wasAttributedTo, self.editors, d)
        yield self._quad(self.editors, t.rdf_type, t.prov_Agent, g)
        yield self._quad(self.editors, t.rdf_type, t.schema_Organization, g)
        yield self._quad(
            self.editors, t.rdfs_label, ox.Literal("Editor tolok ukur", language="id"), g
        )
        yield self._quad(
            self.editors, t.rdfs_label, ox.Literal("Benchmark editors", language="en"), g
        )

    def _claim(
        self,
        cluster: int,
        article: ox.NamedNode,
        position: tuple[int, int],
        facts: list[tuple[ox.NamedNode, ox.NamedNode, object]],
        primary: ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """A seed claim: its description in the default graph, then its graph."""
        t, d = self.t, self.default
        paragraph, sentence = position
        short = article.value.rsplit("-", 1)[1]
        graph = ox.NamedNode(f"{GRAPH}article-{cluster}-{short}-p{paragraph:02d}s{sentence}")
        yield self._quad(graph, t.rdf_type, t.ssc_SeedClaim, d)
        if not self._violate():
            yield self._quad(graph, t.prov_wasDerivedFrom, article, d)
        else:
            self.count += 1
        if primary is not None:
            yield self._quad(graph, t.prov_hadPrimarySource, primary, d)
        yield self._quad(
            graph, t.ssc_paragraph, ox.Literal(str(position[0]), datatype=t.xsd_integer), d
        )
        yield self._quad(
            graph, t.ssc_sentence, ox.Literal(str(position[1]), datatype=t.xsd_integer), d
        )
        quotation = self._sentence(_WORDS_ID, 8, 24)
        yield self._quad(graph, t.ssc_quotation, ox.Literal(quotation, language="id"), d)
        for s, p, o in facts:
            yield self._quad(s, p, o, graph)

    def cluster(self, i: int) -> Iterator[ox.Quad]:
        """One self-contained SSC mini-world; yields its quads."""
        t, rng = self.t, self.rng

        def node(local: str) -> ox.NamedNode:
            return ox.NamedNode(f"{ID}{local}")

        def lit_id(text: str) -> ox.Literal:
            return ox.Literal(text, language="id")

        def lit_en(text: str) -> ox.Literal:
            return ox.Literal(text, language="en")

        kind = rng.randrange(len(_ORG_ID))
        topic = rng.randrange(len(_TOPIC_ID))
        org, unit, agency = node(f"org-{i}"), node(f"org-{i}-assembly"), node(f"org-{i}-agency")
        publisher, person = node(f"publisher-{i}"), node(f"person-{i}")
        res, plan, scheme = node(f"res-{i}"), node(f"plan-{i}"), node(f"plan-{i}-objectives")
        event, site, page = node(f"event-{i}"), node(f"site-{i}"), node(f"page-{i}")
        n_objectives = rng.randint(3, 8)
        objectives = [node(f"plan-{i}-objective-{j}") for j in range(1, n_objectives + 1)]
        n_articles = rng.randint(1, 3)
        articles = [node(f"article-{i}-{a}") for a in range(1, n_articles + 1)]
        session, number = 1 + i % 79, 100 + i // 79
        founded = rng.randint(1945, 2020)
        adopted = f"{rng.randint(1950, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

        # ------------------------------------------------ entities graph: types and labels
        org_cls, unit_cls = t.org_FormalOrganization, t.org_OrganizationalUnit
        yield from self._entity(
            org,
            (org_cls, t.schema_Organization),
            f"Organisasi Sintetis {i}",
            f"Synthetic Organization {i}",
        )
        yield from self._entity(
            unit,
            (unit_cls, t.schema_Organization),
            f"Majelis Organisasi Sintetis {i}",
            f"Assembly of Synthetic Organization {i}",
        )
        yield from self._entity(
            agency,
            (t.org_Organization, t.schema_Organization),
            f"{_ORG_ID[kind]} {_TOPIC_ID[topic]} {i}",
            f"{_TOPIC_EN[topic]} {_ORG_EN[kind]} {i}",
        )
        yield from self._entity(
            publisher,
            (t.org_Organization, t.schema_Organization, t.schema_NewsMediaOrganization),
            f"Media Berita {i}",
            f"News Media {i}",
        )
        yield from self._entity(person, (t.schema_Person,), f"Wartawan {i}", f"Journalist {i}")
        yield from self._entity(
            res,
            (t.schema_Legislation, t.undo_Resolution, t.prov_Entity),
            f"Resolusi Majelis Umum {session}/{number}",
            f"General Assembly resolution {session}/{number}",
        )
        yield from self._entity(
            plan,
            (t.ssc_PlanOfAction,),
            f"Rencana Aksi {_TOPIC_ID[topic]} {i}",
            f"Plan of Action on {_TOPIC_EN[topic]} {i}",
        )
        g = self.entities
        yield from self._entity(
            scheme,
            (t.skos_ConceptScheme,),
            f"Tujuan Rencana Aksi {i}",
            f"Objectives of Plan of Action {i}",
        )
        yield self._quad(scheme, t.skos_prefLabel, lit_id(f"Tujuan Rencana Aksi {i}"), g)
        yield self._quad(scheme, t.skos_prefLabel, lit_en(f"Objectives of Plan of Action {i}"), g)
        for objective in objectives:
            yield self._quad(scheme, t.skos_hasTopConcept, objective, g)
        for j, objective in enumerate(objectives, 1):
            label_id = f"Tujuan {j} rencana aksi {i}"
            label_en = f"Objective {j} of plan of action {i}"
            yield from self._entity(
                objective, (t.ssc_Objective, t.skos_Concept), label_id, label_en
            )
            yield self._quad(objective, t.skos_inScheme, scheme, g)
            yield self._quad(objective, t.skos_notation, ox.Literal(str(j)), g)
            yield self._quad(objective, t.skos_prefLabel, lit_id(label_id), g)
            yield self._quad(objective, t.skos_prefLabel, lit_en(label_en), g)
        yield from self._entity(
            event,
            (t.schema_Event,),
            f"Pengesahan rencana aksi {i}",
            f"Endorsement of plan of action {i}",
        )
        yield from self._entity(site, (t.schema_WebSite,), f"Situs web {i}", f"Website {i}")
        yield from self._entity(
            page, (t.schema_WebPage, t.prov_Entity), f"Laman {i}", f"Web page {i}"
        )
        for a, article in enumerate(articles, 1):
            yield from self._entity(
                article,
                (t.schema_NewsArticle, t.prov_Entity),
                f"Artikel berita {i}-{a}",
                f"News article {i}-{a}",
            )
            seed_file = f"{a:03d}_{rng.getrandbits(64):016x}.txt"
            yield self._quad(article, t.ssc_seedFile, ox.Literal(seed_file), g)
            yield self._quad(article, t.schema_inLanguage, ox.Literal("id"), g)

        # ------------------------------------------------ the resolution's primary-source claim
        d = self.default
        claim = ox.NamedNode(f"{GRAPH}primary-res-{i}")
        symbol = f"A/RES/{session}/{number}"
        if self._violate():
            symbol = f"RES-{session}-{number}"  # matches neither symbol pattern
        yield self._quad(claim, t.rdf_type, t.ssc_PrimarySourceClaim, d)
        yield self._quad(claim, t.prov_wasDerivedFrom, res, d)
        yield self._quad(claim, t.prov_hadPrimarySource, res, d)
        yield self._quad(claim, t.prov_wasAttributedTo, self.editors, d)
        yield self._quad(claim, t.ssc_documentSymbol, ox.Literal(symbol), d)
        yield self._quad(claim, t.skos_note, lit_id(f"Dokumen {symbol}."), d)
        yield self._quad(claim, t.skos_note, lit_en(f"Document {symbol}."), d)
        yield self._quad(res, t.ssc_documentSymbol, ox.Literal(symbol), claim)
        yield self._quad(res, t.schema_legislationPassedBy, unit, claim)
        yield self._quad(
            res, t.schema_legislationDate, ox.Literal(adopted, datatype=t.xsd_date), claim
        )

        # ------------------------------------------------ seed claims (one graph per sentence)
        positions = {article.value: 0 for article in articles}

        def next_position(article: ox.NamedNode) -> tuple[int, int]:
            k = positions[article.value]
            positions[article.value] = k + 1
            return (k // 3 + 1, k % 3 + 1)

        def pick() -> ox.NamedNode:
            return articles[rng.randrange(len(articles))]

        gyear = ox.Literal(str(adopted[:4]), datatype=t.xsd_gYear)
        definitions = [
            (lit_id(self._sentence(_WORDS_ID, 8, 20)), lit_en(self._sentence(_WORDS_EN, 8, 20)))
            for _ in objectives
        ]
        mandate = (
            lit_id(self._sentence(_WORDS_ID, 6, 14)),
            lit_en(self._sentence(_WORDS_EN, 6, 14)),
        )
        structure = [
            (unit, t.org_unitOf, org),
            (unit, t.schema_parentOrganization, org),
            (agency, t.org_subOrganizationOf, org),
            (agency, t.schema_parentOrganization, org),
            (agency, t.schema_foundingDate, ox.Literal(str(founded), datatype=t.xsd_gYear)),
        ]
        endorsement = [
            (plan, t.ssc_endorsedBy, res),
            (event, t.schema_startDate, gyear),
            (event, t.schema_organizer, unit),
            (event, t.schema_about, plan),
            (event, t.schema_recordedIn, res),
            (res, t.schema_legislationDate, gyear),
            (res, t.schema_legislationPassedBy, unit),
            (res, t.schema_legislationIdentifier, ox.Literal(f"{session}/{number}")),
        ]

        def seed_claim(
            article: ox.NamedNode,
            facts: list[tuple[ox.NamedNode, ox.NamedNode, object]],
            primary: ox.NamedNode | None = None,
        ) -> Iterator[ox.Quad]:
            return self._claim(i, article, next_position(article), facts, primary)

        # required facts (minCount constraints) first
        yield from seed_claim(pick(), structure)
        yield from seed_claim(pick(), endorsement)
        for objective, (def_id, def_en) in zip(objectives, definitions, strict=True):
            yield from seed_claim(
                pick(),
                [
                    (plan, t.ssc_hasObjective, objective),
                    (objective, t.skos_definition, def_id),
                    (objective, t.skos_definition, def_en),
                ],
            )
        for article in articles:
            yield from seed_claim(
                article,
                [
                    (article, t.schema_publisher, publisher),
                    (article, t.schema_author, person),
                    (article, t.schema_about, event),
                ],
            )
        yield from seed_claim(
            articles[0],
            [
                (articles[0], t.schema_citation, page),
                (page, t.schema_isPartOf, site),
                (site, t.schema_publisher, org),
            ],
            primary=page,
        )

        # optional restatements: the caller asks for as many as it needs
        templates: list[list[tuple[ox.NamedNode, ox.NamedNode, object]]] = [
            [
                (agency, t.ssc_facilitates, plan),
                (agency, t.ssc_mandate, mandate[0]),
                (agency, t.ssc_mandate, mandate[1]),
            ],
            [*structure[:2], (event, t.schema_organizer, unit)],
            endorsement[:4],
            *(
                [
                    (plan, t.ssc_hasObjective, o),
                    (o, t.skos_definition, di),
                    (o, t.skos_definition, de),
                ]
                for o, (di, de) in zip(objectives, definitions, strict=True)
            ),
            structure[2:],
        ]
        self._extras = (i, articles, templates, positions)

    def extra_claim(self) -> Iterator[ox.Quad]:
        """One more claim restating facts of the last cluster."""
        i, articles, templates, positions = self._extras
        rng = self.rng
        article = articles[rng.randrange(len(articles))]
        k = positions[article.value]
        positions[article.value] = k + 1
        position = (k // 3 + 1, k % 3 + 1)
        facts = list(templates[rng.randrange(len(templates))])
        if rng.random() < 0.5:
            facts += templates[rng.randrange(len(templates))]
        yield from self._claim(i, article, position, list(dict.fromkeys(facts)))

    def run(self) -> Iterator[ox.Quad]:
        yield from self.header()
        i = 0
        while True:
            i += 1
            yield from self.cluster(i)
            # 8-16 restating claims per cluster: claims are most of the volume
            for _ in range(self.rng.randint(8, 16)):
                if self.count >= self.n:
                    return
                yield from self.extra_claim()
            if self.n - self.count < _CLUSTER_MAX:
                # too little room for another cluster: top up with claims
                while self.count < self.n - _EXTRA_HALF:
                    yield from self.extra_claim()
                return


_CLUSTER_MAX = 380
"""An upper bound of a cluster with its restating claims (quads)."""
_EXTRA_HALF = 5
"""About half an extra claim (quads): stop when closer than that to the target."""


def generate(
    n_triples: int, seed: int = 0, *, violations: float = DEFAULT_VIOLATIONS
) -> Iterator[ox.Quad]:
    """Yield about ``n_triples`` SSC-shaped quads (see the module docstring).

    :param n_triples: how many quads to produce (within 1 % for n >= 5000).
    :param seed: the random seed; same arguments, same quads in the same order.
    :param violations: probability that an eligible item carries a deliberate SHACL
        violation (missing @en label, malformed document symbol, claim without source);
        0 gives conforming data.
    """
    if n_triples < 0:
        raise ValueError("n_triples must be >= 0")
    if not 0 <= violations <= 1:
        raise ValueError("violations must be between 0 and 1")
    return _Generator(n_triples, seed, violations).run()


_FORMATS = {
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
}


def write(
    path: str | Path, n_triples: int, seed: int = 0, *, violations: float = DEFAULT_VIOLATIONS
) -> int:
    """Write ``generate(...)`` to ``path`` (format from the extension); return the quad count."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown extension (use one of {', '.join(_FORMATS)})")
    counter = [0]

    def counted() -> Iterator[ox.Quad]:
        for quad in generate(n_triples, seed, violations=violations):
            counter[0] += 1
            yield quad

    stream: Iterator[ox.Quad] | Iterator[ox.Triple] = counted()
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        stream = (q.triple for q in counted())
    prefixes = PREFIXES if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE) else None
    with path.open("wb") as out:
        ox.serialize(stream, out, fmt, prefixes=prefixes)
    return counter[0]


def _count(text: str) -> int:
    """``100000``, ``100k``, ``1M``, ``1e6``."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    if factor != 1:
        text = text[:-1]
    return int(float(text) * factor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="generate.py", description="Write synthetic SSC-shaped RDF (deterministic for a seed)."
    )
    parser.add_argument(
        "--triples", "-n", type=_count, required=True, help="number of quads (100000, 100k, 1M)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--violations",
        type=float,
        default=DEFAULT_VIOLATIONS,
        metavar="RATE",
        help=f"rate of injected SHACL violations (default {DEFAULT_VIOLATIONS}; "
        "0 for conforming data)",
    )
    parser.add_argument(
        "-o", "--output", required=True, type=Path, help="output file: .nq, .trig, .ttl or .nt"
    )
    args = parser.parse_args(argv)
    try:
        written = write(args.output, args.triples, args.seed, violations=args.violations)
    except ValueError as error:
        parser.error(str(error))
    print(f"{args.output}: {written} quads", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
