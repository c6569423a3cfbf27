"""Publish the dataset to a triple store and verify what the store holds.

:func:`publish` (the ``ssc-kg publish`` command) sends every graph of the dataset --
each named graph and the default graph -- to a store with the SPARQL 1.1 Graph Store
HTTP Protocol: one ``PUT`` per graph (``?graph=IRI``, ``?default``), which *replaces*
that graph, so publishing the same data twice leaves the store as it was after the
first time. Then it reads the store back and compares:

* triple counts: one SPARQL query to the query endpoint counts the triples of every
  named graph (``GRAPH ?g``);
* contents: a SPARQL ``CONSTRUCT`` per named graph (all of them, or a random
  *sample*) is compared with what was sent -- as sets of triples, or after RDFC-1.0
  canonicalization when there are blank nodes (the store renames them);
* the default graph is read back with the Graph Store Protocol (``GET ?default``):
  SPARQL has no portable way to name it (several stores answer a query's default
  graph with the union of all graphs).

A graph counts as published only when the store holds exactly what was sent.
When publishing fails midway, the :class:`PublishError` carries a report
(:attr:`PublishError.report`) of exactly what reached the store: the graphs the store
accepted (verified again if the store still answers), the graph whose request failed,
and the graphs never sent (``ssc-kg publish --report FILE`` writes it as JSON).
Bodies are the canonical N-Triples of each graph (sorted, deterministic), sent as
``text/turtle`` (N-Triples is a subset of Turtle, which every store accepts).

Credentials come only from an environment variable (*auth_env*): ``user:password``
(HTTP Basic or Digest, whichever the store asks for) or a whole ``Authorization``
header value such as ``Bearer TOKEN``. They are never printed; error messages are
cleaned of them. Connection resets, timeouts and HTTP 502/503/504 are retried with
backoff; everything else fails at once with a one-line :class:`PublishError`.

Only the standard library speaks HTTP here (``urllib.request``).

Example (Oxigraph server on port 7878: query ``/query``, Graph Store ``/store``):

>>> import ssc_kg
>>> report = ssc_kg.publish(ssc_kg.load(), "http://127.0.0.1:7878/query")  # doctest: +SKIP
>>> report.ok, len(report.graphs), report.triples                          # doctest: +SKIP
(True, 57, 1254)
>>> print(report.to_text())                                                # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from .errors import SscKgError

if TYPE_CHECKING:
    import urllib.request
    from email.message import Message

    import pyoxigraph as ox
    from rdflib import Dataset, Graph

__all__ = [
    "GraphResult",
    "PublishError",
    "PublishReport",
    "guess_graph_store",
    "plan",
    "publish",
]

TRANSIENT_STATUS = frozenset({502, 503, 504})
"""HTTP statuses retried (with the connection resets and timeouts)."""

_BODY_TYPE = "text/turtle; charset=utf-8"
_RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_RESULTS_ACCEPT = "application/sparql-results+json"
_COUNT_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_EXAMPLES = 3
"""Differing triples shown per graph in a report."""

Contents = Literal["identical", "different", "not compared"]


class PublishError(SscKgError):
    """The store cannot be reached, refused a request, or answered something unusable.

    ``sent`` lists the graphs (``None``: the default graph) whose ``PUT`` the store
    accepted before the error. ``report``, once publishing has begun, says graph by graph
    what reached the store (``report.error`` is this error); ``None`` before that.
    """

    def __init__(
        self,
        message: str,
        *,
        sent: Sequence[str | None] = (),
        report: PublishReport | None = None,
    ) -> None:
        super().__init__(message)
        self.sent = tuple(sent)
        self.report = report


@dataclass(frozen=True)
class GraphResult:
    """One graph of a publication: what was sent and what the store was found to hold."""

    graph: str | None
    """The graph's name in the dataset; ``None`` for the default graph."""
    target: str | None
    """Where it went in the store: a graph IRI, ``None`` for the store's default graph."""
    sent: int
    """Triples sent (or to send, in a dry run)."""
    stored: int | None = None
    """Triples the store holds in *target* (``None``: not checked, e.g. a dry run)."""
    contents: Contents | None = None
    """Whether the store's triples are those sent (``None``: dry run)."""
    missing: tuple[str, ...] = ()
    """A few triples (N-Triples) sent but not in the store."""
    extra: tuple[str, ...] = ()
    """A few triples in the store that were not sent."""
    accepted: bool = True
    """The store accepted the graph's ``PUT`` (False: not sent, refused, or a dry run)."""
    error: str | None = None
    """Why its ``PUT`` failed, for the graph at which publishing stopped."""

    @property
    def verified(self) -> bool:
        """The store holds as many triples as were sent, and the same ones when compared."""
        return (
            self.accepted
            and self.stored == self.sent
            and self.contents in ("identical", "not compared")
        )

    @property
    def status(self) -> str:
        """``verified``; ``different`` (accepted, but the store holds something else);
        ``accepted`` (not verified: the store could not be read back); ``failed`` (its
        request failed: the store may or may not hold it); ``not sent``."""
        if self.error is not None:
            return "failed"
        if not self.accepted:
            return "not sent"
        if self.verified:
            return "verified"
        return "accepted" if self.stored is None else "different"

    def to_dict(self) -> dict[str, Any]:
        return {
            "graph": self.graph,
            "target": self.target,
            "sent": self.sent,
            "accepted": self.accepted,
            "stored": self.stored,
            "contents": self.contents,
            "verified": self.verified,
            "status": self.status,
            "error": self.error,
            "missing": list(self.missing),
            "extra": list(self.extra),
        }


