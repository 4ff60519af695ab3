"""The scheduler: a persistent job store in MongoDB, one thin job, and the two commands."""

from __future__ import annotations

import datetime as dt

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

import schedulers
from config.deadlines import SWEEP_EVERY_MINUTES
from lif import db
from lif.models import Attachment, Meeting, Notification, PDCReview
from lif.services import notifications
from schedulers import jobs

from .deadline_helpers import at, ratified_plan, travel

D = dt.date
COLLECTION = "test_apscheduler_jobs"


@pytest.fixture
def store(clean_db):
    yield COLLECTION
    db.database()[COLLECTION].drop()


def test_a_restarted_scheduler_keeps_its_job(store):
    first = schedulers.build_scheduler(BackgroundScheduler, collection=store)
    first.start(paused=True)
    schedulers.add_sweep_job(first, run_now=False)
    next_run = first.get_job(schedulers.JOB_ID).next_run_time
    first.shutdown()

    second = schedulers.build_scheduler(BackgroundScheduler, collection=store)
    second.start(paused=True)
    try:
        job = second.get_job(schedulers.JOB_ID)
        assert job is not None
        assert job.func is jobs.sweep
        assert job.next_run_time == next_run
        assert job.trigger.interval == dt.timedelta(minutes=SWEEP_EVERY_MINUTES)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    finally:
        second.shutdown()
    # The store shares LIF's connection and must leave it open.
    assert db.is_up()
    assert Meeting.objects.count() == 0


def test_adding_the_job_again_replaces_it(store):
    scheduler = schedulers.build_scheduler(BackgroundScheduler, collection=store)
    scheduler.start(paused=True)
    try:
        schedulers.add_sweep_job(scheduler)
        schedulers.add_sweep_job(scheduler)
        assert [job.id for job in scheduler.get_jobs()] == [schedulers.JOB_ID]
        assert db.database()[store].count_documents({}) == 1
    finally:
        scheduler.shutdown()


def pack_writer_available() -> bool:
    """The Word pack is another module's work: with it the review has a pack, without not."""
    try:
        from documents import writers
    except ImportError:
        return False
    return "pdc-pack" in getattr(writers, "KINDS", {})


def test_the_job_runs_the_sweeps_at_the_current_time(clean_db):
    ratified_plan(D(2026, 1, 15))
    with travel(at(D(2026, 7, 15), 10)):
        summary = jobs.sweep()
    assert summary["pdc_reviews"]["reviews_created"] == 1
    review = PDCReview.objects.get()
    assert review.scheduled_for == D(2026, 7, 15)
    has_writer = pack_writer_available()
    packs = Attachment.objects(item_type="pdc_review", item_id=str(review.pk))
    if has_writer:
        assert review.pack_attachment == packs.get().pk
    else:  # the pack writer is optional: the review exists without a pack
        assert review.pack_attachment is None and packs.count() == 0


def test_sweep_command_prints_what_it_did(runner, clean_db):
    ratified_plan(D(2026, 1, 15))
    result = runner.invoke(args=["lif", "sweep", "--now", "2026-07-15"])
    assert result.exit_code == 0, result.output
    assert "Sweep at 2026-07-15 12:00 UTC" in result.output
    assert "pdc_reviews" in result.output and "reviews_created=1" in result.output
    again = runner.invoke(args=["lif", "sweep", "--now", "2026-07-15"])
    assert "reviews_created" not in again.output
    assert PDCReview.objects.count() == 1


def test_sweep_dry_run_changes_nothing(runner, clean_db):
    ratified_plan(D(2026, 1, 15))
    before = Notification.objects.count()
    result = runner.invoke(args=["lif", "sweep", "--now", "2026-07-15", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and "reviews_created=1" in result.output
    assert PDCReview.objects.count() == 0
    assert Notification.objects.count() == before


@pytest.mark.parametrize("value", ["2026-13-45", "tomorrow", "15/07/2026"])
def test_sweep_with_an_invalid_date_exits_non_zero(runner, clean_db, value):
    result = runner.invoke(args=["lif", "sweep", "--now", value])
    assert result.exit_code == 2
    assert f"--now must be a date as YYYY-MM-DD, not '{value}'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert Meeting.objects.count() == 0


def test_sweep_command_uses_the_apps_mail_settings(runner, clean_db, app):
    app.config["LIF_SMTP_HOST"] = None
    try:
        result = runner.invoke(args=["lif", "sweep"])
    finally:
        notifications.configure_mail(None)
    assert result.exit_code == 0, result.output
    assert "SMTP not configured" in result.output
