"""The limiting HTTP front of ``ssc-kg serve``, on aiohttp, before the Oxigraph server.

Clients talk to :class:`Front`; it passes their requests on to an Oxigraph process
(:class:`ssc_kg.endpoint.Backend`, listening on a private port of 127.0.0.1) and its
answers back -- status, ``Content-Type`` and body byte for byte, so that content
negotiation stays Oxigraph's -- and enforces what Oxigraph cannot (:class:`Limits`):

* **routes**: ``/query`` and ``/sparql`` (GET, POST), GET ``/store`` and
  ``/store/...``, the query editor ``/`` and its files; ``/update`` and any other
  method on ``/store`` get 403, anything else 404 -- one line of ``text/plain``;
* **request size**: a body or query string over ``max_request`` bytes gets 413 (a
  request line still longer than that is refused by aiohttp's parser with 400), and a
  client that does not send its request within ``timeout`` seconds is disconnected
  (aiohttp's keep-alive timeout for the head; our own for the body, 408);
* **SERVICE** (federated queries) gets 400 unless ``allow_network``
  (:func:`ssc_kg.query._uses_service` decides, as for ``ssc-kg query``);
* **timeout**: ``timeout`` seconds after a request was received the front stops
  waiting, closes the connection to Oxigraph and answers 503 -- or, if the answer was
  already streaming to the client, cuts it (no final chunk: clients see an error).
  Oxigraph's own timeout is one second longer, and it cancels only at its next read of
  the store; so the Oxigraph process that ran such a query is *retired*: a fresh
  process takes the new requests at once, and the old one is ended as soon as its
  other requests are done (they are bounded by the same timeout);
* **result limit**: a 200 answer of ``/query`` or ``/store`` is parsed as it arrives
  (pyoxigraph in a worker thread; Python's csv module for CSV, which pyoxigraph cannot
  read) and its rows (SELECT) or triples (RDF) counted, while its bytes are held back.
  More than ``max_results`` -> 500 with a one-line reason naming the limit (the SPARQL
  Protocol's "query request refused"); the end of the answer within the limit -> the
  answer, with its ``Content-Length``. Held bytes are capped (:data:`MAX_HELD`): past
  that the answer streams on while the counting goes on, and is cut if the limit is
  then exceeded. ``max_results=0``: answers stream through, uncounted.

A limit reached while streaming is never a silently short answer: the chunked
response ends without its last chunk, which HTTP clients report as an error.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import io
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, cast

import aiohttp
from aiohttp import web

from .endpoint import Backend, EndpointError, _url_host

if TYPE_CHECKING:
    import pyoxigraph as ox

__all__ = ["MAX_HELD", "Front", "Limits"]

MAX_HELD = 32 << 20
"""Bytes of one answer held back while its results are counted; past that it streams."""
_MAX_PLAIN = 16 << 20
"""The largest answer that is not counted (pages, scripts, error messages)."""
_PIPE_HIGH = 4 << 20
"""Bytes the counting thread may lag behind a streaming answer."""
_WRITE_CHUNK = 64 << 10
_LINGER = 2.0
"""Seconds the rest of a refused request body is read and dropped before closing."""
_SHUTDOWN = 2.0
"""Seconds that requests still running get when the endpoint stops."""

QUERY_PATHS = frozenset({"/query", "/sparql"})
EDITOR_PATHS = frozenset({"/", "/yasgui.min.js", "/yasgui.min.css", "/logo.svg"})
_FORWARDED_REQUEST_HEADERS = (
    "Accept",
    "Content-Type",
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
)
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "date",
    }
)
_CANCELLED = b"The SPARQL operation has been cancelled"


@dataclass(frozen=True)
class Limits:
    """What the front enforces (see the module documentation)."""

    timeout: float
    max_results: int
    allow_network: bool
    cors: bool
    max_request: int


class _Refused(Exception):
    """A request answered by the front itself."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response


# --------------------------------------------------------------------------- counting


