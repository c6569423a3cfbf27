"""A read-only SPARQL endpoint on the Oxigraph server.

:func:`serve` (the ``ssc-kg serve`` command) and :func:`start` run the Oxigraph
server (``oxigraph serve-read-only``, the binary of the ``oxigraph`` package on PyPI,
a dependency of ssc-kg) on an ssc-kg store (:mod:`ssc_kg.store`): a store you built
with ``ssc-kg load``, or a temporary one built from the data files and deleted when
the server stops. Nothing in this module speaks HTTP to clients itself.

What the server offers, at ``http://HOST:PORT``:

``/query`` (also ``/sparql``)
    the SPARQL 1.1 Protocol: GET, POST form and POST ``application/sparql-query``;
    SELECT/ASK results as JSON, XML, CSV or TSV and CONSTRUCT/DESCRIBE as Turtle,
    N-Triples, JSON-LD, RDF/XML, N-Quads or TriG, by ``Accept`` header. The default
    graph is the union of all graphs and ``GRAPH ?g`` sees each named graph, as in
    :func:`ssc_kg.query` (but the project prefixes are not predeclared: declare them).
``/store``
    the SPARQL 1.1 Graph Store Protocol, read only (GET ``?default``, ``?graph=IRI``,
    or the whole dataset as N-Quads/TriG).
``/``
    Oxigraph's query editor (YASGUI), served by the server itself.

Updates (``/update``, and PUT/POST/DELETE on ``/store``) are refused with 403: the
server opens the store read-only. Limits: a query is cancelled *timeout* seconds after
it starts, at its next read of the store (see ``docs/sparql.md`` for what that does
and does not stop); there is no row limit.

Example:

>>> from ssc_kg import endpoint
>>> with endpoint.start(port=0) as server:          # doctest: +SKIP
...     print(server.query_url)                     # http://127.0.0.1:PORT/query
...     # query it with any SPARQL client while the block runs
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .errors import SscKgError

if TYPE_CHECKING:
    from .formats import Format
    from .io import PathLike

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "Endpoint",
    "EndpointError",
    "find_oxigraph",
    "serve",
    "start",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30
"""Seconds after which the server cancels a query."""

_READY_TIMEOUT = 60.0
"""Seconds to wait for the server to answer its first query."""

_STOP_TIMEOUT = 10.0
"""Seconds to wait for the server to end after SIGTERM before it is killed."""


class EndpointError(SscKgError):
    """The SPARQL server cannot be found, cannot start, or stopped unexpectedly."""


class _Stop(Exception):
    """Raised in the main thread by the SIGTERM handler of :func:`serve`."""


# --------------------------------------------------------------------------- the binary


def find_oxigraph() -> str:
    """The path of the ``oxigraph`` server binary.

    Looked for beside the running Python (the ``bin``/``Scripts`` folder of its
    environment, where pip installs it), then on ``PATH``.

    :raises EndpointError: not found.
    """
    import shutil
    import sysconfig

    names = ("oxigraph.exe", "oxigraph") if os.name == "nt" else ("oxigraph",)
    folders = [Path(sys.executable).parent]
    scripts = sysconfig.get_path("scripts")
    if scripts:
        folders.append(Path(scripts))
    for folder in folders:
        for name in names:
            candidate = folder / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which("oxigraph")
    if found:
        return found
    raise EndpointError(
        "the Oxigraph server binary 'oxigraph' was not found beside Python or on PATH "
        "(install it with: pip install 'oxigraph>=0.5,<0.6')"
    )


def _check_version(binary: str) -> None:
    """The server must read the stores pyoxigraph writes: same major.minor version."""
    import pyoxigraph

    try:
        completed = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise EndpointError(f"cannot run {binary}: {error}") from None
    words = completed.stdout.split()
    found = words[-1] if words else ""
    if found.split(".")[:2] != pyoxigraph.__version__.split(".")[:2]:
        raise EndpointError(
            f"{binary} is version {found or '(unknown)'} but pyoxigraph is "
            f"{pyoxigraph.__version__}: the store formats may differ "
            f"(install oxigraph=={pyoxigraph.__version__})"
        )


# --------------------------------------------------------------------------- addresses


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _free_port(host: str) -> int:
    """A port that is free on *host* now (the server binds it right after)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    """Fail early and clearly when *port* is taken or *host* is not an address of ours."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise EndpointError(f"cannot resolve host {host!r}: {error.strerror}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                where = f"{_url_host(str(address[0]))}:{port}"
                raise EndpointError(f"cannot listen on {where}: {error.strerror}") from None


def is_loopback(host: str) -> bool:
    """True if *host* only reaches this machine (``127.0.0.1``, ``::1``, ``localhost``)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- running


