"""The ssc-kg command line, through the root group (CliRunner) and as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import Result

import ssc_kg
from ssc_kg.cli import cli
from ssc_kg.formats import FORMATS

from .conftest import (
    EXTRA,
    ILLTYPED,
    MALFORMED,
    REMOTE_CONTEXT,
    SAMPLE,
    SAMPLE_ARGS,
    SELECT_QUERY,
    SHAPES,
    VIOLATIONS,
    run_module,
)

Run = Callable[..., Result]

COMMANDS = sorted(cli.commands)


def _assert_clean_error(result: Result, *fragments: str) -> None:
    """Exit 2, one 'Error: ...' line on stderr, nothing on stdout, no traceback."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[-1]


# --------------------------------------------------------------------------- help, version


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["ssc-kg", *COMMANDS])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help(run: Run, command: list[str], flag: str) -> None:
    result = run(*command, flag)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ssc-kg")


def test_commands() -> None:
    assert COMMANDS == [
        "describe",
        "export",
        "load",
        "publish",
        "query",
        "release",
        "serve",
        "site",
        "stats",
        "validate",
    ]


def test_group_help_documents_exit_codes(run: Run) -> None:
    text = " ".join(run("--help").stdout.split())
    assert "0 success" in text
    assert "1 validate: the data does not conform" in text
    assert "2 usage error or bad input" in text


def test_export_help_documents_merging(run: Run) -> None:
    text = " ".join(run("export", "--help").stdout.split())
    assert "UNION of all graphs" in text
    assert "trig (default)" in text


def test_version(run: Run) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert ssc_kg.__version__ in result.stdout


def test_no_command_shows_usage(run: Run) -> None:
    result = run()
    assert result.exit_code in (0, 2)
    assert "Usage:" in result.stdout + result.stderr


# --------------------------------------------------------------------------- export


def test_export_default_is_trig_on_stdout(run: Run) -> None:
    result = run("export", *SAMPLE_ARGS)
    assert result.exit_code == 0
    quads = list(ox.parse(result.stdout_bytes, ox.RdfFormat.TRIG))
    assert any(isinstance(q.graph_name, ox.NamedNode) for q in quads)
    assert result.stdout_bytes == run("export", *SAMPLE_ARGS, "--format", "trig").stdout_bytes


@pytest.mark.parametrize("name", [n for f in FORMATS.values() for n in f.names])
def test_export_every_format_name(run: Run, name: str) -> None:
    result = run("export", *SAMPLE_ARGS, "--format", name)
    assert result.exit_code == 0, result.stderr
    fmt = ssc_kg.formats.resolve_format(name)
    assert list(ox.parse(result.stdout_bytes, fmt.rdf_format))


