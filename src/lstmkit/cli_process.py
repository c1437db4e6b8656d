"""How the ``lstmkit`` command ends: user errors as one line and an exit code, Ctrl-C and SIGTERM as 130 and 143,
and a reader that went away (``| head``) as a quiet end, or, for stderr's commentary, as nothing at all.

    run(app)    the console entry point's work: run the typer app and turn what it raises into an exit code
"""
from __future__ import annotations

import os
import signal
import sys
import threading

import typer

from .cli_common import PipeClosed
from .errors import LstmkitError

EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 2, 130, 143


class _Terminated(BaseException):
    """SIGTERM outside a training loop: unwind (so no file is left half-written) and exit 143."""


def _on_sigterm(signum, frame) -> None:
    raise _Terminated


class _ClosedStderrQuiet:
    """sys.stderr, whose messages are dropped once its reader has gone away (`lstmkit forecast train ... 2>&1 | head -1`):
    the plan, the progress bar and the notes are commentary, and a run whose reader stopped listening still
    trains and saves its model. What goes to stdout (the command's output) still ends the run quietly."""

    def __init__(self, stream) -> None:
        self._stream, self._closed = stream, False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        # the stream's file now leads to /dev/null, so that what its buffer still holds cannot fail again at exit
        self._closed = True
        _to_devnull(self._stream)

    def __getattr__(self, name):  # encoding, isatty, fileno ... as the real stream's
        return getattr(self._stream, name)


def run(app: typer.Typer) -> None:
    """Run ``app`` as the console entry point, turning user errors into one line and an exit code."""
    stderr = sys.stderr
    if stderr is not None:
        sys.stderr = _ClosedStderrQuiet(stderr)
    try:
        _run(app)
    except KeyboardInterrupt:  # a second signal landed while the first one's exit was being reported
        sys.exit(EXIT_INTERRUPTED)
    except _Terminated:
        sys.exit(EXIT_TERMINATED)
    finally:
        sys.stderr = stderr


def _run(app: typer.Typer) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)  # the trainer installs its own while it trains
    try:
        code = app(standalone_mode=False, prog_name="lstmkit")  # not "python -m ..." in usage lines
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:  # Ctrl-C outside training
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except typer.exceptions.TyperException as e:  # usage errors: a bad option value, an unknown command
        ctx = getattr(e, "ctx", None)
        if type(e).__name__ == "NoArgsIsHelpError" or not hasattr(e, "format_message"):
            e.show()  # a bare group (`lstmkit forecast`): its help is the answer, not an error line
        else:  # one line, as every other bad input gets, and where the command's options are listed
            see = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            typer.echo(f"error: {e.format_message()}{see}", err=True)
        sys.exit(getattr(e, "exit_code", EXIT_USAGE))
    except LstmkitError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except _Terminated:
        typer.echo("terminated", err=True)
        sys.exit(EXIT_TERMINATED)
    except (BrokenPipeError, PipeClosed):
        # The reader went away (`lstmkit generate ... | head`): end quietly with 0, as Unix tools do.
        # Point stdout at /dev/null so the interpreter's final flush cannot fail again.
        _to_devnull(sys.stdout)
        sys.exit(0)
    finally:
        # Everything is written: a signal during the interpreter's shutdown just ends the process
        # (exit -15) instead of raising into atexit handlers and printing their traceback.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _to_devnull(stream) -> None:
    """Point ``stream``'s file at /dev/null, so that what its buffer still holds cannot fail again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass
