"""Waiting for what another thread or process does, on a real condition, with a deadline.

Tests never sleep to let time pass: time-machine moves LIF's clock. What happens outside the
test's control - a server starting, a database dying, an index catching up - is waited for
with :func:`wait_for`, which checks a real condition until it holds or the deadline passes.
This is the one place in the tests that pauses (``make lint`` bans ``time.sleep`` elsewhere).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], *, what: str, timeout: float = 30.0,
             every: float = 0.05) -> T:
    """Return ``condition()``'s first true value, checking it every ``every`` seconds.

    :param what: what is waited for, for the failure message.
    :raises AssertionError: it did not hold within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"Waited {timeout:g} s for {what}.")
        time.sleep(every)
