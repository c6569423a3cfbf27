"""The ``ssc-kg`` command: a thin layer over the :mod:`ssc_kg` API."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, NoReturn, TypeVar

import click

from .errors import SscKgError
from .formats import FORMATS, format_from_path, format_names, resolve_format
from .io import write_all
from .query import RESULT_FORMATS

if TYPE_CHECKING:
    from pyoxigraph import Quad

    from .store import KgStore

__all__ = ["cli", "main"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process ended by SIGPIPE

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

RDF_FORMAT_CHOICE = click.Choice(format_names(), case_sensitive=False)
RDF_FORMAT_HELP = "; ".join(
    f.name + (f" ({', '.join(f.aliases)})" if f.aliases else "") for f in FORMATS.values()
)


class CliError(click.ClickException):
    """A one-line ``Error: ...`` on stderr and exit status 2."""

    exit_code = EXIT_ERROR


def _fail(error: Exception) -> NoReturn:
    raise CliError(str(error)) from None


def _exit_on_broken_pipe() -> NoReturn:
    """The reader went away (``ssc-kg export | head -1``): end quietly.

    stdout is pointed at /dev/null so that the interpreter's final flush cannot
    raise BrokenPipeError again and print "Exception ignored ...".
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass
    sys.exit(EXIT_BROKEN_PIPE)


def _emit(data: bytes | str) -> None:
    """Write to stdout, ending quietly if the pipe is closed."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        sys.stdout.flush()
        write_all(sys.stdout.buffer, payload)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _exit_on_broken_pipe()


def _emit_with(write: Callable[[BinaryIO], None]) -> None:
    """Let *write* write to stdout, ending quietly if the pipe is closed."""
    try:
        sys.stdout.flush()
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _exit_on_broken_pipe()


def _handle_errors(func: F) -> F:
    """Turn library errors into one-line messages with exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SscKgError as error:
            _fail(error)
        except MemoryError:
            raise CliError(
                "out of memory (see --max-input-size; N-Quads input needs the least)"
            ) from None
        except OSError as error:
            if isinstance(error, BrokenPipeError):
                _exit_on_broken_pipe()
            where = f"{error.filename}: " if error.filename else ""
            raise CliError(f"{where}{error.strerror or error}") from None

    return wrapper  # type: ignore[return-value]


# --------------------------------------------------------------------------- shared options

_FILE = click.Path(path_type=Path, dir_okay=False, allow_dash=True)


class _Size(click.ParamType):  # type: ignore[type-arg]  # generic in click 8.2+
    """A number of bytes: ``2000000``, ``500K``, ``20M``, ``2G`` (powers of 1000), ``auto``."""

    name = "size"
    _UNITS: ClassVar[dict[str, int]] = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip().upper().removesuffix("B")
        if text == "AUTO":
            return "auto"
        number, unit = text.rstrip("KMGT"), text[len(text.rstrip("KMGT")) :]
        try:
            size = int(float(number) * self._UNITS[unit])
        except (ValueError, KeyError):
            self.fail(f"{value!r} is not a size like 500M, 2G, 0 or auto", param, ctx)
        if size < 0:
            self.fail(f"{value!r} is negative", param, ctx)
        return size or None  # 0: no limit


