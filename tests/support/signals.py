"""A judgebench command that sends its own process a real signal at a chosen point, for tests of how it stops.

A user's Ctrl-C or a service manager's SIGTERM cannot be aimed from outside at a step that lasts milliseconds
(a batch of games being claimed, the planner choosing a round), and signalling the pytest process instead meets
pytest's own handlers, and a KeyboardInterrupt that escapes ends the test session. So the command runs in a
child Python process whose script wraps one function or method: on its chosen call the wrapper signals the
child's own process, then calls the original; the script then runs the CLI. The test checks the child's exit
code, its output and the store, as it would for a signal sent from outside.

The child first takes Python's own Ctrl-C handler, as a command started from a terminal has it: a suite started in
the background by a script (bash's `cmd &`) passes SIGINT on ignored, and a command that ignores Ctrl-C from its
start is not the case these tests are about.
"""

from __future__ import annotations

import signal

_SCRIPT = """
import itertools, os, signal
from judgebench import cli
from {module} import {owner}
signal.signal(signal.SIGINT, signal.default_int_handler)
original = {owner}.{name}
calls = itertools.count(1)
def signalled(*args, **kwargs):
    if next(calls) == {call}:
        os.kill(os.getpid(), signal.{signal})
    return original(*args, **kwargs)
{owner}.{name} = signalled
cli.main()
"""


def signal_at(module: str, owner: str, name: str, signum: signal.Signals, call: int = 1) -> str:
    """The script (for `python -c SCRIPT ARGS...`) that runs `judgebench ARGS...` and sends its own process
    `signum` as `owner.name` is called for the `call`-th time, before that call runs.

    `owner` is what `module` holds: a class (`"judgebench.store", "Store", "claim"`: every store's claim) or a
    submodule (`"judgebench", "diagnostics", "diagnose_judgments"`); the callers must look `name` up on it when
    they call it, as they do a method.
    """
    return _SCRIPT.format(module=module, owner=owner, name=name, call=call, signal=signum.name)
