"""runner.StopSignals puts back the handlers it found, or Python's defaults where it cannot."""

from __future__ import annotations

import signal

from judgebench.runner import StopSignals


def test_a_handler_installed_outside_python_gives_way_to_pythons_default_after(monkeypatch):
    """`signal.signal` returns None for a handler that was not installed from Python (a program embedding
    Python installed it), which cannot be put back. StopSignals kept its own handler installed then, and Ctrl-C
    was silently swallowed after the command judged: it must leave Python's defaults instead (Ctrl-C raises
    KeyboardInterrupt, SIGTERM ends the process)."""
    found = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    install = signal.signal

    def installed_outside_python(signum, handler):
        previous = install(signum, handler)
        return None if previous is found[signum] else previous

    try:
        with monkeypatch.context() as patched:
            patched.setattr(signal, "signal", installed_outside_python)
            with StopSignals() as signals:
                assert signal.getsignal(signal.SIGINT) == signals._received
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        for signum, handler in found.items():
            signal.signal(signum, handler)


def test_the_handlers_found_are_put_back():
    """Handlers installed from Python are put back as they were."""
    def mine(signum, frame):
        pass

    found = {signum: signal.signal(signum, mine) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with StopSignals() as signals:
            assert signal.getsignal(signal.SIGTERM) == signals._received
        assert signal.getsignal(signal.SIGINT) is mine and signal.getsignal(signal.SIGTERM) is mine
    finally:
        for signum, handler in found.items():
            signal.signal(signum, handler)
