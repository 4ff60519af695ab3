"""A full disk is an outage people are told about, not a crash.

Writes are refused while the disk holding the data dir has less than the configured room
free (``LIF_MIN_FREE_MB``, plus the size of what is being sent), before anything is stored,
so the database never meets a full disk and reading goes on (``lif/db.py``:
:func:`~lif.db.require_room`). Should it meet one anyway (something else filled the disk),
the embedded database stops serving until it is restarted: :func:`recover` does that, once
there is room again, and repairs what the failed write left half done. Nobody has to
restart LIF.
"""

from __future__ import annotations

import logging
import threading

from .. import db
from . import setup

log = logging.getLogger(__name__)

FULL_MESSAGE = db.FULL_MESSAGE


class _State:
    suspect = False
    lock = threading.Lock()


_state = _State()


def health() -> dict:
    """Whether the database answers and takes writes now, recovering it first if it can.

    :return: ``{"database": "reachable" | "unreachable", "writable": bool}``; not writable
        either when there is no room left to write in.
    """
    reachable, serving = db.probe()
    if reachable and not serving and recover():
        reachable, serving = db.probe()
    return {"database": "reachable" if reachable else "unreachable",
            "writable": bool(serving and db.has_room())}


def failed() -> bool:
    """After a database error: whether the disk caused it (then requests check the store
    again, :func:`recover_if_needed`, until it serves).

    :return: ``True`` when the disk is short of room or the store stopped serving;
        ``False`` for any other error (a bug: a 500).
    """
    reachable, serving = db.probe()
    if db.has_room() and (serving or not reachable):
        return False
    _state.suspect = True
    log.error("the database failed for lack of disk space (%s bytes free)", db.room_left())
    return True


def recover() -> bool:
    """Restart the embedded database if it stopped serving and there is room again.

    :return: whether it was restarted (and what the failed write left half done repaired).
    """
    with _state.lock:
        reachable, serving = db.probe()
        if not reachable or serving or not db.has_room():
            return False
        log.warning("the database stopped serving; %s bytes are free again: restarting it",
                    db.room_left())
        try:
            restarted = db.restart_embedded()
        except db.DatabaseUnavailable as error:
            log.error("the embedded database did not restart: %s", error)
            return False
        if not restarted:
            log.error("the database is not LIF's own to restart: restart its server")
            return False
        repaired = setup.repair_interrupted()
        log.warning("recovered from a full disk; repaired %s", repaired)
        return True


def recover_if_needed() -> None:
    """Before a request: after a failure, check the store again and recover it when there is
    room; once it serves, stop checking (two small operations a request meanwhile)."""
    if not _state.suspect:
        return
    reachable, serving = db.probe()
    if reachable and not serving:
        recover()
        reachable, serving = db.probe()
    if reachable and serving:
        _state.suspect = False
