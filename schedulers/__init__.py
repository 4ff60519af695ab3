"""APScheduler set-up: one persistent job, ``sweep``, that runs the idempotent sweeps of ``lif/``.

The job store is MongoDB (collection ``apscheduler_jobs`` on LIF's own connection), so a
restart keeps the job and its next run time. The job holds no state: whether a review record
or a reminder exists is read from the database, and unique keys there make two runs at once
harmless. Still, run one scheduler per installation — in-process with ``python app.py``, or
``flask --app app lif scheduler`` beside several web workers — since two schedulers sharing a
store run each job twice (measured); cron with ``lif sweep`` is the third way.

After downtime the job runs once at start (coalesced), not once per missed interval.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import signal

from apscheduler.jobstores.mongodb import MongoDBJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from config.deadlines import SWEEP_EVERY_MINUTES
from lif import db
from lif.services import notifications

log = logging.getLogger(__name__)

JOB_ID = "sweep"
JOB_FUNC = "schedulers.jobs:sweep"
COLLECTION = "apscheduler_jobs"


class LIFJobStore(MongoDBJobStore):
    """APScheduler's MongoDB job store on LIF's connection, which it must leave open."""

    def shutdown(self) -> None:
        # The stock store closes its client; this one is LIF's (lif.db closes it).
        return None


def job_store(collection: str = COLLECTION) -> LIFJobStore:
    database = db.database()
    return LIFJobStore(database=database.name, collection=collection, client=database.client)


def build_scheduler(
    scheduler_class: type[BaseScheduler] = BackgroundScheduler, *, collection: str = COLLECTION
) -> BaseScheduler:
    """Return a scheduler (not started) on the persistent job store."""
    return scheduler_class(
        timezone=dt.UTC,
        jobstores={"default": job_store(collection)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )


def add_sweep_job(scheduler: BaseScheduler, *, run_now: bool = True) -> None:
    """Add (or replace) the ``sweep`` job: every ``SWEEP_EVERY_MINUTES``, first run now."""
    options = {"next_run_time": dt.datetime.now(dt.UTC)} if run_now else {}
    scheduler.add_job(
        JOB_FUNC,
        trigger="interval",
        minutes=SWEEP_EVERY_MINUTES,
        id=JOB_ID,
        name="LIF deadlines sweep",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,  # however late: catching up once is the point
        **options,
    )


def configure_mail(app) -> None:
    """Pass the application's SMTP settings to the notifications service."""
    notifications.configure_mail(
        app.config.get("LIF_SMTP_HOST"),
        app.config.get("LIF_SMTP_PORT", 25),
        app.config.get("LIF_MAIL_FROM", "lif@localhost"),
        app.config.get("LIF_BASE_URL", "") or "",
    )


def init_scheduler(app) -> BackgroundScheduler:
    """Start the in-process scheduler of a single-process install (``python app.py``)."""
    configure_mail(app)
    scheduler = build_scheduler(BackgroundScheduler)
    add_sweep_job(scheduler)
    scheduler.start()
    app.extensions["lif_scheduler"] = scheduler
    atexit.register(_stop, scheduler)
    log.info("Scheduler started: sweeps every %s minutes", SWEEP_EVERY_MINUTES)
    return scheduler


def run_dedicated(app) -> None:
    """Run the scheduler in the foreground until Ctrl-C or SIGTERM (``lif scheduler``)."""
    configure_mail(app)
    scheduler = build_scheduler(BlockingScheduler)
    add_sweep_job(scheduler)

    def _handle(signum, frame):  # noqa: ARG001
        _stop(scheduler)

    signal.signal(signal.SIGTERM, _handle)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        _stop(scheduler)


def _stop(scheduler: BaseScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)
