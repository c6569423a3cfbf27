"""Nothing half-written: an export killed or failing mid-write leaves the old file.

Every output goes through :func:`ssc_kg.io.open_atomic`: a temporary file
``.NAME.XXXXXXXX.tmp`` beside the target, renamed over it only when complete. A killed
writer cannot clean up; its temporary file never replaces the target and the next
write to the same target removes it (unless a live writer still holds it).
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import ssc_kg
from ssc_kg.io import STALE_TEMPORARY_SECONDS

from .conftest import EXTRA, SAMPLE, SAMPLE_ARGS

Run = Callable[..., Result]

OLD = b"OLD CONTENT: must survive\n"


def temporaries(folder: Path, target: str) -> list[Path]:
    pattern = re.compile(rf"\.{re.escape(target)}\.[A-Za-z0-9_]{{8}}\.tmp")
    return sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))


def make_old(path: Path, *, seconds: float = STALE_TEMPORARY_SECONDS + 60) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


# --------------------------------------------------------------------------- killed mid-write

HALF_WRITER = """
import sys, time
import ssc_kg.io as io

real = io.write_all

def half_then_wait(stream, data):
    real(stream, data[: len(data) // 2])
    stream.flush()
    open(sys.argv[1], "w").close()  # tell the test: half of the file is written
    time.sleep(120)
    real(stream, data[len(data) // 2 :])

io.write_all = half_then_wait
from ssc_kg.cli import main
main(sys.argv[2:])
"""


def test_sigkill_mid_write_keeps_the_old_file(tmp_path: Path, run: Run) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "ssc.nq"
    target.write_bytes(OLD)
    ready = tmp_path / "ready"
    args = ["export", *SAMPLE_ARGS, "-o", str(target)]
    process = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITER, str(ready), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the writer never got half-way"
            time.sleep(0.02)
        (partial,) = temporaries(out, "ssc.nq")
        assert partial.stat().st_size > 0
        assert target.read_bytes() == OLD  # while being written
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert target.read_bytes() == OLD
    expected = ssc_kg.serialize_quads(ssc_kg.parse_quads([SAMPLE, EXTRA]), "nquads")
    assert partial.read_bytes() == expected[: len(expected) // 2]  # the half, and only there

    # the next export completes the file; a fresh leftover may belong to a live writer...
    assert run(*args).exit_code == 0
    assert target.read_bytes() == expected
    assert temporaries(out, "ssc.nq") == [partial]
    # ... an old one that nobody holds is removed
    make_old(partial)
    assert run(*args).exit_code == 0
    assert temporaries(out, "ssc.nq") == []
    assert sorted(p.name for p in out.iterdir()) == ["ssc.nq"]


def test_a_live_writers_temporary_file_is_never_removed(tmp_path: Path, run: Run) -> None:
    target = tmp_path / "ssc.trig"
    held = tmp_path / ".ssc.trig.abcd1234.tmp"
    held.write_bytes(b"being written")
    make_old(held)
    with held.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # what a live writer holds
        assert run("export", *SAMPLE_ARGS, "-o", str(target)).exit_code == 0
        assert held.read_bytes() == b"being written"
    assert target.read_bytes().startswith(b"@prefix")
    # released (the writer died): removed by the next write, other files untouched
    other = tmp_path / ".ssc.trig.not-ours.tmp"
    other.write_bytes(b"x")
    make_old(other)
    assert run("export", *SAMPLE_ARGS, "-o", str(target)).exit_code == 0
    assert not held.exists()
    assert other.exists()


def _generate(path: Path, triples: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(triples):
            handle.write(
                f"<https://w3id.org/ssc-kg/id/r{i}> <http://schema.org/name> "
                f'"resource number {i} with a longer label to write"@en .\n'
            )


def test_random_sigkills_of_a_streaming_export(tmp_path: Path) -> None:
    """Kill a real export (streamed from a store) at random moments: the target is
    always either the old file or the complete new one."""
    data = tmp_path / "data.nt"
    _generate(data, 60_000)
    store = tmp_path / "kg"
    ssc_kg.store.build(store, [data], shipped=False)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "union.nt"
    command = [sys.executable, "-m", "ssc_kg", "export", "--store", str(store), "-o", str(target)]
    started = time.monotonic()
    subprocess.run(command, cwd=tmp_path, check=True, timeout=120)
    duration = time.monotonic() - started
    expected = target.read_bytes()
    assert expected.count(b"\n") == 60_000
    rng = random.Random(6)
    outcomes = []
    for _ in range(6):
        target.write_bytes(OLD)
        process = subprocess.Popen(command, cwd=tmp_path)
        time.sleep(rng.uniform(0.1, duration))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        content = target.read_bytes()
        assert content in (OLD, expected)
        outcomes.append((content == expected, len(temporaries(out, "union.nt"))))
        for leftover in temporaries(out, "union.nt"):
            assert leftover.stat().st_size <= len(expected)
            leftover.unlink()
    assert sorted(p.name for p in out.iterdir()) == ["union.nt"], outcomes
    print("kills (complete, temporary files left):", outcomes)


# --------------------------------------------------------------------------- failing mid-write


class _FullDisk:
    """A file that takes a few writes, then fails like a full disk (ENOSPC)."""

    def __init__(self, handle: object, allowed: int) -> None:
        self.handle = handle
        self.allowed = allowed

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()  # type: ignore[attr-defined]

    def write(self, data: bytes) -> int:
        if self.allowed <= 0:
            self.handle.write(bytes(data)[: len(data) // 2])  # type: ignore[attr-defined]
            raise OSError(28, "No space left on device")
        self.allowed -= 1
        return self.handle.write(data)  # type: ignore[attr-defined,no-any-return]

    def flush(self) -> None:
        self.handle.flush()  # type: ignore[attr-defined]

    def fileno(self) -> int:
        return self.handle.fileno()  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize(("fmt", "writes"), [("nquads", 2), ("nt", 2), ("trig", 0)])
def test_full_disk_while_streaming_from_a_store(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, writes: int
) -> None:
    """N-Quads and N-Triples stream in pieces (the disk fills after a few), TriG is
    written at once (the disk fills during it)."""
    data = tmp_path / "data.nt"
    _generate(data, 30_000)
    store = tmp_path / "kg"
    ssc_kg.store.build(store, [data], shipped=False)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "ssc.out"
    target.write_bytes(OLD)
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: _FullDisk(real_fdopen(fd, mode), writes))
    result = run("export", "--store", str(store), "--format", fmt, "-o", str(target))
    monkeypatch.undo()
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"Error: {target}: cannot write: No space left on device"]
    assert target.read_bytes() == OLD
    assert sorted(p.name for p in out.iterdir()) == ["ssc.out"]


def test_full_disk_on_a_new_file_leaves_nothing(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "new.jsonld"
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: _FullDisk(real_fdopen(fd, mode), 0))
    result = run("export", *SAMPLE_ARGS, "-o", str(target))
    monkeypatch.undo()
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []
