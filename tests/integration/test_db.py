"""The database layer on the real embedded server."""

from __future__ import annotations

import pytest

from lif import db
from lif.models import Agency, User


def test_case_insensitive_lookup_on_indexed_field_finds_the_user(clean_db):
    # GIVEN a user whose email is stored lower-case on a unique (indexed) field
    User(email="someone@example.org", roles=["viewer"]).save()
    # WHEN looked up the way Flask-Admin's "contains" filter and logins do
    found_iexact = User.objects(email__iexact="SOMEONE@example.org").first()
    found_contains = User.objects(email__icontains="ONE@EXAM").count()
    found_startswith = User.objects(email__startswith="some").count()
    # THEN the SecantusDB regex gap is closed: each finds it
    assert found_iexact is not None
    assert found_contains == 1
    assert found_startswith == 1


def test_contains_filter_matches_nothing_for_absent_text(clean_db):
    User(email="someone@example.org", roles=["viewer"]).save()
    assert User.objects(email__icontains="nobody").count() == 0
    assert Agency.objects(name__icontains="police").count() == 1


@pytest.mark.embedded_only("with MONGODB_URI there is no embedded server to share")
def test_a_second_process_shares_the_running_embedded_server(app):
    # GIVEN the session's embedded server
    ours = db.embedded_server()
    assert ours is not None and ours.owned
    # WHEN another caller asks for the database of the same data dir
    other = db.ensure_embedded(ours.data_dir)
    # THEN it gets the running server rather than starting a second one
    assert other.port == ours.port
    assert not other.owned


def test_ping_reports_an_unreachable_server_quickly():
    assert db.ping("mongodb://127.0.0.1:1/?directConnection=true", 300) is False
