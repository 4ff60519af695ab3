"""Crash points for the fault tests: ``LIF_FAULT_AFTER=<point>`` kills this process there.

A multi-step operation calls :func:`maybe_crash` between its steps; a test starts LIF with
the variable set, and the process dies with SIGKILL at that point, as in a power cut, with
no ``finally`` or ``atexit`` run. Unset (always, outside those tests) it costs one comparison.
"""

from __future__ import annotations

import os
import signal

# Read once, here and nowhere else.
_POINT = os.environ.get("LIF_FAULT_AFTER") or None


def maybe_crash(point: str) -> None:
    """Die at once (SIGKILL) if ``LIF_FAULT_AFTER`` names ``point``."""
    if _POINT is not None and _POINT == point:
        os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["maybe_crash"]