@dataclass(frozen=True)
class PublishReport:
    """What :func:`publish` sent, where, and what it found in the store."""

    endpoint: str
    """The SPARQL query endpoint used to verify."""
    graph_store: str
    """The Graph Store Protocol endpoint the graphs were sent to."""
    graphs: tuple[GraphResult, ...]
    dry_run: bool = False
    notes: tuple[str, ...] = field(default=())
    error: str | None = None
    """Why publishing stopped before the end (the one-line error); ``None``: it did not."""

    @property
    def triples(self) -> int:
        """Triples sent, over all graphs."""
        return sum(g.sent for g in self.graphs)

    @property
    def ok(self) -> bool:
        """Every graph verified (always True for a dry run, which verifies nothing)."""
        return self.dry_run or (self.error is None and all(g.verified for g in self.graphs))

    @property
    def failed(self) -> tuple[GraphResult, ...]:
        """The graphs the store does not hold as sent."""
        return () if self.dry_run else tuple(g for g in self.graphs if not g.verified)

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "graph_store": self.graph_store,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "error": self.error,
            "graphs_sent": 0 if self.dry_run else sum(g.accepted for g in self.graphs),
            "graphs_verified": 0 if self.dry_run else sum(g.verified for g in self.graphs),
            "graphs_total": len(self.graphs),
            "triples": self.triples,
            "graphs": [g.to_dict() for g in self.graphs],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        from .namespaces import compact_iri

        count = len(self.graphs)
        plural = "s" if count != 1 else ""
        if self.dry_run:
            head = [
                f"Dry run: would publish {count} graph{plural}, {self.triples} triples, "
                f"to {self.graph_store} (nothing was sent)",
                f"and verify with {self.endpoint}.",
            ]
        elif self.error is not None:
            accepted = sum(g.accepted for g in self.graphs)
            verified = sum(g.verified for g in self.graphs)
            head = [
                f"FAILED: {self.error}",
                f"The store accepted {accepted} of {count} graph{plural} "
                f"({verified} verified); the others were not sent or failed.",
            ]
        else:
            verified = sum(g.verified for g in self.graphs)
            compared = sum(g.contents in ("identical", "different") for g in self.graphs)
            head = [
                f"Published {count} graph{plural}, {self.triples} triples, to {self.graph_store}",
                f"Verified with {self.endpoint}: {verified} of {count} graph{plural} hold "
                f"what was sent (triple counts: all {count}; contents compared: {compared}).",
            ]
            if not self.ok:
                head.append(f"NOT VERIFIED: {count - verified} graph(s) differ from what was sent.")

        def name(result: GraphResult) -> str:
            shown = "(default graph)" if result.graph is None else compact_iri(result.graph)
            if result.target != result.graph:
                shown += " -> " + ("(default graph)" if result.target is None else result.target)
            return shown

        rows = [(name(g), g) for g in self.graphs]
        width = max([len("graph"), *(len(n) for n, _ in rows)])
        lines = [*head, ""]
        if self.dry_run:
            lines.append(f"{'graph':<{width}}  {'triples':>7}")
            lines.extend(f"{n:<{width}}  {g.sent:>7}" for n, g in rows)
        elif self.error is not None:
            lines.append(f"{'graph':<{width}}  {'triples':>7}  {'stored':>7}  status")
            for shown, g in rows:
                stored = "-" if g.stored is None else str(g.stored)
                lines.append(f"{shown:<{width}}  {g.sent:>7}  {stored:>7}  {g.status}")
        else:
            lines.append(f"{'graph':<{width}}  {'sent':>7}  {'stored':>7}  contents")
            for shown, g in rows:
                stored = "-" if g.stored is None else str(g.stored)
                lines.append(f"{shown:<{width}}  {g.sent:>7}  {stored:>7}  {g.contents}")
                lines.extend(f"    missing: {t}" for t in g.missing)
                lines.extend(f"    extra:   {t}" for t in g.extra)
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- URLs


