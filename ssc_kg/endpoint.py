"""A read-only SPARQL endpoint: a limiting HTTP front on the Oxigraph server.

:func:`serve` (the ``ssc-kg serve`` command) and :func:`start` run the Oxigraph
server (``oxigraph serve-read-only``, the binary of the ``oxigraph`` package on PyPI,
a dependency of ssc-kg) on an ssc-kg store (:mod:`ssc_kg.store`) -- a store you built
with ``ssc-kg load``, or a temporary one built from the data files and deleted when
the server stops -- on a private port of 127.0.0.1, and in front of it an HTTP server
of ours (:mod:`ssc_kg.front`, on aiohttp) on the public address. The front is what
clients talk to; it passes their requests on and enforces what Oxigraph cannot.

What the endpoint offers, at ``http://HOST:PORT``:

``/query`` (also ``/sparql``)
    the SPARQL 1.1 Protocol: GET, POST form and POST ``application/sparql-query``;
    SELECT/ASK results as JSON, XML, CSV or TSV and CONSTRUCT/DESCRIBE as Turtle,
    N-Triples, JSON-LD, RDF/XML, N-Quads or TriG, by ``Accept`` header (Oxigraph
    chooses; the front passes its answer on byte for byte). The default graph is the
    union of all graphs and ``GRAPH ?g`` sees each named graph, as in
    :func:`ssc_kg.query` (but the project prefixes are not predeclared: declare them).
``/store``
    the SPARQL 1.1 Graph Store Protocol, read only (GET ``?default``, ``?graph=IRI``,
    or the whole dataset as N-Quads/TriG).
``/``
    Oxigraph's query editor (YASGUI) and its script and style sheet.

Updates (``/update``, and PUT/POST/DELETE on ``/store``) are refused with 403 by the
front (and the store is opened read-only). The limits, each answered with a one-line
``text/plain`` reason (see ``docs/sparql.md``):

* *timeout*: the front stops waiting for a query after that many seconds and answers
  503 (or cuts a response that had begun to stream); the Oxigraph process that ran it
  is then replaced by a fresh one, so that a query Oxigraph cannot cancel does not hold
  a CPU for long;
* *max_results*: a query giving more rows (SELECT) or triples (CONSTRUCT, DESCRIBE, a
  Graph Store read) than that is answered 500 with the limit named, never cut short
  silently; ``0`` means no limit;
* SERVICE (federated queries) is refused with 400 unless *allow_network*;
* a request body or query string over 1 MiB is refused with 413.

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
    from .front import Front
    from .io import PathLike

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_RESULTS",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "MAX_REQUEST_BYTES",
    "Endpoint",
    "EndpointError",
    "find_oxigraph",
    "serve",
    "start",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30
"""Seconds after which the front stops waiting for a query (``--timeout``)."""
DEFAULT_MAX_RESULTS = 10_000
"""Rows or triples a query may return (``--max-results``; 0: no limit)."""
MAX_REQUEST_BYTES = 1 << 20
"""The largest request body or query string accepted (1 MiB); larger: 413."""

_READY_TIMEOUT = 60.0
"""Seconds to wait for the server to answer its first query."""

_STOP_TIMEOUT = 10.0
"""Seconds to wait for the server to end after SIGTERM before it is killed."""

_BACKEND_GRACE = 1
"""Oxigraph's own timeout is this much longer than the front's: the front answers first."""


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


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """True if *host* only reaches this machine (``127.0.0.1``, ``::1``, ``localhost``)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- Oxigraph