class _Pipe(io.RawIOBase):
    """Bytes fed by the event loop, read (blocking) by the counting thread."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: collections.deque[bytes] = collections.deque()
        self._offset = 0
        self._eof = False
        self._ready = threading.Condition()
        self.pending = 0

    def readable(self) -> bool:
        return True

    def feed(self, data: bytes) -> None:
        with self._ready:
            self._chunks.append(data)
            self.pending += len(data)
            self._ready.notify()

    def finish(self, *, discard: bool = False) -> None:
        with self._ready:
            if discard:
                self._chunks.clear()
                self.pending = 0
            self._eof = True
            self._ready.notify()

    def readinto(self, buffer: Any) -> int:
        with self._ready:
            while not self._chunks and not self._eof:
                self._ready.wait()
            if not self._chunks:
                return 0
            chunk = self._chunks[0]
            size = min(len(buffer), len(chunk) - self._offset)
            buffer[:size] = chunk[self._offset : self._offset + size]
            self._offset += size
            self.pending -= size
            if self._offset == len(chunk):
                self._chunks.popleft()
                self._offset = 0
            return size


@dataclass
class _Tally:
    """What the counting thread found."""

    limit: int
    unit: str
    count: int = 0
    exceeded: bool = False
    error: str | None = None


def _syntax(media: str) -> tuple[str, ox.QueryResultsFormat | ox.RdfFormat | None]:
    """How to count an answer of this media type: ("rows"|"triples", pyoxigraph format)."""
    import pyoxigraph as ox

    if media == "text/csv":
        return "rows", None
    results = ox.QueryResultsFormat.from_media_type(media)
    if results is not None:
        return "rows", results
    rdf = ox.RdfFormat.from_media_type(media)
    if rdf is not None:
        return "triples", rdf
    raise ValueError(media)


def _count(pipe: _Pipe, fmt: ox.QueryResultsFormat | ox.RdfFormat | None, tally: _Tally) -> None:
    """Count the rows or triples read from *pipe* (in a worker thread)."""
    import csv
    import itertools

    import pyoxigraph as ox

    items: Iterable[object]
    try:
        if fmt is None:  # CSV: a header line (or true/false for ASK), then a record per row
            text = io.TextIOWrapper(io.BufferedReader(pipe), encoding="utf-8", newline="")
            items = itertools.islice(csv.reader(text), 1, None)
        elif isinstance(fmt, ox.QueryResultsFormat):
            parsed = ox.parse_query_results(cast("IO[bytes]", pipe), fmt)
            items = parsed if isinstance(parsed, ox.QuerySolutions) else ()
        else:
            items = ox.parse(cast("IO[bytes]", pipe), fmt, lenient=True)
        for _ in items:
            tally.count += 1
            if tally.count > tally.limit:
                tally.exceeded = True
                return
    except Exception as error:  # a syntax error, or the pipe closed under it
        tally.error = " ".join(str(error).split()) or type(error).__name__


# --------------------------------------------------------------------------- the front


def _text(status: int, message: str, *, cors: bool, close: bool = False) -> web.Response:
    """A one-line text/plain answer of the front's own."""
    response = web.Response(status=status, text=message, content_type="text/plain")
    response.charset = "utf-8"
    response.headers["Server"] = "ssc-kg"
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    if close:
        response.force_close()
    return response


