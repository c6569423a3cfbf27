"""The persistent store: build, open, query/export/stats from it, errors, streaming, progress.

Every store lives under pytest's tmp_path.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result

import ssc_kg
from ssc_kg.formats import FORMATS
from ssc_kg.io import parse_quads, serialize_quads, source_paths
from ssc_kg.query import query_quads
from ssc_kg.resources import query_files
from ssc_kg.stats import stats_quads
from ssc_kg.store import METADATA, SNAPSHOT, StoreError, build, open_store

from .conftest import EXTRA, MALFORMED, SAMPLE, SHAPES, VIOLATIONS

Run = Callable[..., Result]

FILES = [SAMPLE, EXTRA, VIOLATIONS]


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("stores") / "fixtures"
    build(directory, FILES, shipped=False)
    return directory


@pytest.fixture(scope="module")
def shipped_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("stores") / "shipped"
    build(directory)
    return directory


def _assert_clean_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[-1]


# --------------------------------------------------------------------------- build and open


def test_build_records_what_was_loaded(fixture_store: Path) -> None:
    store = open_store(fixture_store)
    assert len(store) == len(set(parse_quads(FILES)))
    assert [s["path"] for s in store.sources] == [str(p.absolute()) for p in FILES]
    for source, path in zip(store.sources, FILES, strict=True):
        assert source["size"] == path.stat().st_size
        assert len(source["sha256"]) == 64
    metadata = json.loads((fixture_store / METADATA).read_text(encoding="utf-8"))
    assert metadata["ssc_kg_version"] == ssc_kg.__version__
    assert metadata["shipped"] is False
    assert metadata["snapshot"]["size"] == (fixture_store / SNAPSHOT).stat().st_size
    assert sorted(p.name for p in fixture_store.iterdir()) == ["oxigraph", SNAPSHOT, METADATA]
    assert sorted(p.name for p in fixture_store.parent.iterdir()) == ["fixtures"]


def test_shipped_store_holds_the_shipped_data(shipped_store: Path) -> None:
    store = open_store(shipped_store)
    assert [Path(s["path"]).name for s in store.sources] == [
        p.name for p in source_paths([], shipped=True)
    ]
    assert store.metadata["shipped"] is True


def test_store_quads_are_the_canonical_quads(fixture_store: Path) -> None:
    from ssc_kg.io import canonical_quads

    assert open_store(fixture_store).quads() == canonical_quads(parse_quads(FILES))


# --------------------------------------------------------------------------- store == files


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_from_a_store_is_the_export_from_the_files(fixture_store: Path, fmt: str) -> None:
    import io

    out = io.BytesIO()
    open_store(fixture_store).write(fmt, out)
    assert out.getvalue() == serialize_quads(parse_quads(FILES), fmt)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_with_blank_nodes(tmp_path: Path, fmt: str) -> None:
    import io

    files = [SHAPES, SAMPLE, EXTRA]  # the shapes are full of blank nodes
    store = build(tmp_path / "store", files, shipped=False)
    assert store.metadata["blank_nodes"] is True
    out = io.BytesIO()
    store.write(fmt, out)
    assert out.getvalue() == serialize_quads(parse_quads(files), fmt)


@pytest.mark.parametrize("fmt", ["nquads", "nt", "jsonld"])
def test_export_of_the_shipped_store(shipped_store: Path, fmt: str) -> None:
    import io

    out = io.BytesIO()
    open_store(shipped_store).write(fmt, out)
    assert out.getvalue() == serialize_quads(parse_quads(source_paths([], shipped=True)), fmt)


def test_nt_streams_through_an_external_sort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """N-Triples out of a store: sorted runs of a few lines in temporary files, merged."""
    import io
    import tempfile

    import ssc_kg.store

    files = [SAMPLE, VIOLATIONS, tmp_path / "dup.trig"]  # no blank nodes (else: in memory)
    files[-1].write_text(  # the same triple in two graphs and the default graph
        "<http://e/s> a <http://e/C> .\n"
        "GRAPH <http://e/g1> { <http://e/s> a <http://e/C> . }\n"
        "GRAPH <http://e/g2> { <http://e/s> a <http://e/C> . <http://e/a> <http://e/p> 1 . }\n",
        encoding="utf-8",
    )
    store = build(tmp_path / "store", files, shipped=False)
    assert store.metadata["blank_nodes"] is False
    spills: list[object] = []
    real = tempfile.TemporaryFile

    def counting(*args: object, **kwargs: object) -> object:
        spills.append(None)
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(ssc_kg.store, "_CHUNK_LINES", 3)
    monkeypatch.setattr(tempfile, "TemporaryFile", counting)
    out = io.BytesIO()
    store.write("nt", out)
    assert out.getvalue() == serialize_quads(parse_quads(files), "nt")
    assert len(spills) >= len(store) // 3 - 1


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_competency_queries_from_the_store(shipped_store: Path, path: Path) -> None:
    sparql = path.read_text(encoding="utf-8")
    expected = query_quads(parse_quads(source_paths([], shipped=True)), sparql)
    got = open_store(shipped_store).query(sparql)
    assert got.serialize("json") == expected.serialize("json")


def test_queries_without_order_by_from_the_store(fixture_store: Path) -> None:
    sparql = "SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    expected = query_quads(parse_quads(FILES), sparql).serialize("csv")
    got = open_store(fixture_store).query(sparql).serialize("csv")
    assert sorted(got.splitlines()) == sorted(expected.splitlines())  # same rows
    assert got == open_store(fixture_store).query(sparql).serialize("csv")  # a stable order


def test_stats_from_the_store(fixture_store: Path, shipped_store: Path, tmp_path: Path) -> None:
    """Recorded at build time; the same as SPARQL over the Oxigraph store, and the files."""
    from ssc_kg.stats import stats_store

    for directory, files in (
        (fixture_store, FILES),
        (shipped_store, source_paths([], shipped=True)),
    ):
        store = open_store(directory)
        assert store.stats() == stats_quads(parse_quads(files))
        assert stats_store(store.store) == store.stats()
    older = _copy_store(fixture_store, tmp_path / "older")
    metadata = json.loads((older / METADATA).read_text(encoding="utf-8"))
    del metadata["stats"]
    (older / METADATA).write_text(json.dumps(metadata), encoding="utf-8")
    assert open_store(older).stats() == open_store(fixture_store).stats()


# --------------------------------------------------------------------------- atomic rebuild


def test_rebuild_replaces_the_store(tmp_path: Path) -> None:
    target = tmp_path / "store"
    build(target, [SAMPLE], shipped=False)
    first = open_store(target)
    assert len(first) == len(set(parse_quads([SAMPLE])))
    build(target, [SAMPLE, EXTRA], shipped=False)
    assert len(open_store(target)) == len(set(parse_quads([SAMPLE, EXTRA])))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_a_failed_build_leaves_the_old_store(tmp_path: Path) -> None:
    target = tmp_path / "store"
    build(target, [SAMPLE], shipped=False)
    before = (target / SNAPSHOT).read_bytes()
    with pytest.raises(ssc_kg.InputError, match=":6: "):
        build(target, [SAMPLE, MALFORMED], shipped=False)
    assert (target / SNAPSHOT).read_bytes() == before
    assert len(open_store(target)) == len(set(parse_quads([SAMPLE])))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_an_interrupted_build_leaves_the_old_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssc_kg.store

    target = tmp_path / "store"
    build(target, [SAMPLE], shipped=False)

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ssc_kg.store, "_write_oxigraph", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build(target, [EXTRA], shipped=False)
    monkeypatch.undo()
    assert len(open_store(target)) == len(set(parse_quads([SAMPLE])))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_leftovers_of_a_killed_build_are_removed(tmp_path: Path) -> None:
    (tmp_path / ".store.building-abc" / "oxigraph").mkdir(parents=True)
    build(tmp_path / "store", [SAMPLE], shipped=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


def test_a_build_is_locked_against_another(tmp_path: Path) -> None:
    lock = tmp_path / ".store.lock"
    with lock.open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(StoreError, match="locked"):
            build(tmp_path / "store", [SAMPLE], shipped=False)
    assert not (tmp_path / "store").exists()


def test_refuses_to_replace_what_is_not_a_store(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(StoreError, match="not an ssc-kg store"):
        build(folder, [SAMPLE], shipped=False)
    assert (folder / "thesis.txt").read_text(encoding="utf-8") == "precious"
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="not a directory"):
        build(a_file, [SAMPLE], shipped=False)
    with pytest.raises(StoreError, match="parent directory"):
        build(tmp_path / "missing" / "store", [SAMPLE], shipped=False)


def test_an_empty_directory_may_become_a_store(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    assert len(build(tmp_path / "store", [SAMPLE], shipped=False)) > 0


# --------------------------------------------------------------------------- open errors


def _copy_store(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target)
    return target


def test_open_errors(tmp_path: Path, fixture_store: Path) -> None:
    with pytest.raises(StoreError, match="no such store"):
        open_store(tmp_path / "missing")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="not a store directory"):
        open_store(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match="not an ssc-kg store"):
        open_store(tmp_path / "empty")

    bad_json = _copy_store(fixture_store, tmp_path / "bad-json")
    (bad_json / METADATA).write_text("{", encoding="utf-8")
    with pytest.raises(StoreError, match="corrupt store"):
        open_store(bad_json)

    other = _copy_store(fixture_store, tmp_path / "other-format")
    metadata = json.loads((other / METADATA).read_text(encoding="utf-8"))
    (other / METADATA).write_text(json.dumps({**metadata, "ssc_kg_store": 99}), encoding="utf-8")
    with pytest.raises(StoreError, match="format 99 is not supported"):
        open_store(other)

    truncated = _copy_store(fixture_store, tmp_path / "truncated")
    with (truncated / SNAPSHOT).open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(StoreError, match=r"corrupt store: quads\.nq has"):
        open_store(truncated)

    no_oxigraph = _copy_store(fixture_store, tmp_path / "no-oxigraph")
    import shutil

    shutil.rmtree(no_oxigraph / "oxigraph")
    with pytest.raises(StoreError, match="oxigraph/ is missing"):
        open_store(no_oxigraph)

    broken = _copy_store(fixture_store, tmp_path / "broken")
    for path in (broken / "oxigraph").iterdir():
        if path.is_file():
            path.write_bytes(b"garbage")
    with pytest.raises(StoreError, match="cannot open the Oxigraph store"):
        open_store(broken)
    for error in (StoreError("x", path="p"),):
        assert "\n" not in str(error)


# --------------------------------------------------------------------------- command line


def test_cli_load_then_use_the_store(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "st"
    result = run("load", "--store", str(store), "--no-shipped", str(SAMPLE), "--data", str(EXTRA))
    assert result.exit_code == 0, result.stderr
    quads = parse_quads([SAMPLE, EXTRA])
    assert result.stdout == f"{store}: {len(set(quads))} quads from 2 files\n"
    assert result.stderr == ""
    files = ("--no-shipped", "--data", str(SAMPLE), "--data", str(EXTRA))
    for fmt in FORMATS:
        from_store = run("export", "--store", str(store), "--format", fmt)
        assert from_store.exit_code == 0, from_store.stderr
        assert from_store.stdout_bytes == run("export", *files, "--format", fmt).stdout_bytes
    out = tmp_path / "out.jsonld"
    assert run("export", "--store", str(store), "-o", str(out)).exit_code == 0
    assert out.read_bytes() == serialize_quads(quads, "jsonld")
    for args in (
        ["query", "SELECT ?s WHERE { ?s a org:Organization } ORDER BY ?s"],
        ["query", "ASK { ?s ?p ?o }", "--format", "json"],
        ["query", "CONSTRUCT WHERE { ?s rdfs:label ?o }", "--format", "nt"],
        ["stats"],
        ["stats", "--format", "json"],
    ):
        from_store = run(*args, "--store", str(store))
        assert from_store.exit_code == 0, from_store.stderr
        assert from_store.stdout == run(*args, *files).stdout


def test_cli_store_errors(run: Run, tmp_path: Path, fixture_store: Path) -> None:
    missing = tmp_path / "missing"
    for command in (["export"], ["stats"], ["query", "ASK {}"]):
        _assert_clean_error(run(*command, "--store", str(missing)), str(missing), "no such store")
    _assert_clean_error(
        run("export", "--store", str(fixture_store), "--data", str(SAMPLE)),
        "--store cannot be combined",
    )
    _assert_clean_error(
        run("load", "--store", str(tmp_path / "st"), "--no-shipped", str(MALFORMED)), ":6: "
    )
    assert not (tmp_path / "st").exists()
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("x", encoding="utf-8")
    _assert_clean_error(run("load", "--store", str(folder)), "not an ssc-kg store")
    _assert_clean_error(run("load"), "--store")


def test_cli_export_from_a_store_to_a_file_is_atomic(
    run: Run, tmp_path: Path, fixture_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.nt"
    target.write_bytes(b"OLD")

    def broken(self: object, fmt: object, stream: object) -> None:
        stream.write(b"half")  # type: ignore[attr-defined]
        raise ssc_kg.SscKgError("failed half-way")

    monkeypatch.setattr(ssc_kg.store.KgStore, "write", broken)
    _assert_clean_error(run("export", "--store", str(fixture_store), "-o", str(target)), "half-way")
    assert target.read_bytes() == b"OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nt"]


def test_cli_store_export_streams_into_a_closed_pipe(fixture_store: Path, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ssc_kg", "export", "--store", str(fixture_store), "--format", "nq"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) in (0, 141)
    assert first.endswith(b" .\n")
    assert stderr == b""


# --------------------------------------------------------------------------- progress


def _big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.nt"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(60_000):
            handle.write(f'<http://e/r{i}> <http://e/p> "value {i}" .\n')
    return path


def test_progress_is_silent_when_stderr_is_not_a_terminal(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSC_KG_PROGRESS_DELAY", "0")
    big = _big_file(tmp_path)
    result = run("load", "--store", str(tmp_path / "st"), "--no-shipped", str(big))
    assert result.exit_code == 0
    assert result.stderr == ""
    completed = subprocess.run(
        [sys.executable, "-m", "ssc_kg", "stats", "--no-shipped", "--data", str(big)],
        cwd=tmp_path,
        env={**os.environ, "SSC_KG_PROGRESS_DELAY": "0"},
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert completed.stderr == b""


def _run_with_tty_stderr(args: list[str], cwd: Path, delay: str) -> tuple[int, bytes, bytes]:
    import pty

    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "ssc_kg", *args],
        cwd=cwd,
        env={**os.environ, "SSC_KG_PROGRESS_DELAY": delay},
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    assert process.stdout is not None
    output = process.stdout.read()
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return process.wait(timeout=120), output, b"".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_on_a_terminal(tmp_path: Path) -> None:
    big = _big_file(tmp_path)
    code, output, terminal = _run_with_tty_stderr(
        ["load", "--store", str(tmp_path / "st"), "--no-shipped", str(big)], tmp_path, "0"
    )
    assert code == 0
    assert output.startswith(str(tmp_path / "st").encode())
    assert b"\r" in terminal
    assert any(word in terminal for word in (b"parsing", b"sorting", b"writing"))
    assert terminal.endswith(b"\r\x1b[K")  # the line is erased at the end
    # Nothing is drawn before the delay.
    code, _, terminal = _run_with_tty_stderr(
        ["stats", "--store", str(tmp_path / "st")], tmp_path, "60"
    )
    assert code == 0
    assert terminal == b""


def test_progress_updates_at_most_ten_times_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import time

    from ssc_kg import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("SSC_KG_PROGRESS_DELAY", "0")
    with progress.progress("working"):
        progress.step("counting", count=0, unit=" quads")
        progress.advance(1500)
        time.sleep(0.55)
    text = screen.getvalue()
    draws = text.count("\r") - 1  # the last one erases the line
    assert 1 <= draws <= 7
    assert "counting 1,500 quads" in text
    assert text.endswith("\r\x1b[K")


def test_progress_stays_quiet_when_stdout_is_the_same_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from ssc_kg import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.setenv("SSC_KG_PROGRESS_DELAY", "0")
    with progress.progress("exporting", quiet_on_stdout_tty=True) as task:
        assert task is None
    assert screen.getvalue() == ""


def test_store_rocksdb_iteration_order_is_stable_across_processes(fixture_store: Path) -> None:
    """What the store yields without ORDER BY is deterministic (exports do not rely on it)."""
    code = (
        "import sys, pyoxigraph as ox\n"
        "s = ox.Store.read_only(sys.argv[1])\n"
        "print('\\n'.join(str(q) for q in s.quads_for_pattern(None, None, None, None)))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, str(fixture_store / "oxigraph")],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    lines = outputs.pop().decode().splitlines()
    # The same quads, in the store's own order (by internal ids, not the export's order).
    assert sorted(lines) == sorted(str(q) for q in open_store(fixture_store).quads())


def test_store_quads_are_pyoxigraph_quads(fixture_store: Path) -> None:
    assert all(isinstance(q, ox.Quad) for q in open_store(fixture_store).quads())
