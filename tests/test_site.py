"""The static web site (``ssc-kg site``), checked in Python and in a real headless browser.

Expected facts come from parsing ``data/*.trig`` with pyoxigraph directly (and SPARQL over
that), never from ssc_kg's own site code. Every page is checked in Python (links, embedded
JSON-LD through pyld with a document loader that refuses the network, sources of every
claim); a real Chromium renders the pages (one launch for many pages through an iframe
harness, plus one for the timeline screenshot). Chromium is Debian's ``chromium``: the tests
install it with apt-get when they run as root and it is missing, and skip with the reason
otherwise. The screenshot goes to ``$SSC_KG_ARTIFACTS`` (or pytest's tmp_path); its path is
printed. ``SSC_KG_BROWSER_ALL=1`` renders every page in the browser, not a sample.
"""

from __future__ import annotations

import html
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from pyld import jsonld

from ssc_kg.cli import cli

from .conftest import SAMPLE, make_runner

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = sorted((REPO / "data").glob("*.trig"))
SSC = "https://w3id.org/ssc-kg/def#"
SSCID = "https://w3id.org/ssc-kg/id/"
SSCG = "https://w3id.org/ssc-kg/graph/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
FOLDERS = {SSCID: "id", SSC: "def", SSCG: "graph"}

DATED = """
SELECT DISTINCT ?s ?date WHERE {
  ?s ?p ?date
  FILTER(isIRI(?s) && isLiteral(?date) && DATATYPE(?date) IN
         (xsd:date, xsd:dateTime, xsd:gYear, xsd:gYearMonth))
}
"""


# --------------------------------------------------------------------------- expectations


def _quads(paths: list[Path]) -> list[ox.Quad]:
    quads: set[ox.Quad] = set()
    for path in paths:
        quads.update(ox.parse(path=str(path)))
    return sorted(quads, key=str)


@pytest.fixture(scope="module")
def data() -> list[ox.Quad]:
    return _quads(DATA_FILES)


@pytest.fixture(scope="module")
def union(data: list[ox.Quad]) -> set[ox.Triple]:
    return {q.triple for q in data}


