"""Which process this is, and whether another one is still alive.

A process is named by its machine, its pid and when it started: a pid alone is reused, so a
mark of a process that died can name a new one. On Linux the machine is the host name, the
boot (pids start again after a reboot) and the pid namespace (two containers sharing a host
name see each other's pids as nobody's); the start time is the kernel's, in clock ticks since
boot. Elsewhere the machine is the host name and the start time unknown (a reused pid then
counts as alive, which errs on the safe side: nothing is repaired under a running process).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

_PROC = Path("/proc")


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def machine() -> str:
    """A name for the machine (and pid namespace) this process runs on."""
    parts = [socket.gethostname(), _read(_PROC / "sys/kernel/random/boot_id")]
    try:
        parts.append(os.readlink(_PROC / "self/ns/pid"))
    except OSError:
        pass
    return "|".join(part for part in parts if part)


def started(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (``None``: unknown or gone)."""
    stat = _read(_PROC / str(pid) / "stat")
    if not stat:
        return None
    try:
        # The command name (field 2) may hold spaces and brackets: read after its last ")".
        fields = stat.rsplit(")", 1)[1].split()
        return int(fields[19])  # field 22 of stat(5), counted from field 3
    except (IndexError, ValueError):
        return None


def _state(pid: int) -> str | None:
    stat = _read(_PROC / str(pid) / "stat")
    try:
        return stat.rsplit(")", 1)[1].split()[0] if stat else None
    except IndexError:
        return None


def mark(pid: int | None = None) -> dict:
    """``{"machine", "pid", "started"}`` naming process ``pid`` (default: this one)."""
    pid = os.getpid() if pid is None else pid
    return {"machine": machine(), "pid": pid, "started": started(pid)}


def is_running(pid: int, start: int | None = None) -> bool:
    """Whether process ``pid`` (started at ``start``, when known) runs on this machine.

    A zombie (dead, not yet reaped by its parent) is not running.
    """
    if pid <= 0:
        return False
    if _PROC.is_dir():
        state = _state(pid)
        if state is None or state in ("Z", "X"):
            return False
        return start is None or started(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive(marked: dict) -> bool | None:
    """Whether the process ``marked`` names is alive: ``None`` when it ran on another machine
    (this one cannot tell)."""
    if not marked or marked.get("machine") != machine():
        return None
    return is_running(int(marked.get("pid") or 0), marked.get("started"))


__all__ = ["alive", "is_running", "machine", "mark", "started"]
