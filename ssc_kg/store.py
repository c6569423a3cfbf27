"""A persistent, on-disk dataset: parse once, then query, count and export fast.

:func:`build` parses RDF files (the shipped data first, like :func:`ssc_kg.load`) and
writes a store directory; :func:`open_store` opens one read-only. A store directory
holds:

``ssc-kg-store.json``
    what was loaded: each source's path, size and SHA-256, the ssc-kg version, the
    number of quads, and the snapshot's size and SHA-256;
``oxigraph/``
    a :class:`pyoxigraph.Store` (RocksDB) with the canonical quads, for SPARQL
    (:meth:`KgStore.query`) and the counts of :meth:`KgStore.stats`;
``quads.nq``
    the canonical N-Quads of the same data: deduplicated, sorted, blank nodes with
    RDFC-1.0 labels -- byte for byte ``ssc-kg export --format nquads`` of the sources.

Exports read the snapshot, not RocksDB: reading every term back out of an on-disk
Oxigraph store costs about 10 us per quad (one RocksDB lookup per long string),
several times the cost of parsing the file again, while the snapshot streams at disk
speed. N-Quads are copied as they are and N-Triples are merged out of it with an
external sort (:func:`_union_lines`), both in bounded memory; the other formats
parse the snapshot (already canonical and sorted) and write it as
:func:`ssc_kg.io.serialize_quads` would. Every export from a store is byte-identical
to the export of the same files without a store.

A store is built in a temporary directory beside the target and renamed into place,
so a reader sees the old store or the new one, never half of one; an existing
directory is replaced only if it is an ssc-kg store. Two builds of the same target
exclude each other with a lock file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .errors import InputError
from .formats import FORMATS, Format, resolve_format
from .io import PathLike

if TYPE_CHECKING:
    import pyoxigraph as ox

    from .query import QueryResult
    from .stats import Stats

__all__ = ["METADATA", "KgStore", "StoreError", "build", "open_store"]

STORE_FORMAT = 1
METADATA = "ssc-kg-store.json"
OXIGRAPH = "oxigraph"
SNAPSHOT = "quads.nq"

_STORE_BATCH = 100_000
"""Quads written to the Oxigraph store per ``bulk_extend`` (bounds its memory)."""

_CHUNK_LINES = 500_000
"""Lines sorted in memory at a time by the external sort of :func:`_union_lines`."""


class StoreError(InputError):
    """A store directory is missing, not a store, corrupt or locked."""


def _version() -> str:
    from . import __version__

    return __version__


# --------------------------------------------------------------------------- building


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside the target for the whole build (``flock``)."""
    import fcntl

    lock_path = target.parent / f".{target.name}.lock"
    while True:
        try:
            handle = open(lock_path, "a+b")  # noqa: SIM115 - held for the whole build
        except OSError as error:
            raise StoreError(f"cannot create lock file: {error.strerror}", path=target) from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreError(
                "locked: another 'ssc-kg load' is building this store", path=target
            ) from None
        try:  # the file we locked may have been removed by the build that just ended
            if os.fstat(handle.fileno()).st_ino == os.stat(lock_path).st_ino:
                break
        except OSError:
            pass
        handle.close()
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


def _check_target(target: Path) -> None:
    if not target.parent.is_dir():
        raise StoreError("parent directory does not exist", path=target)
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise StoreError("exists and is not a directory", path=target)
    if target.is_dir() and any(target.iterdir()) and not (target / METADATA).is_file():
        raise StoreError("exists and is not an ssc-kg store (refusing to replace it)", path=target)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _replace_dir(built: Path, target: Path) -> None:
    """Move *built* to *target*, replacing an existing store there."""
    import shutil

    old: Path | None = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
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


