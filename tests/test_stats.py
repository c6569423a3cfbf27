"""ssc_kg.stats: counts over the dataset."""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import Dataset

from ssc_kg.io import load
from ssc_kg.stats import Stats, stats

from .conftest import SAMPLE

ORG = "http://www.w3.org/ns/org#Organization"


def test_counts(sample_ds: Dataset) -> None:
    result = stats(sample_ds)
    assert isinstance(result, Stats)
    assert result.triples == 23
    assert result.distinct_triples == 23
    assert result.graphs == 2
    assert result.default_graph_triples == 9
    assert result.classes[0] == (ORG, 2)
    assert dict(result.classes) == {
        ORG: 2,
        "https://w3id.org/ssc-kg/def#Claim": 1,
        "https://w3id.org/ssc-kg/def#CuratedGraph": 1,
        "https://w3id.org/ssc-kg/def#Source": 1,
    }
    assert result.label_languages == (("", 1), ("en", 5), ("fr", 2), ("ru", 1))


def test_classes_sorted_by_count_then_iri(sample_ds: Dataset) -> None:
    classes = stats(sample_ds).classes
    assert list(classes) == sorted(classes, key=lambda item: (-item[1], item[0]))


def test_a_triple_in_two_graphs(tmp_path: Path) -> None:
    path = tmp_path / "dup.trig"
    path.write_text(
        "<http://e/s> a <http://e/C> .\nGRAPH <http://e/g> { <http://e/s> a <http://e/C> . }\n",
        encoding="utf-8",
    )
    result = stats(load([path], shipped=False))
    assert (result.triples, result.distinct_triples, result.graphs) == (2, 1, 1)
    assert result.classes == (("http://e/C", 1),)  # resources are counted once


def test_empty() -> None:
    result = stats(Dataset())
    assert (result.triples, result.graphs, result.classes, result.label_languages) == (0, 0, (), ())
    assert "(none)" in result.to_text()


def test_to_text(sample_ds: Dataset) -> None:
    text = stats(sample_ds).to_text()
    assert "named graphs:          2" in text
    assert "        2  org:Organization" in text
    assert "(no language)" in text


def test_to_json(sample_ds: Dataset) -> None:
    data = json.loads(stats(sample_ds).to_json())
    assert data["graphs"] == 2
    assert data["classes"][ORG] == 2
    assert data["label_languages"] == {"": 1, "en": 5, "fr": 2, "ru": 1}
    assert next(iter(data["classes"])) == ORG  # order kept


def test_stats_only_counts_loaded_files() -> None:
    assert stats(load([SAMPLE], shipped=False)).default_graph_triples == 5
