"""Releases (``ssc-kg release``): reproducible bytes, checksums, exports, replacing directories.

Two releases are built by the command line in separate processes with different hash
seeds, in folders with different names; every file is compared byte for byte. Sizes and
digests are recomputed here with hashlib (and with coreutils ``sha256sum -c`` when
available); the exports are compared with ``data/*.trig`` parsed by pyoxigraph directly.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from ssc_kg.cli import cli
from ssc_kg.formats import FORMATS
from ssc_kg.outdir import MARKER, OutputError, write_tree

from .conftest import assert_isomorphic_datasets, make_runner, run_module

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = sorted((REPO / "data").glob("*.trig"))
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
BASE = "https://example.org/ssc-kg/0.1/"


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("one") / "release"
    second = tmp_path_factory.mktemp("two") / "other-name"
    for target, seed in ((first, "0"), (second, "4242")):
        done = run_module(
            ["release", "-o", str(target), "--base-url", BASE], cwd=target.parent, seed=seed
        )
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode().startswith(f"{target}: ")
    return first, second


@pytest.fixture(scope="module")
def release(releases: tuple[Path, Path]) -> Path:
    return releases[0]


def test_two_releases_are_byte_identical(releases: tuple[Path, Path]) -> None:
    first, second = (_files(r) for r in releases)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert not different
    assert len(first) > 500  # the exports, the description, the whole site
    for name in ("SHA256SUMS", "dataset.ttl", "site/index.html", "site/id/undp.html", MARKER):
        assert name in first, name


def test_sha256sums_lists_every_file_with_its_digest(release: Path) -> None:
    files = _files(release)
    listed: dict[str, str] = {}
    for line in files.pop("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert sorted(listed) == sorted(files)
    for name, payload in files.items():
        assert listed[name] == hashlib.sha256(payload).hexdigest(), name


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not found")
def test_sha256sum_c_accepts_the_checksum_file(release: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        ["sha256sum", "-c", "--strict", "SHA256SUMS"],
        cwd=release,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    # ... and notices a changed file (on a copy)
    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    (copy / "ssc-kg.nt").write_bytes(b"")
    done = subprocess.run(
        ["sha256sum", "-c", "--quiet", "SHA256SUMS"],
        cwd=copy,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert b"ssc-kg.nt: FAILED" in done.stdout


def test_description_sizes_and_checksums_match_the_release_files(release: Path) -> None:
    description = list(ox.parse(path=str(release / "dataset.ttl")))
    by_subject: dict[ox.Term, dict[str, list[ox.Term]]] = {}
    for t in description:
        by_subject.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)
    distributions = [node for node, props in by_subject.items() if DCAT + "byteSize" in props]
    described = set()
    for node in distributions:
        props = by_subject[node]
        (url,) = props[DCAT + "downloadURL"]
        assert url.value.startswith(BASE)
        name = url.value.removeprefix(BASE)
        payload = (release / name).read_bytes()
        (size,) = props[DCAT + "byteSize"]
        assert int(size.value) == len(payload), name
        (checksum,) = props[SPDX + "checksum"]
        (digest,) = by_subject[checksum][SPDX + "checksumValue"]
        assert digest.value == hashlib.sha256(payload).hexdigest(), name
        described.add(name)
    exports = {f"ssc-kg{fmt.extensions[0]}" for fmt in FORMATS.values()}
    assert described == exports
    assert {p.name for p in release.glob("ssc-kg.*")} == exports
    # The same description is in the site, and `ssc-kg describe` prints it
    assert (release / "site" / "dataset.ttl").read_bytes() == (release / "dataset.ttl").read_bytes()
    result = make_runner().invoke(cli, ["describe", "--base-url", BASE], catch_exceptions=False)
    assert result.stdout_bytes == (release / "dataset.ttl").read_bytes()


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_release_exports_are_the_dataset(release: Path, fmt: object) -> None:
    from ssc_kg.formats import Format

    assert isinstance(fmt, Format)
    payload = (release / f"ssc-kg{fmt.extensions[0]}").read_bytes()
    exported = make_runner().invoke(cli, ["export", "--format", fmt.name], catch_exceptions=False)
    assert payload == exported.stdout_bytes
    expected: set[ox.Quad] = set()
    for path in DATA_FILES:
        for quad in ox.parse(path=str(path)):
            expected.add(quad if fmt.quads else ox.Quad(quad.subject, quad.predicate, quad.object))
    assert_isomorphic_datasets(list(ox.parse(payload, fmt.rdf_format)), sorted(expected, key=str))


# --------------------------------------------------------------------------- the directory


def test_a_foreign_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "precious.txt").write_text("mine")
    refused = make_runner().invoke(cli, ["release", "-o", str(target)], catch_exceptions=False)
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1
    assert "not an ssc-kg site or release" in refused.stderr
    assert sorted(p.name for p in target.iterdir()) == ["precious.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_replaces_a_foreign_directory_and_ours_is_replaced_anyway(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "precious.txt").write_text("mine")
    with pytest.raises(OutputError, match="use --force"):
        write_tree(target, {"a.txt": b"a"}, kind="release")
    write_tree(target, {"a.txt": b"a"}, kind="release", force=True)
    assert _files(target) == {"a.txt": b"a", MARKER: b"ssc-kg release\n"}
    write_tree(target, {"b/c.txt": b"c"}, kind="site")  # ours now: no force needed
    assert _files(target) == {"b/c.txt": b"c", MARKER: b"ssc-kg site\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp dirs, no lock
    with pytest.raises(ValueError, match="safe relative"):
        write_tree(target, {"../x": b"x"}, kind="site")


def test_a_file_is_not_a_directory(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = make_runner().invoke(cli, ["release", "-o", str(target), "--force"])
    assert result.exit_code == 2
    assert "is a file" in result.stderr
    assert target.read_text() == "x"
    with pytest.raises(OutputError, match="not a directory"):
        write_tree(target, {"a": b""}, kind="site", force=True)
    assert target.read_text() == "x"


def test_a_failed_build_leaves_the_old_tree_and_no_leftovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "site"
    write_tree(target, {"index.html": b"old\n"}, kind="site")
    import ssc_kg.outdir as outdir

    real = outdir._write_files

    def fail_halfway(root: Path, files: dict[str, bytes]) -> None:
        real(root, dict(list(files.items())[:1]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outdir, "_write_files", fail_halfway)
    with pytest.raises(OutputError, match="No space left"):
        write_tree(target, {"index.html": b"new\n", "b.html": b"b\n"}, kind="site")
    assert _files(target) == {"index.html": b"old\n", MARKER: b"ssc-kg site\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