def _check_url(url: str, what: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(f"{what} must be an http:// or https:// URL, not {url!r}")
    if parts.username is not None or parts.password is not None:
        raise PublishError(
            f"{what} must not contain credentials; put them in an environment variable "
            "and name it with --auth-env"
        )
    if parts.fragment:
        raise PublishError(f"{what} must not have a #fragment: {url!r}")
    return url


def guess_graph_store(endpoint: str) -> str:
    """The Graph Store Protocol URL that goes with the SPARQL query *endpoint*.

    ================  ===========================  ======================================
    store             query endpoint path          Graph Store endpoint path
    ================  ===========================  ======================================
    Oxigraph server   ``/query``                   ``/store``
    Jena Fuseki       ``/DATASET/sparql``          ``/DATASET/data``
    GraphDB (RDF4J)   ``/repositories/ID``         ``/repositories/ID/rdf-graphs/service``
    Virtuoso          ``/sparql``                  ``/sparql-graph-crud-auth``
    ================  ===========================  ======================================

    (Fuseki's ``/DATASET/query`` works too; host and port are kept.)

    >>> guess_graph_store("http://127.0.0.1:7878/query")
    'http://127.0.0.1:7878/store'
    >>> guess_graph_store("http://localhost:7200/repositories/ssc")
    'http://localhost:7200/repositories/ssc/rdf-graphs/service'

    :raises PublishError: not one of these layouts (give the Graph Store URL yourself).
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(_check_url(endpoint, "the endpoint URL"))
    segments = [s for s in parts.path.split("/") if s]
    path: str | None = None
    if segments == ["query"]:  # Oxigraph
        path = "/store"
    elif len(segments) >= 2 and segments[-2] == "repositories":  # GraphDB, RDF4J
        path = "/" + "/".join([*segments, "rdf-graphs", "service"])
    elif segments in (["sparql"], ["sparql-auth"]):  # Virtuoso
        path = "/sparql-graph-crud-auth"
    elif len(segments) >= 2 and segments[-1] in ("sparql", "query"):  # Fuseki
        path = "/" + "/".join([*segments[:-1], "data"])
    if path is None or parts.query:
        raise PublishError(
            f"cannot tell the Graph Store Protocol URL that goes with {endpoint}: "
            "give it with --graph-store URL (see docs/sparql.md)"
        )
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _graph_url(graph_store: str, target: str | None) -> str:
    from urllib.parse import quote

    joiner = "&" if "?" in graph_store else "?"
    if target is None:
        return f"{graph_store}{joiner}default"
    return f"{graph_store}{joiner}graph={quote(target, safe='')}"


# --------------------------------------------------------------------------- HTTP


def _is_loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    from .endpoint import is_loopback

    return is_loopback(urlsplit(url).hostname or "")


class _Client:
    """Requests with credentials, retries and one-line errors (standard library only)."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        auth: str | None,
        auth_env: str | None,
        retries: int,
        backoff: float,
        timeout: float,
    ) -> None:
        import urllib.request
        from urllib.parse import urlsplit

        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.timeout = timeout
        self.auth_env = auth_env
        self._secret = auth or ""
        self._header: str | None = None
        handlers: list[urllib.request.BaseHandler] = []
        if all(_is_loopback_url(url) for url in urls):
            handlers.append(urllib.request.ProxyHandler({}))  # a proxy cannot reach loopback
        if auth is not None:
            user, colon, password = auth.partition(":")
            if " " in auth.strip() and " " in user.strip():
                self._header = auth.strip()  # a header value: "Bearer TOKEN", "GDB TOKEN"
            elif not colon or not user:
                raise PublishError(
                    f"${auth_env} must hold user:password or an Authorization header value "
                    "such as 'Bearer TOKEN'"
                )
            else:
                manager = urllib.request.HTTPPasswordMgrWithPriorAuth()
                for url in urls:
                    parts = urlsplit(url)
                    manager.add_password(None, f"{parts.scheme}://{parts.netloc}/", user, password)
                # Digest first: urllib's Basic handler rejects a Digest-only challenge.
                handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
                handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
        self._opener = urllib.request.build_opener(*handlers)

    def _clean(self, text: str) -> str:
        """*text* on one line, without the credentials (whole, password, token, and the
        base64 form of ``user:password`` that HTTP Basic sends, should a store echo it)."""
        import base64

        text = " ".join(text.split())
        secret = self._secret
        if secret:
            parts = {secret, secret.partition(":")[2], secret.partition(" ")[2]}
            parts.add(base64.b64encode(secret.encode("utf-8")).decode("ascii"))
            for part in sorted(parts, key=len, reverse=True):
                if len(part) >= 3:
                    text = text.replace(part, "***")
        return text

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Message, bytes]:
        """Send a request; retry transient failures; return (status, headers, body)."""
        import http.client
        import urllib.error
        import urllib.request

        all_headers = dict(headers or {})
        all_headers.setdefault("User-Agent", "ssc-kg")
        if self._header is not None:
            all_headers["Authorization"] = self._header
        attempt = 0
        while True:
            request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                if error.code not in TRANSIENT_STATUS or attempt >= self.retries:
                    message = self._http_message(
                        method, url, error.code, error.reason, _error_body(error)
                    )
                    raise PublishError(message) from None
            except urllib.error.URLError as error:
                reason = error.reason
                if isinstance(reason, ConnectionRefusedError):
                    raise PublishError(
                        f"{method} {url}: connection refused (is the store running?)"
                    ) from None
                if not _transient(reason) or attempt >= self.retries:
                    raise PublishError(
                        self._clean(f"{method} {url}: cannot connect: {_reason(reason)}")
                    ) from None
            except (OSError, http.client.HTTPException) as error:
                if not _transient(error) or attempt >= self.retries:
                    raise PublishError(
                        self._clean(f"{method} {url}: connection failed: {_reason(error)}")
                    ) from None
            time.sleep(self.backoff * (2**attempt))
            attempt += 1

    def _http_message(self, method: str, url: str, code: int, reason: str, detail: str) -> str:
        message = f"{method} {url}: HTTP {code} {reason}".rstrip()
        if code == 401:
            if self.auth_env is None:
                message += ": the store wants credentials (put them in an environment variable "
                message += "and name it with --auth-env)"
            else:
                message += f": the store refused the credentials in ${self.auth_env}"
        elif code == 403:
            who = f"the credentials in ${self.auth_env}" if self.auth_env else "anonymous users"
            message += f": {who} may not do this"
        if detail:
            message += f": {detail}"
        return self._clean(message)