def test_export_format_from_output_extension(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.nq"
    result = run("export", *SAMPLE_ARGS, "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_bytes() == run("export", *SAMPLE_ARGS, "--format", "nquads").stdout_bytes


def test_export_explicit_format_wins_over_extension(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    assert run("export", *SAMPLE_ARGS, "--format", "nt", "-o", str(target)).exit_code == 0
    assert target.read_bytes().startswith(b"<https://w3id.org/")


def test_export_dash_output_is_stdout(run: Run) -> None:
    result = run("export", *SAMPLE_ARGS, "-o", "-", "--format", "nt")
    assert result.exit_code == 0
    assert result.stdout.startswith("<https://w3id.org/")


def test_export_unknown_format(run: Run) -> None:
    result = run("export", *SAMPLE_ARGS, "--format", "yaml")
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert "turtle" in result.stderr  # the choices are listed


def test_export_unknown_output_extension(run: Run, tmp_path: Path) -> None:
    result = run("export", *SAMPLE_ARGS, "-o", str(tmp_path / "out.yaml"))
    _assert_clean_error(result, ".yaml", ".ttl")
    assert list(tmp_path.iterdir()) == []


def test_export_malformed_input_names_file_and_line(run: Run) -> None:
    result = run("export", "--no-shipped", "--data", str(MALFORMED))
    _assert_clean_error(result, f"{MALFORMED}:6: ")


def test_export_missing_file(run: Run) -> None:
    result = run("export", "--no-shipped", "--data", "does-not-exist.ttl")
    _assert_clean_error(result, "does-not-exist.ttl: no such file")


def test_export_remote_jsonld_context_is_refused(run: Run) -> None:
    result = run("export", "--no-shipped", "--data", str(REMOTE_CONTEXT))
    _assert_clean_error(result, str(REMOTE_CONTEXT), "never fetched")


def test_export_from_stdin(run: Run) -> None:
    data = '<http://e/s> <http://e/p> "o" .\n'
    result = run(
        "export",
        "--no-shipped",
        "--data",
        "-",
        "--input-format",
        "nt",
        "--format",
        "nt",
        input=data,
    )
    assert result.exit_code == 0
    assert result.stdout == data


def test_export_stdin_without_input_format(run: Run) -> None:
    result = run("export", "--no-shipped", "--data", "-", input="<a> <b> <c> .")
    _assert_clean_error(result, "<stdin>", "input format")


def test_export_to_missing_directory(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.ttl"
    result = run("export", *SAMPLE_ARGS, "-o", str(target))
    _assert_clean_error(result, str(target))


def test_export_output_is_atomic_on_serialization_failure(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.ttl"
    target.write_bytes(b"OLD")

    def broken(*args: object, **kwargs: object) -> bytes:
        raise ssc_kg.SscKgError("serialization failed half-way")

    monkeypatch.setattr("ssc_kg.io.serialize_quads", broken)
    result = run("export", *SAMPLE_ARGS, "-o", str(target))
    _assert_clean_error(result, "serialization failed half-way")
    assert target.read_bytes() == b"OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_export_output_is_atomic_on_write_failure(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while the new file is being written leaves the old one intact."""
    target = tmp_path / "out.ttl"
    target.write_bytes(b"OLD")
    real_fdopen = os.fdopen

    class FailingFile:
        def __init__(self, handle: object) -> None:
            self.handle = handle

        def __enter__(self) -> FailingFile:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()  # type: ignore[attr-defined]

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])  # type: ignore[attr-defined]
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FailingFile(real_fdopen(fd, mode)))
    result = run("export", *SAMPLE_ARGS, "-o", str(target))
    monkeypatch.undo()
    _assert_clean_error(result, str(target), "No space left on device")
    assert target.read_bytes() == b"OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


# --------------------------------------------------------------------------- validate


def test_validate_conforms_exit_0(run: Run) -> None:
    result = run("validate", *SAMPLE_ARGS, "--shapes", str(SHAPES))
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[WARNING] sscid:un skos:prefLabel:")
    assert lines[-1] == "conforms (0 violations, 1 warning, 0 infos)"


def test_validate_violations_exit_1(run: Run) -> None:
    result = run("validate", *SAMPLE_ARGS, str(VIOLATIONS), "--shapes", str(SHAPES))
    assert result.exit_code == 1
    assert "[VIOLATION] sscg:orphan rdf:type:" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("does not conform (")


def test_validate_json(run: Run) -> None:
    result = run(
        "validate", *SAMPLE_ARGS, str(ILLTYPED), "--shapes", str(SHAPES), "--format", "json"
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["conforms"] is False
    assert data["counts"]["violation"] >= 1


def test_validate_malformed_input_exit_2(run: Run) -> None:
    result = run("validate", "--no-shipped", str(MALFORMED), "--shapes", str(SHAPES))
    _assert_clean_error(result, f"{MALFORMED}:6: ")


def test_validate_malformed_shapes_exit_2(run: Run) -> None:
    result = run("validate", *SAMPLE_ARGS, "--shapes", str(MALFORMED))
    _assert_clean_error(result, f"{MALFORMED}:6: ")


def test_validate_broken_shapes_exit_2(run: Run, tmp_path: Path) -> None:
    shapes = tmp_path / "broken.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<http://e/S> a sh:NodeShape ; sh:targetNode <http://e/x> ;\n"
        '  sh:property [ sh:path <http://e/p> ; sh:pattern "(" ] .\n',
        encoding="utf-8",
    )
    result = run("validate", *SAMPLE_ARGS, "--shapes", str(shapes))
    _assert_clean_error(result, "SHACL validation could not run")


# --------------------------------------------------------------------------- query


def test_query_argument_table(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "SELECT ?s WHERE { ?s a org:Organization } ORDER BY ?s")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["s", "----------", "sscid:un", "sscid:unep", "(2 rows)"]


def test_query_from_file_csv(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "-f", str(SELECT_QUERY), "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "org,label"


def test_query_from_stdin(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "-f", "-", "--format", "json", input="ASK { ?s ?p ?o }")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["boolean"] is True


@pytest.mark.parametrize("fmt", ["tsv", "json", "xml"])
def test_query_result_formats(run: Run, fmt: str) -> None:
    result = run("query", *SAMPLE_ARGS, "-f", str(SELECT_QUERY), "--format", fmt)
    assert result.exit_code == 0
    assert "United Nations" in result.stdout


def test_query_construct_defaults_to_turtle(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "CONSTRUCT WHERE { ?s a org:Organization }")
    assert result.exit_code == 0
    assert len(list(ox.parse(result.stdout_bytes, ox.RdfFormat.TURTLE))) == 2


def test_query_construct_as_jsonld(run: Run) -> None:
    result = run(
        "query", *SAMPLE_ARGS, "CONSTRUCT WHERE { ?s a org:Organization }", "--format", "jsonld"
    )
    assert result.exit_code == 0
    assert len(list(ox.parse(result.stdout_bytes, ox.RdfFormat.JSON_LD))) == 2


def test_query_syntax_error_exit_2(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "SELECT * WHERE { ?s ?p }")
    _assert_clean_error(result, "SPARQL syntax error: line 1, column")


def test_query_service_refused(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    _assert_clean_error(result, "SERVICE")


def test_query_wrong_format_for_result(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "SELECT * WHERE { ?s ?p ?o }", "--format", "turtle")
    _assert_clean_error(result, "SELECT")


def test_query_needs_exactly_one_query(run: Run) -> None:
    assert run("query", *SAMPLE_ARGS).exit_code == 2
    both = run("query", *SAMPLE_ARGS, "ASK {}", "-f", str(SELECT_QUERY))
    assert both.exit_code == 2
    assert "Traceback" not in both.stdout + both.stderr


def test_query_missing_query_file(run: Run) -> None:
    result = run("query", *SAMPLE_ARGS, "-f", "missing.rq")
    _assert_clean_error(result, "missing.rq")


# --------------------------------------------------------------------------- stats


def test_stats_text(run: Run) -> None:
    result = run("stats", *SAMPLE_ARGS)
    assert result.exit_code == 0
    assert "named graphs:          2" in result.stdout


def test_stats_json(run: Run) -> None:
    result = run("stats", *SAMPLE_ARGS, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["triples"] == 23


def test_stats_bad_input_exit_2(run: Run) -> None:
    _assert_clean_error(run("stats", "--no-shipped", "--data", str(MALFORMED)), ":6: ")


# --------------------------------------------------------------------------- processes


@pytest.mark.parametrize("name", list(FORMATS))
def test_export_is_byte_identical_across_processes(name: str, tmp_path: Path) -> None:
    args = ["export", "--format", name, *SAMPLE_ARGS]
    first = run_module(args, cwd=tmp_path, seed="1")
    second = run_module(args, cwd=tmp_path, seed="98765")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_broken_pipe_ends_quietly(tmp_path: Path) -> None:
    """`ssc-kg export --format nt | head -1`: no traceback, no "Exception ignored"."""
    big = tmp_path / "big.nt"
    with big.open("w", encoding="utf-8") as handle:
        for i in range(20000):
            handle.write(f'<https://w3id.org/ssc-kg/id/r{i}> <http://e/p> "value number {i}" .\n')
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ssc_kg",
            "export",
            "--format",
            "nt",
            "--no-shipped",
            "--data",
            str(big),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    first_line = process.stdout.readline()
    process.stdout.close()  # like `head -1` exiting
    stderr = process.stderr.read()
    returncode = process.wait(timeout=120)
    assert first_line.startswith(b"<https://w3id.org/ssc-kg/id/r")
    assert stderr == b""
    assert returncode == 141  # like a process ended by SIGPIPE, but without the noise


def test_export_does_not_import_pyshacl_or_pyld(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from ssc_kg.cli import main\n"
        "try:\n"
        f"    main(['export', '--format', 'turtle', '--no-shipped', '--data', {str(SAMPLE)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'pyshacl', 'pyld', 'owlrl'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), file=sys.stderr)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert completed.stderr.strip() == "[]"
    assert "@prefix" in completed.stdout


def test_python_dash_m(tmp_path: Path) -> None:
    completed = run_module(["--version"], cwd=tmp_path)
    assert completed.returncode == 0
    assert ssc_kg.__version__.encode() in completed.stdout


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    completed = run_module(["export", "--no-shipped", "--data", str(MALFORMED)], cwd=tmp_path)
    assert completed.returncode == 2
    assert completed.stdout == b""
    assert completed.stderr.decode().strip() == (
        f"Error: {MALFORMED}:6: A dot is expected at the end of statements (column 1)"
    )


def test_extra_fixture_is_plain_turtle() -> None:
    assert EXTRA.suffix == ".ttl"
    assert SAMPLE.suffix == ".trig"