@pytest.fixture(scope="module")
def store(data: list[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(data)
    return store


def _dated(store: ox.Store) -> set[tuple[str, str]]:
    """(resource IRI, date text) of every date-typed literal, by SPARQL over all graphs."""
    solutions = store.query(
        DATED,
        prefixes={"xsd": "http://www.w3.org/2001/XMLSchema#"},
        use_default_graph_as_union=True,
    )
    assert isinstance(solutions, ox.QuerySolutions)
    return {(row["s"].value, row["date"].value) for row in solutions}  # type: ignore[union-attr]


def _page_of(iri: str) -> str | None:
    """The documented page path of a shipped resource (its local names are plain)."""
    if iri == SSC.rstrip("#"):
        return "vocabulary.html"
    for namespace, folder in FOLDERS.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{folder}/{iri[len(namespace) :]}.html"
    return None


def _labels(union: set[ox.Triple]) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for t in union:
        if t.predicate.value == RDFS_LABEL and isinstance(t.object, ox.Literal):
            labels[t.subject.value][t.object.language or ""] = t.object.value
    return labels


# --------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the shipped data, built by the command line."""
    target = tmp_path_factory.mktemp("site") / "public"
    result = make_runner().invoke(cli, ["site", "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{target}: ")
    return target


@pytest.fixture(scope="module")
def pages(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*.html"))
    }


class _Links(html.parser.HTMLParser):
    """href/src attributes and ld+json scripts of one HTML or SVG document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "xlink:href") and value is not None:
                self.urls.append((tag, name, value))
        if tag == "script":
            self._script, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def _parse(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    parser.close()
    return parser


def _refuse_network(url: str, options: object = None) -> object:
    raise AssertionError(f"a remote document was requested: {url}")


def _jsonld_triples(document: object) -> set[ox.Triple]:
    nquads = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": _refuse_network}
    )
    return {q.triple for q in ox.parse(nquads, ox.RdfFormat.N_QUADS)}


def _embedded(text: str) -> list[object]:
    return [
        json.loads(body)
        for attrs, body in _parse(text).scripts
        if attrs.get("type") == "application/ld+json"
    ]


# --------------------------------------------------------------------------- Python checks


def test_every_named_resource_has_a_page_and_its_data_files(
    site: Path, data: list[ox.Quad]
) -> None:
    iris = {
        term.value
        for q in data
        for term in (q.subject, q.predicate, q.object, q.graph_name)
        if isinstance(term, ox.NamedNode)
    }
    expected = {page for iri in iris if (page := _page_of(iri))}
    assert "id/undp.html" in expected
    assert "def/SeedClaim.html" in expected
    for page in sorted(expected):
        stem = page.removesuffix(".html")
        for suffix in (".html", ".ttl", ".jsonld"):
            assert (site / (stem + suffix)).is_file(), stem + suffix
    for extra in ("index.html", "timeline.html", "timeline.svg", "dataset.ttl", "dataset.jsonld"):
        assert (site / extra).is_file(), extra
    built = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert built == expected | {"index.html", "timeline.html"}


def test_every_link_is_relative_and_resolves(site: Path) -> None:
    checked = 0
    for path in sorted([*site.rglob("*.html"), *site.rglob("*.svg")]):
        for tag, attribute, url in _parse(path.read_text(encoding="utf-8")).urls:
            parts = urlsplit(url)
            where = f"{path.relative_to(site)}: <{tag} {attribute}={url!r}>"
            if parts.scheme or url.startswith("//"):
                # Links out of the site (vocabularies, license, the release downloads): never
                # to a page of ours, never a script or stylesheet.
                assert parts.scheme in ("http", "https"), where
                assert tag == "a", where
                for namespace in (SSCID, SSCG, SSC):
                    assert not url.startswith(namespace), where
                continue
            assert not url.startswith("/"), where
            target = (path.parent / unquote(parts.path)).resolve()
            assert target.is_relative_to(site.resolve()), where
            assert target.is_file(), where
            checked += 1
    assert checked > 1000


def test_embedded_jsonld_is_schema_org_and_yields_triples_of_the_graph(
    site: Path, pages: dict[str, str], union: set[ox.Triple]
) -> None:
    description = {q.triple for q in ox.parse(path=str(site / "dataset.ttl"))}
    for name, text in pages.items():
        documents = _embedded(text)
        assert len(documents) == 1, name
        (document,) = documents
        assert isinstance(document, dict)
        context = document["@context"]
        assert isinstance(context, dict), f"{name}: the context must be inline"
        assert context["@vocab"] == "http://schema.org/", name
        triples = _jsonld_triples(document)
        assert triples, name
        allowed = description if name == "index.html" else union
        assert triples <= allowed, f"{name}: {sorted(map(str, triples - allowed))[:3]}"
        if name in ("index.html", "timeline.html"):
            continue
        # The whole description of the page's subject(s) is there, and its Turtle and JSON-LD
        # files beside it say the same
        stem = name.removesuffix(".html")
        nodes = document.get("@graph", [document])
        for subject in (ox.NamedNode(str(node["@id"])) for node in nodes):
            assert {t for t in union if t.subject == subject} <= triples, f"{name}: {subject}"
        assert {q.triple for q in ox.parse(path=str(site / f"{stem}.ttl"))} == triples, name
        beside = json.loads((site / f"{stem}.jsonld").read_text(encoding="utf-8"))
        assert beside == document, name


def test_index_jsonld_is_the_dataset_description(pages: dict[str, str], site: Path) -> None:
    (document,) = _embedded(pages["index.html"])
    assert _jsonld_triples(document) == {q.triple for q in ox.parse(path=str(site / "dataset.ttl"))}
    types = {t.object.value for t in _jsonld_triples(document) if t.predicate.value == RDF_TYPE}
    assert {"http://schema.org/Dataset", "http://www.w3.org/ns/dcat#Dataset"} <= types


def test_every_claimed_fact_is_shown_with_its_source(
    data: list[ox.Quad], union: set[ox.Triple], pages: dict[str, str]
) -> None:
    """Every triple of a claim graph is on its subject's page with the claim's provenance."""
    described: dict[str, dict[str, list[ox.Term]]] = defaultdict(lambda: defaultdict(list))
    for q in data:
        if isinstance(q.graph_name, ox.DefaultGraph):
            described[q.subject.value][q.predicate.value].append(q.object)
    labels = _labels(union)
    kinds = {SSC + k for k in ("SeedClaim", "PrimarySourceClaim", "CuratorInference")}
    claims = {g for g, d in described.items() if {o.value for o in d[RDF_TYPE]} & kinds}
    seen = set()
    for q in data:
        graph = q.graph_name
        if not isinstance(graph, ox.NamedNode):
            continue
        claim = described[graph.value]
        kind = {o.value for o in claim[RDF_TYPE]} & kinds
        page = _page_of(q.subject.value)
        if not kind or page is None:
            continue
        text = pages[page]
        plain = html.unescape(text)
        where = f"{page}: {q.triple} from {graph.value}"
        assert f'href="../{_page_of(graph.value)}"' in text, where
        for article in claim["http://www.w3.org/ns/prov#wasDerivedFrom"]:
            assert f'href="../{_page_of(article.value)}"' in text, where
        for quotation in claim[SSC + "quotation"]:
            assert quotation.value in plain, where
        if kind != {SSC + "SeedClaim"}:  # marked as such, with the evidence
            (kind_iri,) = kind
            for label in labels[kind_iri].values():
                assert label in plain, where
            for note in claim["http://www.w3.org/2004/02/skos/core#note"]:
                assert note.value in plain, where
        # ... and on its object's page, under "referenced by", with a link to the claim
        target = _page_of(q.object.value) if isinstance(q.object, ox.NamedNode) else None
        if target is not None and target != "vocabulary.html":
            assert f'href="../{_page_of(graph.value)}"' in pages[target], f"{target}: {where}"
        seen.add(graph.value)
    assert len(claims) > 50
    assert seen == claims


def test_the_timeline_shows_every_dated_resource(
    store: ox.Store, site: Path, pages: dict[str, str]
) -> None:
    expected = _dated(store)
    years = sorted(int(d[:4]) for _, d in expected)
    assert (years[0], years[-1]) == (1949, 2024)  # the span the issue asks for
    standalone = ElementTree.fromstring((site / "timeline.svg").read_bytes())  # well-formed XML
    assert standalone.tag == "{http://www.w3.org/2000/svg}svg"
    inline = re.search(r"<svg.*?</svg>", pages["timeline.html"], re.S)
    assert inline is not None
    for svg_text in (inline.group(0), (site / "timeline.svg").read_text(encoding="utf-8")):
        for iri, date in expected:
            page = _page_of(iri)
            assert page is not None
            link = re.search(rf'<a href="{re.escape(page)}"[^>]*>(.*?)</a>', svg_text, re.S)
            assert link is not None, f"no timeline link to {page}"
            assert date in link.group(1), f"{date} not on the timeline mark of {iri}"


def test_lazy_imports_export_does_not_load_the_site_code(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from ssc_kg.cli import main\n"
        "try:\n"
        "    main(['export', '--format', 'turtle'])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "loaded = {'jinja2', 'markupsafe', 'ssc_kg.site', 'ssc_kg.describe', 'ssc_kg.release',"
        " 'ssc_kg.outdir'} & set(sys.modules)\n"
        "print(sorted(loaded), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip() == "[]"


def test_hostile_data_is_escaped_and_odd_iris_get_safe_pages(tmp_path: Path) -> None:
    """Markup in literals stays text, unsafe IRIs are not links, odd names get safe files."""
    evil = tmp_path / "evil.ttl"
    evil.write_text(
        "@prefix sscid: <https://w3id.org/ssc-kg/id/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix schema: <http://schema.org/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'sscid:Foo rdfs:label "</script><script>alert(1)</script>"@en , "<b>x</b> & y"@id ;\n'
        '    schema:url <javascript:alert(1)> ; schema:startDate "2001-02-03"^^xsd:date .\n'
        'sscid:foo rdfs:label "lower"@en .\n'
        'sscid:a%2F..%2Fb rdfs:label "slashes"@en .\n',
        encoding="utf-8",
    )
    out = tmp_path / "site"
    result = make_runner().invoke(
        cli,
        ["site", "-o", str(out), "--no-shipped", "--data", str(SAMPLE), "--data", str(evil)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    html_files = sorted(out.rglob("*.html"))
    names = [p.relative_to(out).as_posix().lower() for p in out.rglob("*") if p.is_file()]
    assert len(names) == len(set(names)), "two files differ only in case"
    for path in html_files:
        assert all(p not in ("..", "") for p in PurePosixPath(path.relative_to(out)).parts)
        text = path.read_text(encoding="utf-8")
        scripts = _parse(text).scripts
        assert [a.get("type") or a.get("src") for a, _ in scripts][-1].endswith("site.js")
        assert len(scripts) in (1, 2), path  # the JSON-LD and site.js, nothing injected
        assert "<script>alert" not in text
        assert "<b>x</b>" not in text
        assert 'href="javascript:' not in text
        for document in _embedded(text):
            assert _jsonld_triples(document) <= {q.triple for q in _quads([SAMPLE, evil])} | {
                q.triple for q in ox.parse(path=str(out / "dataset.ttl"))
            }
    # sscid:Foo and sscid:foo: two pages whose names differ by more than case
    foo = sorted(p.name for p in (out / "id").glob("*.html") if p.name.lower().startswith("foo"))
    assert len(foo) == 2, foo
    assert foo[0].lower() != foo[1].lower(), foo
    odd = [p.name for p in (out / "id").glob("a-2F*.html")]
    assert len(odd) == 1, sorted(p.name for p in (out / "id").iterdir())


def test_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    runner = make_runner()
    result = runner.invoke(cli, ["site", "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--force" in result.stderr
    assert (target / "notes.txt").read_text() == "keep me"


# --------------------------------------------------------------------------- the browser


def _chromium() -> str:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "chromium"]
        done = subprocess.run(install, env=env, capture_output=True, timeout=1200, check=False)
        if done.returncode != 0:
            subprocess.run(
                ["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600, check=False
            )
            done = subprocess.run(install, env=env, capture_output=True, timeout=1200, check=False)
        found = shutil.which("chromium")
        if found:
            return found
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        pytest.skip(f"chromium is missing and 'apt-get install -y chromium' failed: {reason}")
    pytest.skip(
        "chromium is missing (Debian: 'apt-get install -y chromium' as root); "
        "the real-browser tests need it"
    )


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    return [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing leaves the machine
        f"--user-data-dir={profile}",
    ]


_HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>harness</title></head>
<body><pre id="out">pending</pre><iframe id="frame" width="1280" height="900"></iframe>
<script>
"use strict";
const pages = __PAGES__;
const results = [];
const frame = document.getElementById("frame");
let next = 0;
function shown(doc, lang) {
  return [...doc.querySelectorAll('.tr[lang="' + lang + '"]')]
    .filter((e) => getComputedStyle(e).display !== "none").length;
}
function check(path, doc) {
  const h1 = doc.querySelector("h1");
  const r = {
    path, title: doc.title, text: doc.body.innerText.length,
    accent: getComputedStyle(doc.documentElement).getPropertyValue("--accent").trim(),
    h1: h1 ? {
      id: [...h1.querySelectorAll('[lang="id"]')].map((e) => e.textContent),
      en: [...h1.querySelectorAll('[lang="en"]')].map((e) => e.textContent),
      text: h1.textContent,
    } : null,
    jsonld: [...doc.querySelectorAll('script[type="application/ld+json"]')].map((s) => {
      try { JSON.parse(s.textContent); return "ok"; } catch (e) { return String(e); }
    }),
    stylesheets: doc.styleSheets.length,
  };
  doc.querySelector('label[for="lang-id"]').click();
  r.idMode = {id: shown(doc, "id"), en: shown(doc, "en"), htmlLang: doc.documentElement.lang};
  doc.querySelector('label[for="lang-en"]').click();
  r.enMode = {id: shown(doc, "id"), en: shown(doc, "en"), htmlLang: doc.documentElement.lang};
  if (path.endsWith("timeline.html")) {
    const svg = doc.querySelector("svg.timeline").getBoundingClientRect();
    const marks = [...doc.querySelectorAll("svg a")].map((a) => {
      const box = a.getBoundingClientRect();
      return {
        href: a.getAttribute("href"),
        text: [...a.querySelectorAll("text")].filter((t) => getComputedStyle(t).display !== "none")
          .map((t) => t.textContent),
        width: box.width, height: box.height,
        inside: box.left >= svg.left - 1 && box.right <= svg.right + 1
          && box.top >= svg.top - 1 && box.bottom <= svg.bottom + 1,
      };
    });
    r.svg = {width: svg.width, height: svg.height, marks};
  }
  return r;
}
function step() {
  if (next >= pages.length) {
    document.getElementById("out").textContent = JSON.stringify(results);
    return;
  }
  const path = pages[next++];
  frame.onload = () => {
    try { results.push(check(path, frame.contentDocument)); }
    catch (e) { results.push({path, error: String(e)}); }
    step();
  };
  frame.src = __BASE__ + path;
}
step();
</script></body></html>
"""


def _sample(pages: list[str], targets: set[str]) -> list[str]:
    """The pages the browser renders: all with SSC_KG_BROWSER_ALL=1, else a fixed sample."""
    if os.environ.get("SSC_KG_BROWSER_ALL"):
        return pages
    top = {p for p in pages if "/" not in p}
    return [p for i, p in enumerate(pages) if p in top or p in targets or i % 6 == 0]


def test_pages_render_in_a_real_browser(
    chromium: list[str],
    site: Path,
    pages: dict[str, str],
    union: set[ox.Triple],
    store: ox.Store,
    tmp_path: Path,
) -> None:
    timeline_targets = {
        str(PurePosixPath(url))
        for _, _, url in _parse(pages["timeline.html"]).urls
        if not urlsplit(url).scheme
    }
    chosen = _sample(sorted(pages), timeline_targets)
    harness = tmp_path / "harness.html"
    harness.write_text(
        _HARNESS.replace("__PAGES__", json.dumps(chosen)).replace(
            "__BASE__", json.dumps(site.resolve().as_uri() + "/")
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            *chromium,
            "--allow-file-access-from-files",
            "--virtual-time-budget=600000",
            "--dump-dom",
            harness.as_uri(),
        ],
        capture_output=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    match = re.search(r'<pre id="out">(.*?)</pre>', done.stdout.decode(), re.S)
    assert match is not None
    payload = html.unescape(match.group(1))
    assert payload != "pending", "the browser did not finish the pages in its time budget"
    results = {r["path"]: r for r in json.loads(payload)}
    assert sorted(results) == sorted(chosen)
    labels = _labels(union)
    by_page = {page: iri for iri in labels if (page := _page_of(iri))}
    for path, r in results.items():
        assert "error" not in r, r
        assert r["title"].endswith("· ssc-kg"), path
        assert r["text"] > 100, path
        assert r["accent"] == "#0b5cad", f"{path}: the stylesheet did not load"
        assert r["jsonld"] == ["ok"], path
        # The language switch: one language at a time, the page's lang follows
        assert r["idMode"]["en"] == 0 < r["idMode"]["id"], path
        assert r["enMode"]["id"] == 0 < r["enMode"]["en"], path
        assert (r["idMode"]["htmlLang"], r["enMode"]["htmlLang"]) == ("id", "en"), path
        iri = by_page.get(path)
        if iri is not None and {"id", "en"} <= set(labels[iri]):
            assert r["h1"]["id"] == [labels[iri]["id"]], path
            assert r["h1"]["en"] == [labels[iri]["en"]], path
    # The timeline picture: every dated resource, with each of its dates, visible and linked
    expected = _dated(store)
    svg = results["timeline.html"]["svg"]
    assert svg["width"] > 300
    assert svg["height"] > 300
    marks = {m["href"]: m for m in svg["marks"]}
    for iri, date in sorted(expected):
        mark = marks[_page_of(iri)]
        assert mark["inside"], mark
        assert mark["width"] > 0, mark
        assert mark["height"] > 0, mark
        assert len(mark["text"]) == 1, mark  # one language shown
        assert date in mark["text"][0], mark
        assert labels[iri]["en"] in mark["text"][0], mark
    assert len(marks) == len({iri for iri, _ in expected})


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_timeline_screenshot(
    chromium: list[str], site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifacts = Path(os.environ.get("SSC_KG_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "timeline.png"
    done = subprocess.run(
        [
            *chromium,
            "--hide-scrollbars",
            "--window-size=1280,1500",
            f"--screenshot={shot}",
            (site / "timeline.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert _png_size(data) == (1280, 1500)
    assert len(data) > 20_000  # a page with the picture, not a blank one
    with capsys.disabled():
        print(f"\ntimeline screenshot: {shot}")