def _error_body(error: Any) -> str:
    try:
        data = error.read(2000)
    except Exception:  # the body is only a detail of the message
        return ""
    text = " ".join(data.decode("utf-8", "replace").split())
    return text[:200] + ("..." if len(text) > 200 else "")


def _reason(error: object) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _transient(error: object) -> bool:
    import http.client
    import socket

    transient = (
        ConnectionResetError,
        ConnectionAbortedError,
        BrokenPipeError,
        TimeoutError,
        socket.timeout,
        http.client.RemoteDisconnected,
        http.client.IncompleteRead,
    )
    return isinstance(error, transient)


# --------------------------------------------------------------------------- the data


def _as_quads(data: Dataset | Graph | Iterable[ox.Quad]) -> list[ox.Quad]:
    if hasattr(data, "triples") and hasattr(data, "serialize"):  # an rdflib Graph or Dataset
        from .io import oxigraph_quads

        return oxigraph_quads(data)  # type: ignore[arg-type]
    return list(data)


def plan(data: Dataset | Graph | Iterable[ox.Quad]) -> dict[str | None, list[ox.Triple]]:
    """The graphs to send: name (``None``: default graph) -> canonical sorted triples.

    The default graph comes first (even when empty: it is part of the dataset), then
    the named graphs sorted by IRI. Quads are deduplicated and blank nodes get their
    RDFC-1.0 labels (:func:`ssc_kg.io.canonical_quads`).
    """
    import pyoxigraph as ox

    from .errors import InputError
    from .io import canonical_quads

    graphs: dict[str | None, list[ox.Triple]] = {None: []}
    for quad in canonical_quads(_as_quads(data)):
        name = quad.graph_name
        if isinstance(name, ox.DefaultGraph):
            key = None
        elif isinstance(name, ox.NamedNode):
            key = name.value
        else:
            raise InputError(
                f"graph {name} is named by a blank node: the Graph Store Protocol can only "
                "address graphs named by IRIs"
            )
        graphs.setdefault(key, []).append(quad.triple)
    return graphs