class Front:
    """The HTTP server clients talk to, on its own event loop in a thread.

    *first* is the Oxigraph process to start with; *launch* starts another one (called
    in a worker thread when a timed-out query retires the current one).
    """

    def __init__(self, first: Backend, launch: Callable[[], Backend], limits: Limits) -> None:
        self.current = first
        self.limits = limits
        self._launch = launch
        self._backends: list[Backend] = [first]
        self._replacing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._pipes: set[_Pipe] = set()
        """Answers being counted: ended by :meth:`stop` so that no counting thread waits."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._counters = concurrent.futures.ThreadPoolExecutor(
            max_workers=32, thread_name_prefix="ssc-kg-count"
        )
        self._stopped = False
        self._lock = threading.Lock()
        """Guards ``_stopped`` and ``_backends`` between a launch thread and :meth:`stop`."""
        self._crashed: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self, host: str, port: int) -> int:
        """Listen on *host*:*port* (0: any free port); returns the port.

        :raises EndpointError: cannot listen there.
        """
        # aiohttp logs "Error handling request" with a traceback when a handler
        # fails; without a handler of the application's own, Python would print it.
        logger = logging.getLogger("aiohttp")
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        started: concurrent.futures.Future[int] = concurrent.futures.Future()
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                started.set_result(loop.run_until_complete(self._open(host, port)))
            except BaseException as error:
                started.set_exception(error)
                loop.close()
                return
            try:
                loop.run_forever()
            except BaseException as error:  # pragma: no cover - a bug of ours
                self._crashed = error
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="ssc-kg-front", daemon=True)
        self._thread.start()
        try:
            return started.result()
        except OSError as error:
            where = f"{_url_host(host)}:{port}"
            raise EndpointError(f"cannot listen on {where}: {error.strerror or error}") from None

    async def _open(self, host: str, port: int) -> int:
        limits = self.limits
        app = web.Application(client_max_size=limits.max_request)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=_SHUTDOWN,
            # a connection that has not sent a whole request head in this time is closed
            keepalive_timeout=limits.timeout,
            max_line_size=limits.max_request + 16 * 1024,
            # after an early answer (413, 408), the rest of a body is read and dropped
            # for this long, so that the client can read the answer; then it is closed
            lingering_time=_LINGER,
        )
        await runner.setup()
        self._runner = runner
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
            auto_decompress=False,
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await self._session.close()
            await runner.cleanup()
            raise
        return int(runner.addresses[0][1])

    def failure(self) -> tuple[Backend | None, int | None] | None:
        """Why the endpoint stopped by itself: (Oxigraph process, exit status), or None."""
        backend = self.current
        code = backend.process.poll()
        if code is not None and not backend.ended_by_us:
            return backend, code
        if self._thread is not None and not self._thread.is_alive() and not self._stopped:
            return None, None
        return None

    def stop(self) -> None:
        """Stop listening, end every Oxigraph process; idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            closing = asyncio.run_coroutine_threadsafe(self._close(), loop)
            with contextlib.suppress(Exception):
                closing.result(_SHUTDOWN + 10)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        for pipe in list(self._pipes):
            pipe.finish(discard=True)
        self._counters.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            backends = list(self._backends)
        for backend in backends:
            backend.end()

    async def _close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    # ------------------------------------------------------------------ Oxigraph processes

    def _acquire(self) -> Backend:
        backend = self.current
        backend.active += 1
        return backend

    def _release(self, backend: Backend, *, runaway: bool) -> None:
        backend.active -= 1
        if runaway and not self._stopped:
            self._retire(backend)
        if backend.retired and backend.active <= 0:
            self._end_soon(backend)

    def _retire(self, backend: Backend) -> None:
        """Replace *backend* (it may be computing a query it cannot cancel)."""
        if backend is not self.current or self._replacing:
            return
        self._replacing = True
        loop = asyncio.get_running_loop()

        async def replace() -> None:
            try:
                fresh = await loop.run_in_executor(None, self._launch_another)
            except Exception:  # keep serving with the old process; try again next time
                return
            finally:
                self._replacing = False
            if fresh is None:  # the endpoint is stopping
                return
            old, self.current = self.current, fresh
            old.retired = True
            if old.active <= 0:
                self._end_soon(old)
            else:  # its other requests end within the timeout; this is a safety net
                loop.call_later(self.limits.timeout + 5, self._end_soon, old)

        task = loop.create_task(replace())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _launch_another(self) -> Backend | None:
        """A fresh Oxigraph process (in a worker thread), or None if stopping meanwhile."""
        fresh = self._launch()
        with self._lock:
            if not self._stopped:
                self._backends.append(fresh)
                return fresh
        fresh.end()
        return None

    def _end_soon(self, backend: Backend) -> None:
        if backend.ended_by_us:
            return
        backend.ended_by_us = True
        with self._lock:
            if backend in self._backends:
                self._backends.remove(backend)
        asyncio.get_running_loop().run_in_executor(None, backend.end)

    # ------------------------------------------------------------------ requests

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._route(request)
        except _Refused as refused:
            return refused.response

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path, method = request.path, request.method
        cors = self.limits.cors
        if path in QUERY_PATHS:
            if method == "OPTIONS":
                return await self._forward(request, path, b"", counted=False)
            if method not in ("GET", "HEAD", "POST"):
                return _text(405, f"{method} {path} is not supported by this server", cors=cors)
            body = await self._body(request)
            if not self.limits.allow_network and self._uses_service(request, body):
                return _text(
                    400,
                    "SERVICE (federated query) is not allowed by this endpoint: it would make "
                    "the server fetch URLs (start it with 'ssc-kg serve --allow-network')",
                    cors=cors,
                )
            return await self._forward(request, path, body, counted=method != "HEAD")
        if path == "/update":
            return _text(403, "The server is read-only", cors=cors)
        if path == "/store" or path.startswith("/store/"):
            if method in ("GET", "HEAD", "OPTIONS"):
                return await self._forward(request, path, b"", counted=method == "GET")
            return _text(403, "The server is read-only", cors=cors)
        if path in EDITOR_PATHS and method in ("GET", "HEAD"):
            return await self._forward(request, path, b"", counted=False)
        return _text(404, f"{method} {path} is not supported by this server", cors=cors)

    def _too_large(self) -> _Refused:
        limit = self.limits.max_request
        return _Refused(
            _text(
                413,
                f"the request is larger than {limit} bytes ({limit >> 20} MiB), this "
                "endpoint's limit",
                cors=self.limits.cors,
                close=True,
            )
        )

    async def _body(self, request: web.Request) -> bytes:
        """The request body, at most ``max_request`` bytes, received within the timeout."""
        limit = self.limits.max_request
        if len(request.rel_url.raw_query_string) > limit:
            raise self._too_large()
        if not request.body_exists:
            return b""
        if request.content_length is not None and request.content_length > limit:
            raise self._too_large()
        data = bytearray()
        try:
            async with asyncio.timeout(self.limits.timeout):
                async for chunk in request.content.iter_any():
                    data += chunk
                    if len(data) > limit:
                        raise self._too_large()
        except TimeoutError:
            raise _Refused(
                _text(
                    408,
                    f"the request was not received within {self.limits.timeout:g} s",
                    cors=self.limits.cors,
                    close=True,
                )
            ) from None
        return bytes(data)

    @staticmethod
    def _uses_service(request: web.Request, body: bytes) -> bool:
        from urllib.parse import parse_qs

        from .query import _uses_service

        def query_parameters(encoded: str) -> list[str]:  # decoded as Oxigraph does
            return parse_qs(encoded, keep_blank_values=True, errors="replace").get("query", [])

        queries = query_parameters(request.rel_url.raw_query_string)
        media = request.content_type
        if body and media == "application/x-www-form-urlencoded":
            queries.extend(query_parameters(body.decode("utf-8", "replace")))
        elif body:  # application/sparql-query, or anything Oxigraph would refuse anyway
            queries.append(body.decode("utf-8", "replace"))
        return any(_uses_service(query) for query in queries)

    async def _forward(
        self, request: web.Request, path: str, body: bytes, *, counted: bool
    ) -> web.StreamResponse:
        """Send the request to Oxigraph and its answer back, within the limits."""
        assert self._session is not None
        query = request.rel_url.raw_query_string
        headers = {k: v for k in _FORWARDED_REQUEST_HEADERS if (v := request.headers.get(k))}
        headers["Host"] = request.host  # Oxigraph writes URLs of itself from it
        deadline = asyncio.get_running_loop().time() + self.limits.timeout
        exchange = _Exchange(self, request, deadline)
        backend = self._acquire()
        runaway = False  # True: Oxigraph may still be computing what nobody waits for
        try:
            async with asyncio.timeout_at(deadline):
                upstream = await self._session.request(
                    request.method,
                    backend.url + path + ("?" + query if query else ""),
                    data=body if request.method == "POST" else None,
                    headers=headers,
                    allow_redirects=False,
                )
            async with upstream:  # leaving it unread closes the connection to Oxigraph
                return await exchange.relay(upstream, counted=counted)
        except TimeoutError:
            runaway = True
            return exchange.timed_out()
        except aiohttp.ClientError as error:
            return exchange.backend_failed(error)
        except asyncio.CancelledError:  # the endpoint is stopping
            runaway = True
            raise
        finally:
            self._release(backend, runaway=runaway)