@dataclass
class Endpoint:
    """A running SPARQL server (see :func:`start`)."""

    url: str
    """The base URL, e.g. ``http://127.0.0.1:7878`` (the query editor is at ``url + "/"``)."""
    process: subprocess.Popen[bytes]
    store: Path
    """The store directory served (temporary unless ``start(store=...)``)."""
    timeout: int
    _log: IO[bytes]
    _stopping: bool = False

    @property
    def query_url(self) -> str:
        """The SPARQL 1.1 Protocol endpoint, ``url + "/query"``."""
        return self.url + "/query"

    @property
    def graph_store_url(self) -> str:
        """The (read-only) Graph Store Protocol endpoint, ``url + "/store"``."""
        return self.url + "/store"

    def running(self) -> bool:
        """True while the server process runs."""
        return self.process.poll() is None

    def log(self) -> str:
        """What the server wrote on stderr (its start-up line, errors)."""
        try:
            self._log.flush()
            self._log.seek(0)
            return self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def wait(self) -> None:
        """Block until the server ends.

        :raises EndpointError: the server ended by itself, not by :meth:`stop` or a signal
            sent to it (Ctrl-C reaches it too).
        """
        code = self.process.wait()
        if not self._stopping and not _stopped_by_signal(code):
            raise EndpointError(f"the SPARQL server stopped unexpectedly: {self._reason(code)}")

    def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL after a few seconds); idempotent."""
        self._stopping = True
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                self.process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                self.process.wait()

    def _reason(self, code: int | None) -> str:
        lines = [line for line in self.log().splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else "no message"
        status = "running" if code is None else f"exit status {code}"
        return f"{detail} ({status})"


def _stopped_by_signal(code: int) -> bool:
    import signal

    return code in (-signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGINT, 128 + signal.SIGTERM)


def _wait_ready(endpoint: Endpoint, deadline: float) -> None:
    """Poll with a real query until the server answers it (or dies, or time runs out)."""
    import urllib.error
    import urllib.request

    probe = endpoint.query_url + "?query=ASK%7B%7D"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    delay = 0.02
    while True:
        if not endpoint.running():
            raise EndpointError(
                f"the SPARQL server did not start: {endpoint._reason(endpoint.process.poll())}"
            )
        try:
            request = urllib.request.Request(
                probe, headers={"Accept": "application/sparql-results+json"}
            )
            with opener.open(request, timeout=5) as response:
                server = response.headers.get("Server", "")
                response.read()
            if response.status == 200 and server.startswith("Oxigraph") and endpoint.running():
                return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise EndpointError(
                f"the SPARQL server did not answer at {endpoint.query_url} within "
                f"{_READY_TIMEOUT:.0f} s"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


@contextlib.contextmanager
def start(
    paths: Iterable[PathLike] = (),
    *,
    shipped: bool = True,
    input_format: str | Format | None = None,
    store: PathLike | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    timeout: int = DEFAULT_TIMEOUT,
    cors: bool = False,
) -> Iterator[Endpoint]:
    """Run a read-only SPARQL endpoint for the duration of a ``with`` block.

    :param paths: RDF files to serve, after the shipped data if *shipped* (as
        :func:`ssc_kg.load`); parsed into a temporary store deleted at the end.
    :param store: serve this store directory (built by ``ssc-kg load`` /
        :func:`ssc_kg.store.build`) instead; it is opened read-only and never changed.
    :param host: the address to listen on; ``127.0.0.1`` (this machine only) by
        default. ``0.0.0.0`` listens on every interface: anyone who can reach the
        machine can query it, and SERVICE clauses make the server fetch URLs.
    :param port: the TCP port; ``0`` picks a free one (see :attr:`Endpoint.url`).
    :param timeout: seconds after which a query is cancelled (at least 1).
    :param cors: let web pages from any origin query the endpoint (CORS headers), for
        browser tools such as a hosted YASGUI or Comunica.
    :yields: the running :class:`Endpoint`; it has answered a query already.
    :raises EndpointError: no ``oxigraph`` binary, port taken, server did not start.
    :raises InputError: bad data files; :class:`ssc_kg.store.StoreError`: bad store.
    """
    import shutil
    import tempfile

    from .store import OXIGRAPH, build, open_store

    if timeout < 1:
        raise EndpointError(f"the query timeout must be at least 1 second, not {timeout}")
    if not 0 <= port <= 65535:
        raise EndpointError(f"port {port} is out of range (0-65535)")
    binary = find_oxigraph()
    _check_version(binary)
    if port == 0:
        port = _free_port(host)
    else:
        _check_port(host, port)
    temporary: Path | None = None
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    try:
        if store is None:
            temporary = Path(tempfile.mkdtemp(prefix="ssc-kg-serve-"))
            location = temporary / "store"
            build(location, paths, shipped=shipped, input_format=input_format)
        else:
            if list(paths) or not shipped or input_format is not None:
                raise EndpointError(
                    "a store holds its data: give either a store or data files, not both"
                )
            location = Path(store).absolute()
            open_store(location)  # checks that it is a complete ssc-kg store
        bind = f"{_url_host(host)}:{port}"
        command = [
            binary,
            "serve-read-only",
            "--location",
            str(location / OXIGRAPH),
            "--bind",
            bind,
            "--union-default-graph",
            "--timeout-s",
            str(timeout),
            *(["--cors"] if cors else []),
        ]
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
            )
        except OSError as error:
            raise EndpointError(f"cannot run {binary}: {error.strerror or error}") from None
        endpoint = Endpoint(
            url=f"http://{bind}", process=process, store=location, timeout=timeout, _log=log
        )
        try:
            _wait_ready(endpoint, time.monotonic() + _READY_TIMEOUT)
            yield endpoint
        finally:
            endpoint.stop()
    finally:
        log.close()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def serve(
    paths: Iterable[PathLike] = (),
    *,
    shipped: bool = True,
    input_format: str | Format | None = None,
    store: PathLike | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    timeout: int = DEFAULT_TIMEOUT,
    cors: bool = False,
    on_ready: Callable[[Endpoint], None] | None = None,
) -> None:
    """Serve the data read-only until Ctrl-C or SIGTERM (what ``ssc-kg serve`` runs).

    Same parameters as :func:`start`; *on_ready* is called with the endpoint once it
    answers queries (the command prints its URL there). Returns normally when the
    server is stopped by Ctrl-C (SIGINT) or SIGTERM; the temporary store is deleted.

    :raises EndpointError: as :func:`start`, or the server stopped by itself.
    """
    import signal
    import threading

    def on_sigterm(signum: int, frame: object) -> None:
        raise _Stop

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if main_thread else None
    try:
        with start(
            paths,
            shipped=shipped,
            input_format=input_format,
            store=store,
            host=host,
            port=port,
            timeout=timeout,
            cors=cors,
        ) as endpoint:
            if on_ready is not None:
                on_ready(endpoint)
            endpoint.wait()
    except (KeyboardInterrupt, _Stop):
        return
    finally:
        if main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)