def _ntriples(triples: Sequence[ox.Triple]) -> bytes:
    return "".join(f"{t} .\n" for t in triples).encode("utf-8")


def _has_blank(triples: Iterable[ox.Triple]) -> bool:
    import pyoxigraph as ox

    return any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
    )


def _shared_blank_nodes(graphs: dict[str | None, list[ox.Triple]]) -> int:
    import pyoxigraph as ox

    seen: dict[str, str | None] = {}
    shared: set[str] = set()
    for name, triples in graphs.items():
        for triple in triples:
            for term in (triple.subject, triple.object):
                if isinstance(term, ox.BlankNode):
                    first = seen.setdefault(term.value, name)
                    if first != name:
                        shared.add(term.value)
    return len(shared)


def _canonical_lines(triples: Iterable[ox.Triple]) -> set[str]:
    import pyoxigraph as ox

    listed = list(triples)
    if not _has_blank(listed):
        return {str(t) for t in listed}
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in listed)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q.triple) for q in dataset}


def _compare(
    sent: Sequence[ox.Triple], stored: Sequence[ox.Triple]
) -> tuple[Contents, tuple[str, ...], tuple[str, ...]]:
    want, got = _canonical_lines(sent), _canonical_lines(stored)
    if want == got:
        return "identical", (), ()
    missing = tuple(f"{t} ." for t in sorted(want - got)[:_EXAMPLES])
    extra = tuple(f"{t} ." for t in sorted(got - want)[:_EXAMPLES])
    return "different", missing, extra


def _parse_rdf(body: bytes, content_type: str | None, what: str) -> list[ox.Triple]:
    import pyoxigraph as ox

    media = (content_type or "").split(";")[0].strip().lower()
    fmt = ox.RdfFormat.from_media_type(media) if media else None
    if fmt is None and media in ("", "text/plain"):
        fmt = ox.RdfFormat.N_TRIPLES  # what older stores call N-Triples
    if fmt is None:
        raise PublishError(f"{what}: the store answered {media!r}, not an RDF format")
    try:
        return [q.triple for q in ox.parse(body, format=fmt)]
    except SyntaxError as error:
        raise PublishError(f"{what}: unreadable {fmt.name} from the store: {error}") from None


# --------------------------------------------------------------------------- publishing


