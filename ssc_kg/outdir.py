"""Write a whole directory of files at once: the complete new tree or the old one, never half.

:func:`write_tree` is what ``ssc-kg site`` and ``ssc-kg release`` use. The files are
written into a temporary sibling directory (``.NAME.building-XXXX``) which is then
renamed over the target, so a reader (or a web server) sees either the previous tree
or the new one. Every tree it writes holds a marker file, :data:`MARKER`, saying what
it is; an existing non-empty directory is replaced only if it has that marker (a
previous site or release), unless ``force=True``.

Example:

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> out = write_tree(root / "out", {"a.txt": b"A\\n", "sub/b.txt": b"B\\n"}, kind="site")
>>> sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
['.ssc-kg-output', 'a.txt', 'sub/b.txt']
>>> write_tree(root / "out", {"c.txt": b"C\\n"}, kind="site") == out  # ours: replaced
True
>>> sorted(p.name for p in out.iterdir())
['.ssc-kg-output', 'c.txt']
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from .errors import SscKgError

__all__ = ["KINDS", "MARKER", "OutputError", "check_target", "is_ours", "marker_text", "write_tree"]

MARKER = ".ssc-kg-output"
"""Name of the marker file at the top of every tree :func:`write_tree` writes."""

KINDS = ("site", "release")
"""What a tree can be; the marker file holds ``ssc-kg <kind>``."""


class OutputError(SscKgError):
    """The output directory cannot be used (not ours and no ``force``, locked, a file ...)."""


def marker_text(kind: str) -> bytes:
    """The content of the marker file of a tree of *kind*."""
    return f"ssc-kg {kind}\n".encode()


def is_ours(directory: Path) -> bool:
    """True if *directory* holds the marker of a site or release written by ssc-kg."""
    marker = directory / MARKER
    try:
        return marker.is_file() and marker.read_bytes() in {marker_text(k) for k in KINDS}
    except OSError:
        return False


def check_target(directory: str | os.PathLike[str], *, force: bool = False) -> None:
    """Raise :class:`OutputError` if :func:`write_tree` would refuse *directory*.

    Lets a caller fail before doing the work; :func:`write_tree` checks again.
    """
    _check_target(Path(directory).absolute(), force=force)


def _check_target(target: Path, *, force: bool) -> None:
    name = os.fspath(target)
    if not target.parent.is_dir():
        raise OutputError(f"{name}: parent directory does not exist")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise OutputError(f"{name}: exists and is not a directory")
    if target.is_dir() and not force and any(target.iterdir()) and not is_ours(target):
        raise OutputError(
            f"{name}: not empty and not an ssc-kg site or release "
            "(refusing to replace it; use --force to replace it anyway)"
        )


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside the target while building (two builds exclude each other)."""
    import fcntl

    lock_path = target.parent / f".{target.name}.lock"
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - held for the whole build
    except OSError as error:
        raise OutputError(f"{target}: cannot create lock file: {error.strerror}") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise OutputError(f"{target}: locked: another build is writing it") from None
    try:
        _remove_leftovers(target)
        yield
    finally:
        with contextlib.suppress(OSError):
            lock_path.unlink()
        handle.close()


def _remove_leftovers(target: Path) -> None:
    """Remove what a killed build left beside *target* (we hold the lock, so it is dead)."""
    import glob
    import shutil

    for prefix in (f".{target.name}.building-", f".{target.name}.old-"):
        for path in target.parent.glob(glob.escape(prefix) + "*"):
            shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        raise ValueError(f"not a safe relative file name: {name!r}")
    return path


def _write_files(root: Path, files: Mapping[str, bytes]) -> None:
    umask = os.umask(0)
    os.umask(umask)
    root.chmod(0o777 & ~umask)  # mkdtemp makes it private
    for name in sorted(files):
        path = root.joinpath(*_safe_relative(name).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:
            handle.write(files[name])
            handle.flush()
            os.fsync(handle.fileno())
    for directory in sorted({p for p in root.rglob("*") if p.is_dir()}, reverse=True):
        _fsync_dir(directory)
    _fsync_dir(root)


def _replace_dir(built: Path, target: Path) -> None:
    """Move *built* to *target*, replacing what is there (moved aside, then removed)."""
    import shutil

    old: Path | None = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    try:
        os.replace(built, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_tree(
    directory: str | os.PathLike[str],
    files: Mapping[str, bytes],
    *,
    kind: str,
    force: bool = False,
) -> Path:
    """Write *files* (relative POSIX path -> bytes) as the directory *directory*.

    The tree is built beside *directory* and renamed into place; the marker file
    :data:`MARKER` (``ssc-kg <kind>``) is added. An existing *directory* is replaced
    if it is empty or carries the marker; any other non-empty directory only with
    ``force=True``.

    :returns: the absolute path of the new tree.
    :raises OutputError: the directory cannot be used (nothing is written then).
    """
    import shutil
    import tempfile

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if MARKER in files:
        raise ValueError(f"{MARKER} is written by write_tree itself")
    for name in files:
        _safe_relative(name)
    target = Path(directory).absolute()
    _check_target(target, force=force)
    with _lock(target):
        _check_target(target, force=force)
        try:
            building = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.building-"))
        except OSError as error:
            raise OutputError(f"{target}: cannot create: {error.strerror}") from None
        try:
            _write_files(building, {**files, MARKER: marker_text(kind)})
            _replace_dir(building, target)
        except OSError as error:
            shutil.rmtree(building, ignore_errors=True)
            raise OutputError(f"{target}: cannot write: {error.strerror or error}") from None
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return target