def build(
    directory: PathLike,
    paths: Iterable[PathLike] = (),
    *,
    shipped: bool = True,
    input_format: str | Format | None = None,
) -> KgStore:
    """Parse *paths* (after the shipped data, if *shipped*) into a store at *directory*.

    The store replaces an existing store at *directory* atomically (see the module
    documentation). Same inputs, formats and errors as :func:`ssc_kg.load`.

    :returns: the new store, open.
    :raises InputError: bad input (nothing is written then).
    :raises StoreError: *directory* cannot be used (not a store, locked, ...).
    """
    import hashlib
    import json
    import shutil
    import tempfile

    from . import progress
    from .io import canonical, parse_quads, source_paths
    from .stats import stats_quads

    target = Path(directory).absolute()
    sources = source_paths(list(paths), shipped=shipped)
    _check_target(target)
    with _build_lock(target):
        _check_target(target)
        try:
            building = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.building-"))
            umask = os.umask(0)
            os.umask(umask)
            building.chmod(0o777 & ~umask)  # mkdtemp makes it private
        except OSError as error:
            raise StoreError(f"cannot create: {error.strerror}", path=target) from None
        try:
            recorded: list[dict[str, Any]] = []

            def record(source: PathLike, data: bytes) -> None:
                text = os.fspath(source)
                recorded.append(
                    {
                        "path": text if text == "-" else os.path.abspath(text),
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                )

            quads = parse_quads(sources, input_format=input_format, on_source=record)
            data = canonical(quads)
            del quads
            progress.step("writing the snapshot")
            digest = hashlib.sha256()
            size = 0
            with open(building / SNAPSHOT, "wb") as out:
                for chunk in data.chunks():
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            has_blank_nodes = any("_:" in line for line in data.lines) and _blank(data.items)
            items, default_quads = data.items, data.default_graph
            del data
            progress.step("counting")
            summary = stats_quads(items).to_dict()
            progress.step("writing the store", count=0, unit=" quads")
            _write_oxigraph(building / OXIGRAPH, items)
            metadata = {
                "ssc_kg_store": STORE_FORMAT,
                "ssc_kg_version": _version(),
                "shipped": shipped,
                "input_format": None if input_format is None else resolve_format(input_format).name,
                "sources": recorded,
                "quads": len(items),
                "default_graph_quads": default_quads,
                "blank_nodes": has_blank_nodes,
                "stats": summary,
                "snapshot": {"file": SNAPSHOT, "size": size, "sha256": digest.hexdigest()},
            }
            del items
            with open(building / METADATA, "w", encoding="utf-8") as meta_file:
                meta_file.write(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
                meta_file.flush()
                os.fsync(meta_file.fileno())
            _fsync_dir(building)
            _replace_dir(building, target)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return open_store(target)


def _blank(quads: list[Any]) -> bool:
    from .io import _has_blank_nodes

    return _has_blank_nodes(quads)


def _write_oxigraph(path: Path, quads: list[ox.Quad]) -> None:
    import gc

    import pyoxigraph as ox

    from . import progress

    try:
        store = ox.Store(str(path))
        # In batches: one bulk_extend of everything holds about 1 GB per million quads.
        for start in range(0, len(quads), _STORE_BATCH):
            batch = quads[start : start + _STORE_BATCH]
            store.bulk_extend(batch)
            progress.advance(len(batch))
        store.flush()
        # Compacting the batches' files makes joins over the store 1.5-2x faster.
        progress.step("optimizing the store")
        store.optimize()
        del store
    except OSError as error:
        raise StoreError(f"cannot write the Oxigraph store: {error}", path=path) from None
    gc.collect()  # the store is closed (its lock released) when the object is freed


# --------------------------------------------------------------------------- opening


@dataclass(frozen=True)
class KgStore:
    """An open (read-only) store directory; see :func:`open_store`."""

    path: Path
    metadata: dict[str, Any]
    store: ox.Store
    """The :class:`pyoxigraph.Store`, read-only."""

    @property
    def snapshot(self) -> Path:
        """The canonical N-Quads file of the store."""
        return self.path / SNAPSHOT

    @property
    def sources(self) -> list[dict[str, Any]]:
        """What was loaded: ``path``, ``size``, ``sha256`` of each source, in order."""
        return list(self.metadata["sources"])

    def __len__(self) -> int:
        return int(self.metadata["quads"])

    def quads(self) -> list[ox.Quad]:
        """All quads, canonical and sorted (as :func:`ssc_kg.io.canonical_quads` gives)."""
        import pyoxigraph as ox

        try:
            return list(ox.parse(path=str(self.snapshot), format=ox.RdfFormat.N_QUADS))
        except (SyntaxError, OSError) as error:
            raise StoreError(f"corrupt store: {SNAPSHOT}: {error}", path=self.path) from None

    def query(self, sparql: str, *, allow_network: bool = False) -> QueryResult:
        """:func:`ssc_kg.query.query_store` on this store."""
        from .query import query_store

        return query_store(self.store, sparql, allow_network=allow_network)

    def stats(self) -> Stats:
        """The counts of :func:`ssc_kg.stats.stats_quads`, made when the store was built
        (a store never changes); :func:`ssc_kg.stats.stats_store` if they are missing."""
        from .stats import Stats, stats_store

        recorded = self.metadata.get("stats")
        if isinstance(recorded, dict):
            try:
                return Stats(
                    triples=int(recorded["triples"]),
                    distinct_triples=int(recorded["distinct_triples"]),
                    graphs=int(recorded["graphs"]),
                    default_graph_triples=int(recorded["default_graph_triples"]),
                    classes=tuple((str(k), int(v)) for k, v in recorded["classes"].items()),
                    label_languages=tuple(
                        (str(k), int(v)) for k, v in recorded["label_languages"].items()
                    ),
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
        try:
            return stats_store(self.store)
        except (OSError, RuntimeError) as error:
            message = " ".join(str(error).split())
            raise StoreError(f"cannot read the Oxigraph store: {message}", path=self.path) from None

    def write(self, fmt: str | Format, stream: BinaryIO) -> None:
        """Write the export in *fmt* to *stream*: the bytes of
        :func:`ssc_kg.io.serialize_quads` of the sources.

        N-Quads, and N-Triples of data without blank nodes, are streamed in bounded
        memory; the other formats are built in memory.
        """
        import shutil

        from .io import Canonical, canonical, serialize_canonical, write_all

        target = resolve_format(fmt)
        if target is FORMATS["nquads"]:
            with self._open_snapshot() as handle:
                shutil.copyfileobj(handle, stream, 1 << 20)
            return
        if target is FORMATS["nt"] and not self.metadata["blank_nodes"]:
            with self._open_snapshot() as handle:
                for chunk in _batched(
                    _union_lines(handle, int(self.metadata["default_graph_quads"]))
                ):
                    write_all(stream, chunk)
            return
        quads = self.quads()
        if target is FORMATS["jsonld"]:
            from .jsonld import to_jsonld

            write_all(stream, to_jsonld(quads))  # the snapshot is canonical and sorted
            return
        if target.quads:
            with self._open_snapshot() as handle:
                lines = handle.read().decode("utf-8").split(" .\n")[:-1]
            default = int(self.metadata["default_graph_quads"])
            data = Canonical(lines, quads, union=False, default_graph=default)
        else:
            data = canonical(quads, union=True)
        write_all(stream, serialize_canonical(data, target))

    @contextlib.contextmanager
    def _open_snapshot(self) -> Iterator[BinaryIO]:
        try:
            handle = open(self.snapshot, "rb")  # noqa: SIM115
        except OSError as error:
            raise StoreError(
                f"corrupt store: {SNAPSHOT}: {error.strerror}", path=self.path
            ) from None
        with handle:
            yield handle


def _batched(lines: Iterator[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    chunk: list[bytes] = []
    length = 0
    for line in lines:
        chunk.append(line)
        length += len(line)
        if length >= size:
            yield b"".join(chunk)
            chunk, length = [], 0
    if chunk:
        yield b"".join(chunk)


def _union_lines(handle: BinaryIO, default_quads: int) -> Iterator[bytes]:
    """The N-Triples lines of the union of a canonical N-Quads file, sorted and unique.

    The default graph's lines come first in the file; a named graph's line ends with
    `` <g> .`` (a graph name has no space), which is dropped. Lines are sorted
    ``_CHUNK_LINES`` at a time into temporary files, then merged (UTF-8 byte order is
    code point order, the order of the file-based export), so memory stays bounded.
    """
    import heapq
    import tempfile

    def triples() -> Iterator[bytes]:
        for number, line in enumerate(handle):
            if number < default_quads:
                yield line
            else:
                yield line[: line.rindex(b" ", 0, len(line) - 3)] + b" .\n"

    runs: list[list[bytes]] = []
    files: list[Any] = []
    try:
        chunk: list[bytes] = []
        for line in triples():
            chunk.append(line)
            if len(chunk) >= _CHUNK_LINES:
                chunk.sort()
                spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
                spill.writelines(chunk)
                spill.seek(0)
                files.append(spill)
                chunk = []
        chunk.sort()
        runs.append(chunk)
        sources: list[Iterable[bytes]] = [*files, *runs]
        previous = None
        for line in heapq.merge(*sources) if len(sources) > 1 else sources[0]:
            if line != previous:
                yield line
                previous = line
    finally:
        for spill in files:
            spill.close()


def open_store(directory: PathLike) -> KgStore:
    """Open the store at *directory* (read-only).

    :raises StoreError: missing, not a store, of another format, or corrupt.
    """
    import json

    import pyoxigraph as ox

    path = Path(directory)
    if not path.exists():
        raise StoreError(
            "no such store (build one with: ssc-kg load --store DIR [FILE ...])", path=path
        )
    if not path.is_dir():
        raise StoreError("not a store directory", path=path)
    meta_path = path / METADATA
    if not meta_path.is_file():
        raise StoreError(f"not an ssc-kg store (no {METADATA})", path=path)
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StoreError(f"corrupt store: {METADATA}: {error}", path=path) from None
    if not isinstance(metadata, dict) or metadata.get("ssc_kg_store") != STORE_FORMAT:
        found = metadata.get("ssc_kg_store") if isinstance(metadata, dict) else None
        raise StoreError(
            f"store format {found!r} is not supported (expected {STORE_FORMAT}); rebuild it",
            path=path,
        )
    try:
        expected_size = int(metadata["snapshot"]["size"])
        int(metadata["quads"])
        int(metadata["default_graph_quads"])
        bool(metadata["blank_nodes"])
        list(metadata["sources"])
    except (KeyError, TypeError, ValueError):
        raise StoreError(f"corrupt store: {METADATA} is incomplete", path=path) from None
    try:
        size = (path / SNAPSHOT).stat().st_size
    except OSError:
        raise StoreError(f"corrupt store: {SNAPSHOT} is missing", path=path) from None
    if size != expected_size:
        raise StoreError(
            f"corrupt store: {SNAPSHOT} has {size} bytes, expected {expected_size}", path=path
        )
    if not (path / OXIGRAPH).is_dir():
        raise StoreError(f"corrupt store: {OXIGRAPH}/ is missing", path=path)
    try:
        store = ox.Store.read_only(str(path / OXIGRAPH))
    except (OSError, RuntimeError, ValueError) as error:
        message = " ".join(str(error).split())
        raise StoreError(f"cannot open the Oxigraph store: {message}", path=path) from None
    return KgStore(path=path, metadata=metadata, store=store)
