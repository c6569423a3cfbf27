"""The competency questions (``queries/*.rq``) give their hand-written answers.

Each query has an expected answer in ``tests/expected/<stem>.json``, written by hand from
the seed articles (``tests/seeds/``) and the data files, not copied from a query run (see
``queries/README.md`` for the conventions). Every query is run twice:

* through the library (``ssc_kg.load()`` + ``ssc_kg.query()``, pyoxigraph with the union of
  all graphs as the default graph), which is how ``ssc-kg query -f`` runs it;
* through rdflib's own parser and SPARQL engine (``Dataset(default_union=True)``), an
  independent implementation, so that the queries are portable SPARQL 1.1 and the answers
  do not depend on one engine's quirks.

Expected-file format: ``{"vars": [...], "rows": [[...], ...], "ordered": bool}``; each cell
is ``null`` (unbound), the full IRI, the lexical form of a literal, or ``"text@lang"`` for a
language-tagged literal. ``ordered: false`` compares the rows as multisets.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Dataset, Literal, URIRef

import ssc_kg

REPO = Path(__file__).resolve().parent.parent
QUERY_DIR = REPO / "queries"
EXPECTED_DIR = Path(__file__).resolve().parent / "expected"
DATA_FILES = sorted((REPO / "data").glob("*.trig"))
QUERIES = sorted(QUERY_DIR.glob("*.rq"))
STEMS = [q.stem for q in QUERIES]

HEADER_KEYS = ("title", "id", "answer")
_HEADER_LINE = re.compile(r"^#\s*(title|id|answer):\s*(.*\S)\s*$")
_FILE_NAME = re.compile(r"^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*\.rq$")

# Queries rdflib cannot run, with the reason (none at present).
RDFLIB_SKIP: dict[str, str] = {}


def cell(term: object) -> str | None:
    """A result term in the expected-file convention."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        return f"{term}@{term.language}" if term.language else str(term)
    if isinstance(term, BNode):
        raise AssertionError(f"blank node in a query result: {term!r} (the data has none)")
    raise AssertionError(f"unexpected term in a query result: {term!r}")


def header(path: Path) -> dict[str, str]:
    """The ``# title:``, ``# id:``, ``# answer:`` comments at the top of a query file."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER_LINE.match(line)
        if match and match.group(1) not in found:
            found[match.group(1)] = match.group(2)
    return found


def expected(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPECTED_DIR / f"{stem}.json").read_text(encoding="utf-8"))
    return data


def assert_answer(
    stem: str, variables: Sequence[str], rows: Iterable[Sequence[object]], engine: str
) -> None:
    want = expected(stem)
    got_rows = [[cell(term) for term in row] for row in rows]
    assert list(variables) == want["vars"], f"{stem} ({engine}): variables differ"
    want_rows = [list(row) for row in want["rows"]]
    for row in want_rows:
        assert len(row) == len(want["vars"]), f"{stem}: expected row of wrong width: {row}"
    if want["ordered"]:
        assert got_rows == want_rows, f"{stem} ({engine}): rows differ"
    else:
        key = json.dumps
        assert Counter(map(key, got_rows)) == Counter(map(key, want_rows)), (
            f"{stem} ({engine}): rows differ"
        )


@pytest.fixture(scope="module")
def library_dataset() -> Dataset:
    """The shipped dataset, loaded by the library."""
    return ssc_kg.load()


@pytest.fixture(scope="module")
def rdflib_dataset() -> Dataset:
    """The same files, parsed and queried by rdflib alone (union default graph)."""
    ds = Dataset(default_union=True)
    for path in DATA_FILES:
        ds.parse(path, format="trig")
    return ds


# ------------------------------------------------------------------------- file checks


def test_there_are_competency_questions() -> None:
    assert len(QUERIES) >= 12, [q.name for q in QUERIES]
    assert DATA_FILES, "no data/*.trig files"


def test_every_query_has_an_expected_answer_and_vice_versa() -> None:
    answers = {p.stem for p in EXPECTED_DIR.glob("*.json")}
    assert sorted(set(STEMS) - answers) == [], "queries without tests/expected/<stem>.json"
    assert sorted(answers - set(STEMS)) == [], "expected answers without queries/<stem>.rq"


@pytest.mark.parametrize("path", QUERIES, ids=STEMS)
def test_query_file_has_header(path: Path) -> None:
    """``NN-short-name.rq`` beginning with ``# title:``, ``# id:`` and ``# answer:``."""
    assert _FILE_NAME.match(path.name), f"{path.name}: name is not NN-short-name.rq"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line.split(":", 1)[0] for line in lines[:3]] == [f"# {k}" for k in HEADER_KEYS], (
        f"{path.name}: the first three lines must be # title:, # id:, # answer:"
    )
    found = header(path)
    for key in HEADER_KEYS:
        assert found.get(key), f"{path.name}: empty # {key}:"
    assert found["title"].endswith("?"), f"{path.name}: the title is a question"
    assert found["id"].endswith("?"), f"{path.name}: the Indonesian title is a question"


@pytest.mark.parametrize("path", QUERIES, ids=STEMS)
def test_query_is_listed_in_readme(path: Path) -> None:
    """queries/README.md has a table row with the file name and both questions."""
    found = header(path)
    rows = [
        line
        for line in (QUERY_DIR / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith(f"| [`{path.name}`]")
    ]
    assert len(rows) == 1, f"{path.name}: no (or several) rows in queries/README.md"
    assert f"| {found['title']} | {found['id']} |" in rows[0], (
        f"{path.name}: the README row does not repeat the # title: and # id: lines"
    )


def test_query_titles_are_unique() -> None:
    titles = [header(q)["title"] for q in QUERIES]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("stem", STEMS)
def test_expected_file_is_well_formed(stem: str) -> None:
    want = expected(stem)
    assert set(want) == {"vars", "rows", "ordered"}
    assert isinstance(want["ordered"], bool)
    assert all(isinstance(v, str) for v in want["vars"])
    for row in want["rows"]:
        assert len(row) == len(want["vars"])
        assert all(value is None or isinstance(value, str) for value in row)


# ------------------------------------------------------------------------- answers


@pytest.mark.parametrize("path", QUERIES, ids=STEMS)
def test_query_answer(path: Path, library_dataset: Dataset) -> None:
    """The library (pyoxigraph, union default graph) gives the expected answer."""
    result = ssc_kg.query(library_dataset, path.read_text(encoding="utf-8"))
    assert result.kind == "select", f"{path.name}: competency questions are SELECT queries"
    assert_answer(path.stem, result.variables, result.rows, "ssc_kg.query")


# rdflib 7 warns about its own use of its deprecated ConjunctiveGraph/contexts API.
@pytest.mark.filterwarnings("ignore:.* is deprecated, use .* instead:DeprecationWarning")
@pytest.mark.parametrize("path", QUERIES, ids=STEMS)
def test_query_answer_rdflib(path: Path, rdflib_dataset: Dataset) -> None:
    """rdflib's parser and SPARQL engine give the same expected answer."""
    if path.stem in RDFLIB_SKIP:
        pytest.skip(RDFLIB_SKIP[path.stem])
    result = rdflib_dataset.query(path.read_text(encoding="utf-8"))
    assert result.type == "SELECT"
    variables = [str(v) for v in result.vars or ()]
    assert_answer(path.stem, variables, [tuple(row) for row in result], "rdflib")  # type: ignore[arg-type]