@dataclass(eq=False)
class Backend:
    """One ``oxigraph serve-read-only`` process on a private loopback port."""

    process: subprocess.Popen[bytes]
    url: str
    """``http://127.0.0.1:PORT``: only the front talks to it."""
    log_file: IO[bytes]
    active: int = 0
    """Requests of the front waiting on it now (see :mod:`ssc_kg.front`)."""
    retired: bool = False
    """Replaced by a fresh process; ended once :attr:`active` falls to 0."""
    ended_by_us: bool = False

    @property
    def query_url(self) -> str:
        return self.url + "/query"

    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        """What the server wrote on stderr (its start-up line, errors)."""
        try:
            self.log_file.flush()
            self.log_file.seek(0)
            return self.log_file.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def reason(self, code: int | None) -> str:
        lines = [line for line in self.log().splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else "no message"
        status = "running" if code is None else f"exit status {code}"
        return f"{detail} ({status})"

    def end(self) -> None:
        """SIGTERM, then SIGKILL after a few seconds; idempotent; closes the log."""
        self.ended_by_us = True
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                self.process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                self.process.wait()
        with contextlib.suppress(OSError):
            self.log_file.close()


def _stopped_by_signal(code: int) -> bool:
    import signal

    return code in (-signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGINT, 128 + signal.SIGTERM)


def _wait_ready(backend: Backend, deadline: float) -> None:
    """Poll with a real query until the server answers it (or dies, or time runs out)."""
    import urllib.error
    import urllib.request

    probe = backend.query_url + "?query=ASK%7B%7D"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    delay = 0.02
    while True:
        if not backend.running():
            raise EndpointError(
                f"the SPARQL server did not start: {backend.reason(backend.process.poll())}"
            )
        try:
            request = urllib.request.Request(
                probe, headers={"Accept": "application/sparql-results+json"}
            )
            with opener.open(request, timeout=5) as response:
                server = response.headers.get("Server", "")
                response.read()
            if response.status == 200 and server.startswith("Oxigraph") and backend.running():
                return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise EndpointError(
                f"the SPARQL server did not answer at {backend.query_url} within "
                f"{_READY_TIMEOUT:.0f} s"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _launcher(binary: str, location: Path, *, timeout: int, cors: bool) -> Callable[[], Backend]:
    """A function that starts one more Oxigraph process on *location* and waits for it."""
    import tempfile

    def launch() -> Backend:
        for attempt in range(3):
            port = _free_port("127.0.0.1")
            command = [
                binary,
                "serve-read-only",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",
                "--timeout-s",
                str(timeout + _BACKEND_GRACE),
                *(["--cors"] if cors else []),
            ]
            log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Backend.end
            try:
                process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
                )
            except OSError as error:
                log.close()
                raise EndpointError(f"cannot run {binary}: {error.strerror or error}") from None
            backend = Backend(process, f"http://127.0.0.1:{port}", log)
            try:
                _wait_ready(backend, time.monotonic() + _READY_TIMEOUT)
            except EndpointError:
                in_use = "in use" in backend.log().lower()  # the port was taken meanwhile
                backend.end()
                if in_use and attempt < 2:
                    continue
                raise
            return backend
        raise AssertionError("unreachable")  # pragma: no cover

    return launch


# --------------------------------------------------------------------------- the endpoint


@dataclass
class Endpoint:
    """A running SPARQL endpoint (see :func:`start`)."""

    url: str
    """The base URL, e.g. ``http://127.0.0.1:7878`` (the query editor is at ``url + "/"``)."""
    store: Path
    """The store directory served (temporary unless ``start(store=...)``)."""
    timeout: int
    max_results: int
    allow_network: bool
    _front: Front

    @property
    def query_url(self) -> str:
        """The SPARQL 1.1 Protocol endpoint, ``url + "/query"``."""
        return self.url + "/query"

    @property
    def graph_store_url(self) -> str:
        """The (read-only) Graph Store Protocol endpoint, ``url + "/store"``."""
        return self.url + "/store"

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The Oxigraph process answering queries now (it is replaced after a timeout)."""
        return self._front.current.process

    def running(self) -> bool:
        """True while the front and its Oxigraph process run."""
        return self._front.failure() is None and self._front.current.running()

    def log(self) -> str:
        """What the current Oxigraph process wrote on stderr (its start-up line, errors)."""
        return self._front.current.log()

    def wait(self) -> None:
        """Block until the endpoint ends.

        :raises EndpointError: the Oxigraph process ended by itself, not by :meth:`stop`
            or a signal sent to it (Ctrl-C reaches it too), or the front failed.
        """
        while True:
            failure = self._front.failure()
            if failure is not None:
                backend, code = failure
                if backend is not None and code is not None and _stopped_by_signal(code):
                    return
                detail = backend.reason(code) if backend is not None else "the front stopped"
                raise EndpointError(f"the SPARQL server stopped unexpectedly: {detail}")
            time.sleep(0.2)

    def stop(self) -> None:
        """End the front and every Oxigraph process; idempotent."""
        self._front.stop()


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
    max_results: int = DEFAULT_MAX_RESULTS,
    allow_network: bool = False,
    cors: bool = False,
) -> Iterator[Endpoint]:
    """Run a read-only SPARQL endpoint for the duration of a ``with`` block.

    :param paths: RDF files to serve, after the shipped data if *shipped* (as
        :func:`ssc_kg.load`); parsed into a temporary store deleted at the end.
    :param store: serve this store directory (built by ``ssc-kg load`` /
        :func:`ssc_kg.store.build`) instead; it is opened read-only and never changed.
    :param host: the address to listen on; ``127.0.0.1`` (this machine only) by
        default. ``0.0.0.0`` listens on every interface: anyone who can reach the
        machine can query it.
    :param port: the TCP port; ``0`` picks a free one (see :attr:`Endpoint.url`).
    :param timeout: seconds after which a query is stopped and answered 503 (at least 1).
    :param max_results: the most rows (SELECT) or triples (CONSTRUCT, DESCRIBE, Graph
        Store reads) an answer may have; more is answered 500. ``0``: no limit.
    :param allow_network: let queries use SERVICE (the server then fetches URLs);
        refused with 400 otherwise.
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
    if max_results < 0:
        raise EndpointError(f"the result limit must be 0 (none) or more, not {max_results}")
    if not 0 <= port <= 65535:
        raise EndpointError(f"port {port} is out of range (0-65535)")
    binary = find_oxigraph()
    _check_version(binary)
    if port != 0:
        _check_port(host, port)
    elif not _is_address(host):  # a name may stand for several addresses: one port for all
        port = _free_port(host)
    temporary: Path | None = None
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
        from .front import Front, Limits

        launch = _launcher(binary, location / OXIGRAPH, timeout=timeout, cors=cors)
        limits = Limits(
            timeout=timeout,
            max_results=max_results,
            allow_network=allow_network,
            cors=cors,
            max_request=MAX_REQUEST_BYTES,
        )
        front = Front(launch(), launch, limits)
        try:
            bound = front.start(host, port)
            endpoint = Endpoint(
                url=f"http://{_url_host(host)}:{bound}",
                store=location,
                timeout=timeout,
                max_results=max_results,
                allow_network=allow_network,
                _front=front,
            )
            _check_front(endpoint)
            yield endpoint
        finally:
            front.stop()
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _check_front(endpoint: Endpoint) -> None:
    """One query through the front before the endpoint is announced."""
    import urllib.error
    import urllib.request

    host = endpoint.url.split("//", 1)[1].rsplit(":", 1)[0]
    if host in ("0.0.0.0", "[::]", "::"):  # listening everywhere: ask on loopback
        probe = endpoint.url.replace(host, "127.0.0.1" if "." in host else "[::1]", 1)
    else:
        probe = endpoint.url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(probe + "/query?query=ASK%7B%7D", timeout=30) as response:
            response.read()
    except (urllib.error.URLError, OSError) as error:
        raise EndpointError(f"the SPARQL endpoint does not answer at {probe}: {error}") from None


def serve(
    paths: Iterable[PathLike] = (),
    *,
    shipped: bool = True,
    input_format: str | Format | None = None,
    store: PathLike | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    timeout: int = DEFAULT_TIMEOUT,
    max_results: int = DEFAULT_MAX_RESULTS,
    allow_network: bool = False,
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
            max_results=max_results,
            allow_network=allow_network,
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
