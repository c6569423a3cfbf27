"""Progress on stderr for long work, only when stderr is a terminal.

:func:`progress` opens a task; the library reports what it is doing with :func:`step`
(a label) and :func:`advance` (a count), which cost nothing when no task is open or
output is off. A background thread draws one line -- a spinner, the label, the count
and the elapsed time -- at most 10 times a second, starting only once the task has
run for ``delay`` seconds (2 by default; ``SSC_KG_PROGRESS_DELAY`` overrides it),
and erases it when the task ends. Nothing is ever written when stderr is not a
terminal (pipes, files, tests), nor when stdout is the same terminal and carries the
command's output while the task runs (``quiet_on_stdout_tty``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

__all__ = ["Progress", "advance", "progress", "step"]

_SPINNER = "|/-\\"
_INTERVAL = 0.1
_DEFAULT_DELAY = 2.0


def _delay() -> float:
    try:
        return max(0.0, float(os.environ.get("SSC_KG_PROGRESS_DELAY", _DEFAULT_DELAY)))
    except ValueError:
        return _DEFAULT_DELAY


def _is_tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """One task's progress line (see the module documentation)."""

    def __init__(self, label: str, *, stream: TextIO, delay: float) -> None:
        self.label = label
        self.count: int | None = None
        self.unit = ""
        self._stream = stream
        self._delay = delay
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._drawn = False
        self._thread = threading.Thread(target=self._run, name="ssc-kg-progress", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _line(self, tick: int) -> str:
        elapsed = time.monotonic() - self._start
        text = f"{_SPINNER[tick % len(_SPINNER)]} {self.label}"
        if self.count is not None:
            text += f" {self.count:,}{self.unit}"
        return f"{text} ({elapsed:.0f} s)"

    def _run(self) -> None:
        tick = 0
        if self._stop.wait(self._delay):
            return
        while not self._stop.is_set():
            try:
                self._stream.write("\r" + self._line(tick) + "\x1b[K")
                self._stream.flush()
            except (OSError, ValueError):
                return
            self._drawn = True
            tick += 1
            self._stop.wait(_INTERVAL)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._drawn:
            with contextlib.suppress(OSError, ValueError):
                self._stream.write("\r\x1b[K")
                self._stream.flush()


_current: Progress | None = None


@contextlib.contextmanager
def progress(label: str, *, quiet_on_stdout_tty: bool = False) -> Iterator[Progress | None]:
    """Show progress for the work in the ``with`` block (nested blocks reuse the outer one).

    :param quiet_on_stdout_tty: the block writes the command's output to stdout; draw
        nothing if stdout is a terminal too (the lines would mix).
    """
    global _current
    stream = sys.stderr
    if _current is not None:
        _current.label = label
        yield _current
        return
    enabled = _is_tty(stream) and not (quiet_on_stdout_tty and _is_tty(sys.stdout))
    if not enabled:
        yield None
        return
    task = Progress(label, stream=stream, delay=_delay())
    _current = task
    task.start()
    try:
        yield task
    finally:
        _current = None
        task.close()


def step(label: str, *, count: int | None = None, unit: str = "") -> None:
    """Report what the current task is doing (no-op without a visible task)."""
    task = _current
    if task is not None:
        task.label = label
        task.count = count
        task.unit = unit


def advance(amount: int) -> None:
    """Add *amount* to the current task's count (no-op without a visible task)."""
    task = _current
    if task is not None:
        task.count = (task.count or 0) + amount
