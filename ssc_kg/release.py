"""A release: every export, the DCAT description, the web site and a checksum file, reproducibly.

:func:`release_files` returns the files of a release (relative path -> bytes);
:func:`build_release` writes them to a directory atomically
(:func:`ssc_kg.outdir.write_tree`). A release directory holds::

    SHA256SUMS        the SHA-256 of every other file, in `sha256sum -c` format
    dataset.ttl       the DCAT/VoID description (ssc-kg describe), also dataset.jsonld
    ssc-kg.jsonld     the exports, byte for byte what `ssc-kg export` writes:
    ssc-kg.nq         JSON-LD, N-Quads, N-Triples, RDF/XML, TriG, Turtle
    ssc-kg.nt
    ssc-kg.rdf
    ssc-kg.trig
    ssc-kg.ttl
    site/             the web site (ssc-kg site)
    .ssc-kg-output    the marker that says this is an ssc-kg release

The sizes and checksums in the description are those of these export files. Nothing
depends on the clock or on the machine: two releases of the same data with the same
ssc-kg version are byte-identical (file names and contents).

Example:

>>> from ssc_kg.io import parse_quads
>>> from ssc_kg.resources import data_files
>>> files = release_files(parse_quads(data_files()))
>>> files["SHA256SUMS"].decode().splitlines()[0].split("  ")[1]
'.ssc-kg-output'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .outdir import MARKER

if TYPE_CHECKING:
    import pyoxigraph as ox

__all__ = [
    "CHECKSUMS",
    "SITE_FOLDER",
    "ReleaseResult",
    "build_release",
    "release_files",
    "sha256sums",
]

CHECKSUMS = "SHA256SUMS"
SITE_FOLDER = "site"


@dataclass(frozen=True)
class ReleaseResult:
    """What :func:`build_release` wrote."""

    path: Path
    files: int
    """Number of files, ``SHA256SUMS`` and the marker included."""


def sha256sums(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum`` output for *files*: ``<hex>  <path>`` lines, sorted by path.

    >>> sha256sums({"b": b"", "a": b"x"}).decode().splitlines()[1]
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  b'
    """
    for name in files:
        if "\n" in name or "\\" in name:
            raise ValueError(f"file name cannot be written in {CHECKSUMS}: {name!r}")
    lines = [f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)]
    return "".join(lines).encode("utf-8")


def release_files(quads: Sequence[ox.Quad], *, base_url: str | None = None) -> dict[str, bytes]:
    """The files of a release of *quads* (see the module documentation), sorted by path.

    ``SHA256SUMS`` covers every file, the marker :data:`ssc_kg.outdir.MARKER` included.

    :param base_url: where the release is published (download URLs of the description;
        see :func:`ssc_kg.describe.check_base_url`).
    """
    from .describe import describe_quads, exports, serialize_description
    from .io import canonical_quads
    from .outdir import marker_text
    from .site import render_site

    data = canonical_quads(quads)
    exported = exports(data)
    description = describe_quads(data, base_url=base_url, export_bytes=exported)
    files: dict[str, bytes] = dict(exported)
    files["dataset.ttl"] = serialize_description(description, "turtle")
    files["dataset.jsonld"] = serialize_description(description, "jsonld")
    site = render_site(data, base_url=base_url, description=description)
    site[MARKER] = marker_text("site")
    for name, payload in site.items():
        files[f"{SITE_FOLDER}/{name}"] = payload
    files[MARKER] = marker_text("release")
    files[CHECKSUMS] = sha256sums(files)
    return dict(sorted(files.items()))


def build_release(
    directory: str | Path,
    quads: Sequence[ox.Quad] | None = None,
    *,
    base_url: str | None = None,
    force: bool = False,
) -> ReleaseResult:
    """Write the release of *quads* (default: the shipped data) to *directory*, atomically.

    Built beside *directory* and renamed into place; an existing *directory* is replaced
    if it is empty or a previous ssc-kg release or site, any other non-empty directory
    only with ``force=True``.

    :raises OutputError: *directory* cannot be used (see :func:`ssc_kg.outdir.write_tree`).
    :raises SscKgError: bad *base_url* or data without dates.
    """
    from .outdir import check_target, write_tree

    check_target(directory, force=force)  # before the work
    if quads is None:
        from .io import parse_quads
        from .resources import data_files

        quads = parse_quads(data_files())
    files = release_files(quads, base_url=base_url)
    del files[MARKER]  # write_tree writes it (the same bytes, covered by SHA256SUMS)
    path = write_tree(directory, files, kind="release", force=force)
    return ReleaseResult(path, len(files) + 1)