def publish(
    data: Dataset | Graph | Iterable[ox.Quad],
    endpoint: str,
    *,
    graph_store: str | None = None,
    auth_env: str | None = None,
    default_graph: str | None = None,
    dry_run: bool = False,
    sample: int | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 60.0,
    on_sent: Callable[[str | None, int], None] | None = None,
) -> PublishReport:
    """Send every graph of *data* to a store, then verify what the store holds.

    :param data: an rdflib Dataset/Graph or pyoxigraph quads (e.g. :func:`ssc_kg.parse_quads`).
    :param endpoint: the store's SPARQL query endpoint (used to verify).
    :param graph_store: its Graph Store Protocol endpoint (default:
        :func:`guess_graph_store` of *endpoint*).
    :param auth_env: the name of an environment variable holding the credentials:
        ``user:password`` or an ``Authorization`` header value (``Bearer TOKEN``).
    :param default_graph: put the default graph's triples (the provenance) into this
        named graph instead of the store's default graph -- for stores without a
        default graph of their own (Virtuoso).
    :param dry_run: send nothing; the report lists the graphs and their triple counts.
    :param sample: compare the contents of only this many named graphs, chosen at
        random (counts are checked for every graph, and the default graph is always
        compared). Default: compare every graph.
    :param retries: how often a transient failure (connection reset, timeout, HTTP
        502/503/504) is retried, waiting *backoff* seconds, then twice as long, ...
    :param timeout: seconds to wait for each HTTP response.
    :param on_sent: called with (graph, triples) after the store accepted each PUT.
    :returns: the report; ``report.ok`` is True only if every graph was verified.
    :raises PublishError: bad URL, unreachable store, refused or failed request.
    """
    import random

    from . import progress
    from .namespaces import SSCG

    if graph_store is None:
        graph_store = guess_graph_store(endpoint)
    _check_url(endpoint, "the endpoint URL")
    _check_url(graph_store, "the Graph Store URL")
    auth: str | None = None
    if auth_env is not None:
        auth = os.environ.get(auth_env)
        if not auth:
            raise PublishError(f"the environment variable ${auth_env} (--auth-env) is not set")
    graphs = plan(data)
    if default_graph is not None:
        _check_iri(default_graph)
        if default_graph in graphs:
            raise PublishError(
                f"--default-graph {default_graph}: the dataset already has a graph of that name"
            )
    targets = {name: (default_graph if name is None else name) for name in graphs}
    notes: list[str] = []
    shared = _shared_blank_nodes(graphs)
    if shared:
        notes.append(
            f"{shared} blank node(s) occur in more than one graph; the Graph Store Protocol "
            "sends each graph on its own, so the store holds them as different nodes"
        )
    if dry_run:
        results = tuple(
            GraphResult(graph=name, target=targets[name], sent=len(triples))
            for name, triples in graphs.items()
        )
        return PublishReport(endpoint, graph_store, results, dry_run=True, notes=tuple(notes))

    client = _Client(
        [endpoint, graph_store],
        auth=auth,
        auth_env=auth_env,
        retries=retries,
        backoff=backoff,
        timeout=timeout,
    )
    sent: list[str | None] = []
    progress.step("publishing", count=0, unit=" graphs")
    for name, triples in graphs.items():
        url = _graph_url(graph_store, targets[name])
        try:
            client.request(
                "PUT", url, body=_ntriples(triples), headers={"Content-Type": _BODY_TYPE}
            )
        except PublishError as error:
            report = _partial_report(
                client, endpoint, graph_store, graphs, targets, sent, name, str(error), notes
            )
            message = _stopped(error, sent, len(graphs), report)
            raise PublishError(message, sent=sent, report=replace(report, error=message)) from None
        sent.append(name)
        progress.advance(1)
        if on_sent is not None:
            on_sent(name, len(triples))

    progress.step("verifying")
    named = [n for n in graphs if targets[n] is not None]
    compared = set(named)
    if sample is not None and sample < len(named):
        compared = set(random.sample(named, max(0, sample)))
    try:
        checked, counts = _verify(client, endpoint, graph_store, graphs, targets, compared)
    except PublishError as error:
        message = (
            f"verification failed: {error} (all {len(graphs)} graphs were sent; "
            "none is reported as published)"
        )
        unverified = tuple(
            GraphResult(name, targets[name], len(triples)) for name, triples in graphs.items()
        )
        report = PublishReport(endpoint, graph_store, unverified, notes=tuple(notes), error=message)
        raise PublishError(message, sent=sent, report=report) from None
    ours = {t for t in targets.values() if t is not None}
    stale = sorted(g for g in counts if g.startswith(SSCG) and g not in ours)
    if stale:
        shown = ", ".join(stale[:3]) + (", ..." if len(stale) > 3 else "")
        notes.append(
            f"the store also holds {len(stale)} graph(s) under {SSCG} that this dataset does "
            f"not have (left from an earlier publication?): {shown}"
        )
    return PublishReport(endpoint, graph_store, tuple(checked), notes=tuple(notes))


