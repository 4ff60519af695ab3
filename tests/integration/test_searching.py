"""Search across LIF as a user would: relevance, permissions in the query, always current."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from lif import workflow
from lif.actors import SYSTEM
from lif.demo.appendix_one import ENTRIES
from lif.models.referral import Person
from lif.seed import seed_entries
from lif.services import attachments, content, referrals, searching

from .. import factories as f
from ..conftest import AuthActions, make_user
from .test_attachments import word_file


@pytest.fixture
def demo(clean_db):
    """The 14 entries of Appendix One, and nothing else."""
    seed_entries(ENTRIES)
    searching.reindex()


def top(user, q):
    results = searching.search(user, q)
    return [h.title for h in results.hits]


@pytest.mark.parametrize(("question", "entry"), [
    ("bruising in non-mobile babies", "Child A (Alex)"),
    ("bruise babies", "Child A (Alex)"),  # a stemmed form
    ("interpreters", "Child C (Chris)"),
    ("house fire", "Child N"),
    ('"start again syndrome"', "Family M"),
    ("missed medical appointments did not attend", "LSCR 1402 (Child known as Mary)"),
])
def test_distinctive_questions_find_the_right_entry_first(demo, question, entry):
    assert top(SYSTEM, question)[0] == entry


def test_field_queries_and_facets(demo):
    results = searching.search(SYSTEM, "type:audit neglect")
    assert {h.type for h in results.hits} == {"audit"}
    assert "LSCB Neglect Audit" in [h.title for h in results.hits]
    facets = dict(searching.search(SYSTEM, "neglect").facets["type"])
    assert facets.get("review", 0) >= 2 and facets.get("audit", 0) >= 1


def test_index_follows_saves_transitions_trash_and_restore(clean_db):
    searching.reindex()
    review = f.make_review(title="Child Q", overview="Concerns about cuckooing and county lines.")
    assert top(SYSTEM, "cuckooing") == ["Child Q"]
    content.update(review, {"overview": "Learning about exploitation."}, SYSTEM, base_version=1)
    assert top(SYSTEM, "cuckooing") == []
    assert top(SYSTEM, "exploitation") == ["Child Q"]
    viewer = make_user("viewer")
    assert top(viewer, "exploitation") == []  # a viewer reads what is published only
    f.in_state(review, "ratified_lscb")
    workflow.fire(review, "publish", make_user("chair"))
    assert top(viewer, "exploitation") == ["Child Q"]
    content.trash(review, SYSTEM)
    assert top(SYSTEM, "exploitation") == []
    content.restore(review, SYSTEM)
    assert top(SYSTEM, "exploitation") == ["Child Q"]


def test_attachment_text_is_found_and_links_to_the_file(clean_db):
    searching.reindex()
    review = f.make_review()
    attachment = attachments.add(review, "brief.docx", word_file("Safer sleeping campaign"),
                                 "application/vnd.openxmlformats-officedocument."
                                 "wordprocessingml.document", "Safer sleeping campaign",
                                 SYSTEM)
    [hit] = searching.search(SYSTEM, "sleeping campaign").hits
    assert hit.type == "attachment" and hit.url == f"/admin/file/{attachment.pk}"
    assert hit.parent_id == str(review.pk) and "<mark" in hit.snippet


def test_totals_and_facets_never_count_what_the_user_may_not_see(clean_db):
    searching.reindex()
    f.in_state(f.make_review(title="Draft on strangulation"), "systems_review")
    published = f.in_state(f.make_review(title="Published on strangulation"),
                           "ratified_lscb")
    workflow.fire(published, "publish", make_user("chair"))
    viewer = make_user("viewer")
    results = searching.search(viewer, "strangulation")
    assert results.total == 1 and [h.title for h in results.hits] == [
        "Published on strangulation"]
    assert dict(results.facets["state"]) == {"published": 1}


def test_childs_name_is_never_matchable_and_referrals_only_for_those_involved(clean_db):
    searching.reindex()
    referrer = make_user("ciec", "csc", "referrer@csc.test")
    referral = content.create(__import__("lif.models", fromlist=["Referral"]).Referral, {
        "title": "CIEC 26/11", "reasons": "Fractured femur in an infant", "agency": "csc",
        "child": Person(name="Zebedee Quartermaine", date_of_birth=dt.date(2025, 2, 1)),
    }, referrer)
    assert top(make_user("admin"), "Zebedee") == []
    assert top(make_user("admin"), "Quartermaine") == []
    assert top(referrer, "femur") == ["CIEC 26/11"]
    police = make_user("ciec", "police")
    assert top(police, "femur") == []  # not involved yet
    assert top(make_user("lead", "csc"), "femur") == []
    referrals.accept(referral, make_user("admin"))
    assert top(police, "femur") == ["CIEC 26/11"]  # police has been asked: now involved


def test_search_page_navbar_and_hostile_queries(client):
    searching.reindex()
    f.make_review(title="Child Q", overview="Bruising in infants.")
    AuthActions(client).login()
    assert 'action="/admin/search/"' in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/search/?q=bruise").get_data(as_text=True)
    assert "Child Q" in page and "<mark" in page and "1 result" in page
    for hostile in ['"unbalanced', "AND", "OR NOT -", "x" * 10_000, "*", "?*", "nosuch:field",
                    '{"$ne": null}', "year:[abc TO", "date:[2016 to 2014]"]:
        response = client.get("/admin/search/", query_string={"q": hostile})
        assert response.status_code == 200, hostile


def test_cli_search_json_for_scripts(runner, clean_db):
    searching.reindex()
    f.make_review(title="Child Q", overview="Learning on interpreters.")
    result = runner.invoke(args=["lif", "search", "interpreters", "--json", "--limit", "5"])
    assert result.exit_code == 0, result.output
    [hit] = json.loads(result.output)
    assert {"id", "type", "title", "score", "snippet"} <= set(hit)
    assert hit["title"] == "Child Q"
    as_viewer = runner.invoke(args=["lif", "search", "interpreters", "--as",
                                    make_user("viewer").email, "--json"])
    assert json.loads(as_viewer.output) == []
    assert runner.invoke(args=["lif", "search", "x", "--as", "ghost@x.org"]).exit_code == 1


def test_reindex_cli_repairs_a_corrupt_index(runner, clean_db, app):
    f.make_review(title="Child Q", overview="Learning on interpreters.")
    index_dir = app.config["LIF_DATA_DIR"] / "index"
    for segment in index_dir.resolve().glob("*.seg"):
        segment.write_bytes(b"garbage")
    for toc in index_dir.resolve().glob("*.toc"):
        toc.write_bytes(b"garbage")
    assert searching.problem() is not None
    review = f.make_review(title="Saved while degraded")  # saves still succeed
    assert review.pk
    result = runner.invoke(args=["lif", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output
    assert searching.problem() is None
    assert top(SYSTEM, "interpreters") == ["Child Q"]


def test_reindex_with_two_processes_finds_the_same(demo, runner):
    questions = ["bruising babies", "interpreters", "house fire", "neglect"]
    before = {q: sorted(top(SYSTEM, q)) for q in questions}
    result = runner.invoke(args=["lif", "reindex", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert {q: sorted(top(SYSTEM, q)) for q in questions} == before
    assert all(before.values())
    assert runner.invoke(args=["lif", "reindex", "--procs", "0"]).exit_code == 2


def test_more_like_this_on_a_review_page(client):
    seed_entries(ENTRIES)
    searching.reindex()
    from lif.models import Review

    mary = Review.objects.get(title="LSCR 1402 (Child known as Mary)")
    AuthActions(client).login()
    page = client.get(f"/admin/review/details/?id={mary.pk}").get_data(as_text=True)
    assert "Related learning" in page
    assert "LSCR 1402 (known as Child Maisie)" in page or "Neglect" in page


def test_saved_search_with_relative_dates_stays_relative(client):
    import datetime as dt

    from lif.models import Action
    from lif.services import saved_searches

    plan = f.make_plan()
    soon = f.make_action(plan=plan, title="Due soon")
    Action.objects(pk=soon.pk).update_one(set__due_date=dt.date.today() + dt.timedelta(days=5))
    f.make_action(plan=plan, title="Due later", due=dt.date.today() + dt.timedelta(days=90))
    AuthActions(client).login()
    token = AuthActions(client).csrf("/admin/")
    target = "/admin/action/?flt0_due_on_or_before=today%2B30"
    response = client.post("/admin/saved/save/", data={
        "csrf_token": token, "name": "Due in the next 30 days", "target": target,
        "shared_with": ["lead"]})
    assert response.status_code == 302
    [saved] = saved_searches.visible_to(make_user("lead", "police"))
    assert saved.query == "flt0_due_on_or_before=today%2B30"
    page = client.get(saved_searches.url_of(saved)).get_data(as_text=True)
    assert "Due soon" in page and "Due later" not in page
    assert "Due in the next 30 days" in client.get("/admin/").get_data(as_text=True)
    assert saved_searches.visible_to(make_user("pdc")) == []


def test_api_search_is_permission_aware_and_validates(client):
    from lif.services import users

    searching.reindex()
    f.make_review(title="Child Q", overview="Learning on interpreters.")
    viewer = make_user("viewer")
    admin_token = users.create_token(make_user("admin").email)
    viewer_token = users.create_token(viewer.email)
    response = client.get("/api/v1/search?q=interpreters",
                          headers={"Authorization": f"Bearer {admin_token}"})
    body = response.get_json()
    assert response.status_code == 200 and body["total"] == 1
    assert {"id", "type", "title", "score", "snippet"} <= set(body["items"][0])
    hidden = client.get("/api/v1/search?q=interpreters",
                        headers={"Authorization": f"Bearer {viewer_token}"}).get_json()
    assert hidden["total"] == 0 and hidden["facets"]["type"] == []
    bad = client.get("/api/v1/search?q=x&q[$ne]=1",
                     headers={"Authorization": f"Bearer {admin_token}"})
    assert bad.status_code == 400 and "fields" in bad.get_json()
    assert client.get("/api/v1/search?q=x").status_code == 401
