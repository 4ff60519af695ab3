"""`flask --app app lif …`: clear one-line errors, non-zero exits."""

from __future__ import annotations

from lif.models import User


def test_create_user_with_agency(runner, clean_db):
    result = runner.invoke(args=["lif", "create-user", "lead@example.org", "--role", "lead",
                                 "--agency", "police"])
    assert result.exit_code == 0, result.output
    assert "Password (shown once)" in result.output
    assert User.objects.get(email="lead@example.org").agency == "police"


def test_create_user_with_agency_name(runner, clean_db):
    result = runner.invoke(args=["lif", "create-user", "ciec@example.org", "--role", "ciec",
                                 "--agency", "NSPCC"])
    assert result.exit_code == 0, result.output


def test_create_user_unknown_role_exits_non_zero(runner, clean_db):
    result = runner.invoke(args=["lif", "create-user", "x@example.org", "--role", "wizard"])
    assert result.exit_code == 1
    assert "Unknown role 'wizard'" in result.output
    assert User.objects(email="x@example.org").count() == 0


def test_create_user_unknown_agency_exits_non_zero(runner, clean_db):
    result = runner.invoke(args=["lif", "create-user", "x@example.org", "--role", "lead",
                                 "--agency", "Hogwarts"])
    assert result.exit_code == 1
    assert "Unknown agency 'Hogwarts'" in result.output
    assert User.objects(email="x@example.org").count() == 0


def test_lead_without_agency_is_refused(runner, clean_db):
    result = runner.invoke(args=["lif", "create-user", "x@example.org", "--role", "lead"])
    assert result.exit_code == 1
    assert "need an agency" in result.output


def test_seed_twice_reports_nothing_new(runner, clean_db):
    first = runner.invoke(args=["lif", "seed", "--demo"])
    assert first.exit_code == 0, first.output
    assert "Reviews: 11 new, audits: 3 new" in first.output
    second = runner.invoke(args=["lif", "seed"])
    assert second.exit_code == 0, second.output
    assert "Agencies: 0 new." in second.output
    # The demo is there now: asking for it again is refused, and changes nothing.
    again = runner.invoke(args=["lif", "seed", "--demo"])
    assert again.exit_code == 1
    assert "only into an empty install" in again.output


def test_create_token_for_unknown_user_fails(runner, clean_db):
    result = runner.invoke(args=["lif", "create-token", "ghost@example.org"])
    assert result.exit_code == 1
    assert "No user" in result.output