def _set_input_limit(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    from .io import input_limit

    ctx.with_resource(input_limit(value))


def data_options(func: F) -> F:
    """``--data``, ``--no-shipped``, ``--input-format``, ``--max-input-size``: which RDF to load."""
    decorators = [
        click.option(
            "--data",
            "data",
            multiple=True,
            type=_FILE,
            metavar="FILE",
            help="Extra RDF file to load (repeatable; format from the extension; '-' is stdin).",
        ),
        click.option(
            "--no-shipped",
            is_flag=True,
            help="Do not load the dataset shipped with the package.",
        ),
        click.option(
            "--input-format",
            type=RDF_FORMAT_CHOICE,
            metavar="FORMAT",
            default=None,
            help="Format of stdin ('-') and of files with an unknown extension "
            "(same names as export --format).",
        ),
        click.option(
            "--max-input-size",
            type=_Size(),
            default="auto",
            show_default=True,
            metavar="SIZE",
            expose_value=False,
            callback=_set_input_limit,
            help="Refuse more input than SIZE bytes in all (500K, 20M, 2G; 0: no limit). "
            "auto: what fits in the available memory (an estimate by format).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


text_or_json_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"], case_sensitive=False),
    default="text",
    show_default=True,
    help="Output format: text for people, json for programs.",
)
"""``--format text|json`` of the commands that print a report (validate, stats)."""


def _load_quads(data: Sequence[Path], no_shipped: bool, input_format: str | None) -> list[Quad]:
    """The quads of the shipped data (unless *no_shipped*) and *data*, without rdflib."""
    from .io import parse_quads, source_paths

    return parse_quads(source_paths(list(data), shipped=not no_shipped), input_format=input_format)


store_option = click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    default=None,
    help="Read the data from the store DIR built by 'ssc-kg load' (instead of parsing files).",
)
"""``--store DIR`` of export, query and stats."""


def _open_store(
    store_dir: Path, data: Sequence[Path], no_shipped: bool, input_format: str | None
) -> KgStore:
    from .store import open_store

    if data or no_shipped or input_format:
        raise click.UsageError(
            "--store cannot be combined with --data, --no-shipped or --input-format "
            "(the store holds its data; rebuild it with 'ssc-kg load')"
        )
    return open_store(store_dir)


# --------------------------------------------------------------------------- commands


@click.group(name="ssc-kg", context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="ssc-kg", prog_name="ssc-kg")
def cli() -> None:
    """Work with the ssc-kg knowledge graph: export, validate, query, count.

    Every command reads the dataset shipped with the package; add your own files
    with --data (or use --no-shipped to read only those).

    \b
    Exit status:
      0  success; for validate: the data conforms
      1  validate: the data does not conform (has violations)
      2  usage error or bad input (malformed file, unknown format, SPARQL error)
    """


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--format",
    "fmt",
    type=RDF_FORMAT_CHOICE,
    metavar="FORMAT",
    default=None,
    help=f"Output format: {RDF_FORMAT_HELP}. Default: from the -o extension, else trig.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default=None,
    help="Write to FILE (atomically: complete file or unchanged) instead of stdout; '-' is stdout.",
)
@store_option
@data_options
@_handle_errors
def export(
    fmt: str | None,
    output: Path | None,
    store_dir: Path | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Write the dataset in one RDF format (deterministic output).

    \b
    Formats that keep named graphs (provenance): trig (default), nquads, jsonld.
    Triple formats turtle, nt, xml write the UNION of all graphs: named graphs
    are merged and their names are lost.
    """
    from .io import open_atomic, serialize_quads, write_atomic
    from .progress import progress

    to_file = output is not None and str(output) != "-"
    if fmt is not None:
        target = resolve_format(fmt)
    elif to_file:
        assert output is not None
        target = format_from_path(output)
    else:
        target = FORMATS["trig"]
    if store_dir is not None:
        store = _open_store(store_dir, data, no_shipped, input_format)
        if to_file:
            assert output is not None
            with progress(f"exporting {target.label}"), open_atomic(output) as handle:
                store.write(target, handle)
        else:
            with progress(f"exporting {target.label}", quiet_on_stdout_tty=True):
                _emit_with(lambda stream: store.write(target, stream))
        return
    with progress(f"exporting {target.label}"):
        payload = serialize_quads(_load_quads(data, no_shipped, input_format), target)
    if to_file:
        assert output is not None
        write_atomic(output, payload)
    else:
        _emit(payload)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("files", nargs=-1, type=_FILE, metavar="[FILE]...")
@click.option(
    "--shapes",
    multiple=True,
    type=_FILE,
    metavar="FILE",
    help="SHACL shapes file (repeatable). Default: the shipped shapes.",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "fast", "pyshacl"], case_sensitive=False),
    default="auto",
    show_default=True,
    help=(
        "SHACL engine: fast (SPARQL on Oxigraph, for the SHACL Core subset of "
        "docs/validation.md), pyshacl (the reference), or auto: fast when the shapes "
        "allow it, else pyshacl. Same report either way."
    ),
)
@click.option(
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    metavar="N",
    help="Queries the fast engine runs in parallel. Default 0: one per CPU (at most 4).",
)
@click.option(
    "--allow-network",
    is_flag=True,
    help="Let pyshacl fetch the shapes' owl:imports and run SERVICE in SHACL-SPARQL "
    "(refused without it).",
)
@text_or_json_option
@store_option
@data_options
@_handle_errors
def validate(
    files: tuple[Path, ...],
    shapes: tuple[Path, ...],
    engine: str,
    jobs: int,
    allow_network: bool,
    fmt: str,
    store_dir: Path | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Check the dataset (plus FILEs) against the SHACL shapes.

    Validation runs on the union of all graphs; every named graph must also be
    described in the default graph. Only violations fail; warnings are shown.
    Exit status 0 if the data conforms, 1 if not, 2 on errors.
    """
    from .progress import progress
    from .validate import validate as run_validation

    if jobs == 0:
        jobs = max(1, min(os.cpu_count() or 1, 4))
    with progress("validating"):
        if store_dir is not None:
            if files:
                raise click.UsageError("--store cannot be combined with FILE arguments")
            quads = _open_store(store_dir, data, no_shipped, input_format).quads()
        else:
            quads = _load_quads([*files, *data], no_shipped, input_format)
        report = run_validation(
            quads,
            shapes=list(shapes) if shapes else None,
            engine=engine.lower(),  # type: ignore[arg-type]
            jobs=jobs,
            allow_network=allow_network,
        )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    _emit(report.to_json() if fmt == "json" else report.to_text())
    sys.exit(EXIT_OK if report.conforms else EXIT_NONCONFORMING)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.argument("sparql", required=False)
@click.option(
    "-f",
    "--file",
    "query_file",
    type=_FILE,
    default=None,
    help="Read the query from FILE ('-' is stdin).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(
        list(dict.fromkeys([*RESULT_FORMATS, *format_names()])), case_sensitive=False
    ),
    metavar="FORMAT",
    default=None,
    help=(
        "Output format. SELECT/ASK: table (default), csv, tsv, json, xml (SPARQL results). "
        "CONSTRUCT/DESCRIBE: an RDF format (default turtle; xml is RDF/XML)."
    ),
)
@click.option(
    "--allow-network",
    is_flag=True,
    help="Allow SERVICE clauses (federated queries over the network).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop the query after SECONDS (exit 2). Default: no limit.",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Refuse more than N rows or triples (exit 2; never a silent cut). Default 0: no limit.",
)
@store_option
@data_options
@_handle_errors
def query(
    sparql: str | None,
    query_file: Path | None,
    fmt: str | None,
    allow_network: bool,
    timeout: float | None,
    max_results: int | None,
    store_dir: Path | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Run a SPARQL query (given as SPARQL or with -f FILE).

    The default graph is the union of all graphs; GRAPH ?g { ... } matches each
    named graph. The prefixes ssc:, sscid:, sscg:, rdfs:, skos:, prov:, ... are
    predeclared.
    """
    from .progress import progress
    from .query import query_quads, query_store

    if (sparql is None) == (query_file is None):
        raise click.UsageError("give the query either as an argument or with -f FILE")
    if query_file is not None:
        try:
            if str(query_file) == "-":
                text = sys.stdin.read()
            else:
                text = query_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise CliError(f"{query_file}: cannot read query: {reason}") from None
    else:
        assert sparql is not None
        text = sparql
    with progress("querying"):
        if store_dir is not None:
            store = _open_store(store_dir, data, no_shipped, input_format)
            result = query_store(
                store.store,
                text,
                allow_network=allow_network,
                timeout=timeout,
                max_results=max_results,
            )
        else:
            quads = _load_quads(data, no_shipped, input_format)
            result = query_quads(
                quads,
                text,
                allow_network=allow_network,
                timeout=timeout,
                max_results=max_results,
            )
    default = "turtle" if result.kind == "construct" else "table"
    _emit(result.serialize(fmt or default))


@cli.command(context_settings=CONTEXT_SETTINGS)
@text_or_json_option
@store_option
@data_options
@_handle_errors
def stats(
    fmt: str,
    store_dir: Path | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Count triples, named graphs, resources per class and labels per language."""
    from .progress import progress
    from .stats import stats_quads

    with progress("counting"):
        if store_dir is not None:
            result = _open_store(store_dir, data, no_shipped, input_format).stats()
        else:
            result = stats_quads(_load_quads(data, no_shipped, input_format))
    _emit(result.to_json() if fmt == "json" else result.to_text())


@cli.command(name="load", context_settings=CONTEXT_SETTINGS)
@click.argument("files", nargs=-1, type=_FILE, metavar="[FILE]...")
@click.option(
    "--store",
    "store_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="The store directory to build (replaced if it is an ssc-kg store).",
)
@data_options
@_handle_errors
def load_store(
    files: tuple[Path, ...],
    store_dir: Path,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Build a persistent store in DIR from the dataset plus FILEs.

    Parses once; then 'export', 'query' and 'stats' with --store DIR use the store
    instead of parsing again. The store is built beside DIR and renamed into place
    (never half-built); it records each source's path, size and SHA-256.
    """
    from .progress import progress
    from .store import build

    with progress("loading"):
        store = build(store_dir, [*files, *data], shipped=not no_shipped, input_format=input_format)
    sources = len(store.sources)
    click.echo(f"{store_dir}: {len(store)} quads from {sources} file{'s' if sources != 1 else ''}")


# --------------------------------------------------------------------------- publishing
# describe (DCAT/VoID), site (static web site), release (exports + description + site).

base_url_option = click.option(
    "--base-url",
    metavar="URL",
    default=None,
    help="Where the release files are published (download URLs of the dataset description). "
    "Default: https://w3id.org/ssc-kg/release/<version>/.",
)
"""``--base-url URL`` of describe, site and release."""

_OUT_DIR = click.Path(path_type=Path, file_okay=False)
force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace DIR even if it is a non-empty directory that ssc-kg did not write.",
)


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--format",
    "fmt",
    type=RDF_FORMAT_CHOICE,
    metavar="FORMAT",
    default=None,
    help=f"Output format: {RDF_FORMAT_HELP}. Default: from the -o extension, else turtle.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default=None,
    help="Write to FILE (atomically) instead of stdout; '-' is stdout.",
)
@base_url_option
@data_options
@_handle_errors
def describe(
    fmt: str | None,
    output: Path | None,
    base_url: str | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Describe the dataset in DCAT with VoID statistics (deterministic output).

    Title and description in Indonesian and English, publisher, license (CC BY 4.0),
    version, dates from the data, one distribution per export format with its media
    type, byte size and SHA-256 (of the exact bytes 'ssc-kg export' writes), and
    triple, entity and per-class counts.
    """
    from .describe import describe as describe_dataset
    from .io import write_atomic

    to_file = output is not None and str(output) != "-"
    if fmt is not None:
        target = resolve_format(fmt)
    elif to_file:
        assert output is not None
        target = format_from_path(output)
    else:
        target = FORMATS["turtle"]
    payload = describe_dataset(
        _load_quads(data, no_shipped, input_format), target, base_url=base_url
    )
    if to_file:
        assert output is not None
        write_atomic(output, payload)
    else:
        _emit(payload)


@cli.command(name="site", context_settings=CONTEXT_SETTINGS)
@click.option(
    "-o",
    "--output",
    "directory",
    required=True,
    type=_OUT_DIR,
    metavar="DIR",
    help="The directory to write the site to (replaced as a whole).",
)
@force_option
@base_url_option
@data_options
@_handle_errors
def site_command(
    directory: Path,
    force: bool,
    base_url: str | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Write a static web site of the graph to DIR.

    One page per resource (labels in Indonesian and English, every fact with its
    source sentence, schema.org JSON-LD, Turtle and JSON-LD files beside it), an index
    by class, the vocabulary, a timeline picture and the DCAT description. Links are
    relative: open DIR/index.html from any folder or host. DIR is built beside and
    renamed into place; a non-empty DIR that is not an ssc-kg site or release is
    refused unless --force.
    """
    from .progress import progress
    from .site import build_site

    with progress("building the site"):
        result = build_site(
            directory, _load_quads(data, no_shipped, input_format), base_url=base_url, force=force
        )
    click.echo(f"{directory}: {result.pages} pages, {result.files} files")


@cli.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "-o",
    "--output",
    "directory",
    required=True,
    type=_OUT_DIR,
    metavar="DIR",
    help="The directory to write the release to (replaced as a whole).",
)
@force_option
@base_url_option
@data_options
@_handle_errors
def release(
    directory: Path,
    force: bool,
    base_url: str | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Write a release to DIR: every export format, the description, the site, SHA256SUMS.

    Byte-identical from run to run (check it with 'cd DIR && sha256sum -c SHA256SUMS').
    DIR is built beside and renamed into place; a non-empty DIR that is not an ssc-kg
    release or site is refused unless --force.
    """
    from .progress import progress
    from .release import build_release

    with progress("building the release"):
        result = build_release(
            directory, _load_quads(data, no_shipped, input_format), base_url=base_url, force=force
        )
    click.echo(f"{directory}: {result.files} files")


# --------------------------------------------------------------------------- SPARQL endpoint
# serve (read-only SPARQL endpoint on the Oxigraph server), publish (to any triple store).

EXIT_NOT_VERIFIED = 3
"""publish: the graphs were sent, but the store does not hold exactly what was sent."""


def _no_data_with_store(
    store_dir: Path | None, data: Sequence[Path], no_shipped: bool, input_format: str | None
) -> None:
    if store_dir is not None and (data or no_shipped or input_format):
        raise click.UsageError(
            "--store cannot be combined with --data, --no-shipped or --input-format "
            "(the store holds its data; rebuild it with 'ssc-kg load')"
        )


@cli.command(name="serve", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on: 127.0.0.1 is this machine only; 0.0.0.0 is every interface.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7878,
    show_default=True,
    help="TCP port; 0 picks a free one.",
)
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="Stop a query this many seconds after it was received (answered 503).",
)
@click.option(
    "--max-results",
    type=click.IntRange(min=0),
    default=10_000,
    show_default=True,
    metavar="N",
    help="Refuse (HTTP 500) an answer with more than N rows or triples; 0: no limit.",
)
@click.option(
    "--allow-network",
    is_flag=True,
    help="Allow SERVICE clauses (federated queries: the server fetches URLs); refused "
    "with HTTP 400 otherwise.",
)
@click.option(
    "--cors",
    is_flag=True,
    help="Let web pages from any origin query the endpoint (for browser tools such as a "
    "hosted YASGUI or Comunica).",
)
@store_option
@data_options
@_handle_errors
def serve_command(
    host: str,
    port: int,
    timeout: int,
    max_results: int,
    allow_network: bool,
    cors: bool,
    store_dir: Path | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Serve the dataset read-only over the SPARQL 1.1 Protocol, until Ctrl-C.

    Runs the Oxigraph server (oxigraph serve-read-only) on the store DIR, or on a
    temporary store of the data, deleted when the server stops. The default graph
    is the union of all graphs, as in 'ssc-kg query' (declare your PREFIXes).

    \b
    http://HOST:PORT/query  SPARQL endpoint: GET/POST; JSON, XML, CSV, TSV results,
                            Turtle, N-Triples, JSON-LD graphs (Accept header)
    http://HOST:PORT/store  Graph Store Protocol, read only (GET ?default, ?graph=IRI)
    http://HOST:PORT/       query editor (YASGUI) in the browser
    Updates are refused (403); so is SERVICE (400) unless --allow-network, a request
    over 1 MiB (413), an answer over --max-results (500), a query over --timeout (503).
    Examples for YASGUI, SPARQLWrapper, curl, and the limits: docs/sparql.md.
    """
    from .endpoint import Endpoint, is_loopback, serve

    _no_data_with_store(store_dir, data, no_shipped, input_format)

    def ready(endpoint: Endpoint) -> None:
        click.echo(f"SPARQL endpoint: {endpoint.query_url}")
        click.echo(f"Query editor:    {endpoint.url}/")
        sys.stdout.flush()
        if not is_loopback(host):
            click.echo(
                f"warning: listening on {host}: anyone who can reach this machine can query "
                "the endpoint"
                + (", and SERVICE clauses make the server fetch URLs" if allow_network else ""),
                err=True,
            )
        most = f"at most {max_results} results" if max_results else "no result limit"
        service = "SERVICE allowed" if allow_network else "no SERVICE"
        click.echo(
            f"Read-only; a query times out after {timeout} s; {most}; {service}. Ctrl-C stops.",
            err=True,
        )

    serve(
        list(data),
        shipped=not no_shipped,
        input_format=input_format,
        store=store_dir,
        host=host,
        port=port,
        timeout=timeout,
        max_results=max_results,
        allow_network=allow_network,
        cors=cors,
        on_ready=ready,
    )
    click.echo("SPARQL endpoint stopped.", err=True)


@cli.command(name="publish", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="The store's SPARQL query endpoint, used to verify what it holds.",
)
@click.option(
    "--graph-store",
    metavar="URL",
    default=None,
    help="The store's Graph Store Protocol endpoint. Default, from --endpoint: Oxigraph "
    "/query -> /store; Fuseki /DATASET/sparql -> /DATASET/data; GraphDB /repositories/ID -> "
    "/repositories/ID/rdf-graphs/service; Virtuoso /sparql -> /sparql-graph-crud-auth.",
)
@click.option(
    "--auth-env",
    metavar="VAR",
    default=None,
    help="Name of the environment variable holding the credentials: user:password (HTTP "
    "Basic or Digest) or an Authorization header value such as 'Bearer TOKEN'. "
    "Never printed.",
)
@click.option(
    "--default-graph",
    "default_graph",
    metavar="IRI",
    default=None,
    help="Send the default graph (the provenance) to this named graph instead "
    "(for stores without a default graph of their own, such as Virtuoso).",
)
@click.option(
    "--sample",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Compare the triples of only N named graphs, chosen at random (triple counts are "
    "checked for every graph). Default: compare every graph.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Send nothing: list the graphs and triple counts that would be sent.",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Also write the report as JSON to FILE (atomically), whatever the outcome: when "
    "publishing fails midway it lists which graphs the store accepted (and verified), "
    "which failed and which were not sent.",
)
@text_or_json_option
@store_option
@data_options
@_handle_errors
def publish_command(
    endpoint: str,
    graph_store: str | None,
    auth_env: str | None,
    default_graph: str | None,
    sample: int | None,
    dry_run: bool,
    report_file: Path | None,
    fmt: str,
    store_dir: Path | None,
    data: tuple[Path, ...],
    no_shipped: bool,
    input_format: str | None,
) -> None:
    """Push the dataset into a triple store and verify what the store holds.

    Each named graph and the default graph is sent with a Graph Store Protocol PUT,
    which replaces that graph (publishing twice gives the same store). Then the store
    is read back: triple counts of every graph, and the triples themselves of every
    graph (or of --sample N). The report lists each graph with the triples sent and
    found; a graph is published only if the store holds exactly what was sent.

    \b
    Exit status:
      0  every graph verified (or --dry-run)
      2  bad usage or input, store unreachable, request refused or failed
         (with --report, FILE says what reached the store)
      3  sent, but the store does not hold exactly what was sent
    """
    from .io import write_atomic
    from .progress import progress
    from .publishing import PublishError, publish

    _no_data_with_store(store_dir, data, no_shipped, input_format)
    try:
        with progress("publishing"):
            if store_dir is not None:
                quads = _open_store(store_dir, (), False, None).quads()
            else:
                quads = _load_quads(data, no_shipped, input_format)
            report = publish(
                quads,
                endpoint,
                graph_store=graph_store,
                auth_env=auth_env,
                default_graph=default_graph,
                dry_run=dry_run,
                sample=sample,
            )
    except PublishError as error:
        if report_file is None or error.report is None:
            raise
        write_atomic(report_file, error.report.to_json().encode("utf-8"))
        raise PublishError(f"{error} (report: {report_file})") from None
    if report_file is not None:
        write_atomic(report_file, report.to_json().encode("utf-8"))
    _emit(report.to_json() if fmt == "json" else report.to_text())
    sys.exit(EXIT_OK if report.ok else EXIT_NOT_VERIFIED)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ssc-kg`` console script."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="ssc-kg")
    except BrokenPipeError:  # pragma: no cover - raised outside _emit
        _exit_on_broken_pipe()