class _Exchange:
    """One request passed on to Oxigraph: its answer relayed, counted, or refused."""

    def __init__(self, front: Front, request: web.Request, deadline: float) -> None:
        self.front = front
        self.limits = front.limits
        self.request = request
        self.deadline = deadline
        self.response: web.StreamResponse | None = None  # once streaming has begun

    # ------------------------------------------------------------------ outcomes

    def _abort(self) -> web.StreamResponse:
        """Cut the answer that has begun: no final chunk, the connection closed."""
        assert self.response is not None
        transport = self.request.transport
        if transport is not None:
            transport.abort()
        return self.response

    def timed_out(self) -> web.StreamResponse:
        if self.response is not None:
            return self._abort()
        timeout = self.limits.timeout
        return _text(
            503,
            f"the query was stopped after {timeout:g} s, this endpoint's timeout "
            f"(ssc-kg serve --timeout {timeout:g}): make it cheaper (LIMIT, more specific "
            "patterns)",
            cors=self.limits.cors,
        )

    def backend_failed(self, error: BaseException) -> web.StreamResponse:
        if self.response is not None:
            return self._abort()
        detail = " ".join(str(error).split()) or type(error).__name__
        return _text(502, f"the SPARQL server failed: {detail}", cors=self.limits.cors)

    def exceeded(self, tally: _Tally) -> web.StreamResponse:
        if self.response is not None:
            return self._abort()
        limit = tally.limit
        return _text(
            500,
            f"query request refused: the answer has more than {limit} {tally.unit}, this "
            f"endpoint's limit (ssc-kg serve --max-results {limit}): add LIMIT {limit} to "
            "the query, or page through the answer with LIMIT and OFFSET",
            cors=self.limits.cors,
        )

    def unreadable(self, tally: _Tally, tail: bytes) -> web.StreamResponse:
        if self.response is not None:
            return self._abort()
        if _CANCELLED in tail:
            return self.timed_out()
        return _text(
            502,
            f"the SPARQL server's answer broke off: {tally.error}",
            cors=self.limits.cors,
        )

    # ------------------------------------------------------------------ relaying

    def _headers(self, upstream: aiohttp.ClientResponse) -> dict[str, str]:
        return {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}

    async def relay(self, upstream: aiohttp.ClientResponse, *, counted: bool) -> web.StreamResponse:
        request = self.request
        if request.method == "HEAD":
            headers = self._headers(upstream)
            if "Content-Length" in upstream.headers:
                headers["Content-Length"] = upstream.headers["Content-Length"]
            return web.Response(status=upstream.status, headers=headers)
        media = upstream.headers.get("Content-Type", "").split(";")[0].strip().lower()
        limit = self.limits.max_results
        if counted and upstream.status == 200 and limit > 0:
            try:
                unit, fmt = _syntax(media)
            except ValueError:
                return self.backend_failed(ValueError(f"cannot count an answer in {media!r}"))
            return await self._counted(upstream, _Tally(limit, unit), fmt)
        if counted and upstream.status == 200:  # no limit: stream it through
            return await self._streamed(upstream)
        body = bytearray()
        async with asyncio.timeout_at(self.deadline):
            async for chunk in upstream.content.iter_any():
                body += chunk
                if len(body) > _MAX_PLAIN:
                    raise aiohttp.ClientPayloadError(f"an answer over {_MAX_PLAIN} bytes")
        return await self._send(upstream, [bytes(body)])

    async def _streamed(self, upstream: aiohttp.ClientResponse) -> web.StreamResponse:
        response = web.StreamResponse(status=upstream.status, headers=self._headers(upstream))
        async with asyncio.timeout_at(self.deadline):
            await response.prepare(self.request)
            self.response = response
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
        return response

    async def _counted(
        self,
        upstream: aiohttp.ClientResponse,
        tally: _Tally,
        fmt: ox.QueryResultsFormat | ox.RdfFormat | None,
    ) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        pipe = _Pipe()
        self.front._pipes.add(pipe)
        counting = loop.run_in_executor(self.front._counters, _count, pipe, fmt, tally)
        held: list[bytes] = []
        size = 0
        tail = b""
        try:
            async with asyncio.timeout_at(self.deadline):
                async for chunk in upstream.content.iter_any():
                    pipe.feed(chunk)
                    tail = (tail + chunk)[-256:]
                    if self.response is None:
                        held.append(chunk)
                        size += len(chunk)
                        if size > MAX_HELD:  # too much to hold: stream on, counting
                            await self._begin(upstream, held)
                            held = []
                    else:
                        while pipe.pending > _PIPE_HIGH and not counting.done():
                            await asyncio.sleep(0.01)
                        await self.response.write(chunk)
                    if counting.done():  # the limit was passed, or the answer is unreadable
                        upstream.close()
                        break
                pipe.finish()
                await counting
        finally:
            pipe.finish(discard=True)  # the counting thread ends, whatever happened
            self.front._pipes.discard(pipe)
        if tally.exceeded:
            return self.exceeded(tally)
        if tally.error is not None:
            return self.unreadable(tally, tail)
        if self.response is not None:
            async with asyncio.timeout_at(self.deadline):
                await self.response.write_eof()
            return self.response
        return await self._send(upstream, held)

    async def _begin(self, upstream: aiohttp.ClientResponse, held: list[bytes]) -> None:
        response = web.StreamResponse(status=upstream.status, headers=self._headers(upstream))
        await response.prepare(self.request)
        self.response = response
        for chunk in held:
            await response.write(chunk)

    async def _send(
        self, upstream: aiohttp.ClientResponse, chunks: list[bytes]
    ) -> web.StreamResponse:
        """A whole answer, written to the client within the timeout per piece."""
        response = web.StreamResponse(status=upstream.status, headers=self._headers(upstream))
        response.content_length = sum(len(chunk) for chunk in chunks)
        try:
            await response.prepare(self.request)
            for chunk in chunks:
                view = memoryview(chunk)
                for start in range(0, len(view), _WRITE_CHUNK):
                    async with asyncio.timeout(self.limits.timeout):
                        await response.write(view[start : start + _WRITE_CHUNK])
            await response.write_eof()
        except TimeoutError:  # the client does not read: give up on it
            transport = self.request.transport
            if transport is not None:
                transport.abort()
        return response
