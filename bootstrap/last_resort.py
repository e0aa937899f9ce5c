"""What the command line does when things go wrong outside a command's own checks.

SIGTERM and SIGHUP end a command the way Ctrl-C does (every restore and cleanup runs); output
never fails on a stream that cannot show a character; an unexpected exception is one line, with
its traceback only on request (``--debug``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

from bootstrap.errors import Terminated

#: Signals that end a command the way Ctrl-C does: everything restored, scratch removed.
SIGNALS = {"SIGTERM": "terminated", "SIGHUP": "hung up"}


def handle_signals() -> dict[int, object]:
    """SIGTERM and SIGHUP raise ``Terminated`` in the main thread, so every cleanup that Ctrl-C
    runs (restoring files, removing scratch folders, stopping child processes) runs for them too.
    Once one arrives, further ones are ignored, so the cleanup itself is not cut short.

    Returns the previous handlers, for ``restore_signals``.
    """
    previous: dict[int, object] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    numbers = [getattr(signal, name) for name in SIGNALS if hasattr(signal, name)]
    for name, reason in SIGNALS.items():
        signum = getattr(signal, name, None)
        if signum is None:
            continue

        def stop(received: int, _frame: object, reason: str = reason) -> None:
            for other in (*numbers, signal.SIGINT):
                signal.signal(other, signal.SIG_IGN)
            raise Terminated(reason, received)

        previous[signum] = signal.signal(signum, stop)
    return previous


def restore_signals(previous: dict[int, object]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]


def tolerant_output() -> None:
    """Never fail on printing: a terminal or PYTHONIOENCODING that cannot show a character
    shows an escape instead (names and summaries hold arrows, dashes and users' text)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def silence_stdout() -> None:
    """The reader of stdout went away (``| head``): nothing more to say, and no error for it."""

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def unexpected(error: BaseException, *, debug: bool) -> int:
    """A bug, said in one line (exit 1); with ``debug``, its traceback first."""
    if debug:
        import traceback  # only for --debug: start-up stays light

        traceback.print_exception(error)
    detail = " ".join(str(error).split())[:200]
    print(
        f"error: unexpected {type(error).__name__}"
        + (f" ({detail})" if detail else "")
        + ": this is a bug in bootstrap; run again with --debug and report the traceback",
        file=sys.stderr,
    )
    return 1