def _verify(
    client: _Client,
    endpoint: str,
    graph_store: str,
    graphs: dict[str | None, list[ox.Triple]],
    targets: dict[str | None, str | None],
    compared: set[str | None],
) -> tuple[list[GraphResult], dict[str, int]]:
    """Read *graphs* back from the store: counts of all, contents of those *compared*."""
    counts = _named_graph_counts(client, endpoint)
    checked: list[GraphResult] = []
    for name, triples in graphs.items():
        target = targets[name]
        if target is None:
            _, headers, body = client.request(
                "GET", _graph_url(graph_store, None), headers={"Accept": _RDF_ACCEPT}
            )
            stored = _parse_rdf(body, headers.get("Content-Type"), "GET ?default")
            contents, missing, extra = _compare(triples, stored)
            count = len({str(t) for t in stored})
            checked.append(GraphResult(name, None, len(triples), count, contents, missing, extra))
            continue
        count = counts.get(target, 0)
        if name in compared:
            stored = _construct(client, endpoint, target)
            contents, missing, extra = _compare(triples, stored)
        else:
            contents, missing, extra = "not compared", (), ()
        checked.append(GraphResult(name, target, len(triples), count, contents, missing, extra))
    return checked, counts


def _partial_report(
    client: _Client,
    endpoint: str,
    graph_store: str,
    graphs: dict[str | None, list[ox.Triple]],
    targets: dict[str | None, str | None],
    sent: Sequence[str | None],
    failed: str | None,
    error: str,
    notes: Sequence[str],
) -> PublishReport:
    """What reached the store when the ``PUT`` of *failed* failed: the graphs accepted
    before it (read back and compared, if the store still answers), *failed* itself, and
    the graphs not sent."""
    found: dict[str | None, GraphResult] = {}
    extra_notes: list[str] = []
    if sent:
        client.retries = 0  # the store is failing: one try each
        accepted = {name: graphs[name] for name in sent}
        try:
            checked, _ = _verify(client, endpoint, graph_store, accepted, targets, set(sent))
            found = {result.graph: result for result in checked}
        except PublishError as verifying:
            extra_notes.append(
                f"the {len(sent)} graph(s) the store accepted could not be read back: {verifying}"
            )
    results: list[GraphResult] = []
    for name, triples in graphs.items():
        if name in found:
            results.append(found[name])
        elif name in sent:
            results.append(GraphResult(name, targets[name], len(triples)))
        else:
            results.append(
                GraphResult(
                    name,
                    targets[name],
                    len(triples),
                    accepted=False,
                    error=error if name == failed else None,
                )
            )
    return PublishReport(
        endpoint, graph_store, tuple(results), notes=(*notes, *extra_notes), error=error
    )


def _check_iri(iri: str) -> None:
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError as error:
        raise PublishError(f"--default-graph: not an IRI: {iri!r} ({error})") from None
    if ":" not in iri:
        raise PublishError(f"--default-graph: not an absolute IRI: {iri!r}")


def _stopped(
    error: PublishError, sent: Sequence[str | None], total: int, report: PublishReport
) -> str:
    verified = sum(g.verified for g in report.graphs)
    if not sent:
        checked = ""
    elif any(g.status == "accepted" for g in report.graphs):
        checked = "; they could not be read back"
    else:
        checked = f"; read back, {verified} of them hold what was sent"
    return (
        f"{error} (the store accepted {len(sent)} of {total} graphs before this error"
        f"{checked}; the publication is incomplete and none is reported as published)"
    )


def _query(client: _Client, endpoint: str, sparql: str, accept: str) -> tuple[Message, bytes]:
    from urllib.parse import urlencode

    _, headers, body = client.request(
        "POST",
        endpoint,
        body=urlencode({"query": sparql}).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    )
    return headers, body


def _named_graph_counts(client: _Client, endpoint: str) -> dict[str, int]:
    """Triples per named graph of the store, with one SPARQL query."""
    _, body = _query(client, endpoint, _COUNT_QUERY, _RESULTS_ACCEPT)
    try:
        document = json.loads(body)
        counts: dict[str, int] = {}
        for row in document["results"]["bindings"]:
            if row.get("g", {}).get("type") == "uri":
                counts[row["g"]["value"]] = int(row["n"]["value"])
    except (ValueError, KeyError, TypeError) as error:
        raise PublishError(
            f"POST {endpoint}: the count query did not return SPARQL JSON results ({error})"
        ) from None
    return counts


def _construct(client: _Client, endpoint: str, graph: str) -> list[ox.Triple]:
    sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    headers, body = _query(client, endpoint, sparql, _RDF_ACCEPT)
    return _parse_rdf(body, headers.get("Content-Type"), f"CONSTRUCT of <{graph}>")
