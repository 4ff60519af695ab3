"""Word documents from live data, out (export, download) and in (import), on the real database."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import docx
import pytest

from documents.errors import DocumentError
from documents.index_import import parse_index
from documents.writers import KINDS, load_item, render
from documents.writers.pdc_pack import render as render_pack
from lif import seed
from lif.actors import SYSTEM
from lif.errors import InvalidInput, NotFound, PermissionDenied
from lif.models import (
    CONTENT_TYPES,
    Action,
    ActionPlan,
    Audit,
    AuditEvent,
    Evidence,
    Finding,
    Person,
    ProgressUpdate,
    Referral,
    Review,
)
from lif.services import learning_index, referrals, users

from .. import factories as f
from ..conftest import ADMIN_EMAIL, PASSWORD, AuthActions, make_user, wipe
from ..unit.test_writers import source_layout_document

DATA = Path(__file__).resolve().parent.parent / "data"
CHILD = "Zebedee Quartermaine"
ADULT = "Ottoline Fairweather-Quince"
DOB = dt.date(2015, 2, 14)
ADULT_DOB = dt.date(1989, 11, 3)
DEMO_PASSWORD = "demo password for tests"


def dob_forms(day: dt.date) -> list[str]:
    return [day.isoformat(), f"{day:%d/%m/%Y}", f"{day.day}/{day.month}/{day.year}",
            f"{day:%d.%m.%Y}", f"{day.day} {day:%B %Y}", f"{day:%d %B %Y}",
            f"{day.day} {day:%b %Y}", f"{day:%B} {day.day}, {day.year}"]


def all_xml(data: bytes) -> str:
    """Every XML part of a .docx, as one string (body, headers, footers, properties...)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "\n".join(zf.read(name).decode("utf-8") for name in zf.namelist()
                         if name.endswith((".xml", ".rels")))


def reopen(data: bytes):
    return docx.Document(io.BytesIO(data))


@pytest.fixture
def world(clean_db):
    """The demo, plus a CIEC case with a named child and everything each form needs."""
    seed.seed_demo(password=DEMO_PASSWORD)
    meeting = f.make_meeting()
    referral = f.make_referral(
        title="Referral from Merseyside Police",
        child=Person(name=CHILD, date_of_birth=DOB),
        significant_people=[Person(name=ADULT, role="mother", date_of_birth=ADULT_DOB)],
        case_summary=f"{CHILD} (born {DOB:%d/%m/%Y}) was seriously harmed.",
        criteria=["reg5_2a_b_ii"], agencies=["police", "csc"], meeting=meeting,
    )
    # The recommendation is recorded by its step, by a CIEC member (nothing else sets it).
    referral = referrals.recommend(f.in_state(referral, "accepted"), "critical_case_review",
                                   "Learning about information sharing.",
                                   make_user("ciec", "police"))
    # Asked of an agency not (yet) involved: its CIEC member sees the form, not the names.
    request = f.make_information_request(referral, agency="nspcc")
    review = Review.objects.get(title="Child A (Alex)")
    # A review linked to the referral, whose free text (wrongly) names the child.
    linked = f.make_review(title="Child Z", referral=referral,
                           overview=f"Features: {CHILD} was known to agencies.",
                           findings=[Finding(text=f"{ADULT} was not asked about her needs.")])
    plan = ActionPlan.objects.get(title="Child A (Alex): multi-agency L&I action plan")
    action = Action.objects(plan=plan).first()
    Action.objects(pk=action.pk).update_one(push__progress=ProgressUpdate(
        at=dt.datetime(2026, 6, 1), author="lead@example.org",
        text=f"Briefing mentioned {CHILD} by name."))
    pdc = f.make_pdc_review(plan)
    return {"meeting": meeting, "referral": referral, "request": request, "review": review,
            "linked": linked, "plan": plan, "pdc": pdc}


def item_for(world, kind: str):
    """The item of ``world`` a document of ``kind`` is written for (``None`` if none)."""
    chosen = {"plan": world["plan"], "pdc-pack": world["pdc"], "brief": world["review"],
              "cigscr1": world["referral"], "ciginf1": world["request"],
              "cigm1": world["meeting"], "cigsum1": world["referral"]}
    if kind in chosen:
        return chosen[kind]
    type_key = KINDS[kind].type_key
    # A kind added later: any item of its type from the demo.
    return None if type_key is None else CONTENT_TYPES[type_key].objects.first()


# --- every kind, generated and re-read ------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_is_real_word_structure(world, kind):
    admin = make_user("admin", email=ADMIN_EMAIL)
    filename, data = render(kind, item_for(world, kind), admin)
    assert filename.endswith(".docx") and CHILD.split()[1] not in filename
    document = reopen(data)
    styles = {p.style.name for p in document.paragraphs if p.text.strip()}
    assert "Title" in styles and "Heading 1" in styles
    assert document.tables and document.tables[0].rows[0]._tr.trPr is not None
    props = document.core_properties
    assert props.title and props.author and props.author != "python-docx"
    assert props.created is not None and props.created.year >= 2025
    assert 'w:instr=" PAGE' in document.sections[0].footer._element.xml
    if kind in ("index", "brief"):
        numbered = [p for p in document.paragraphs if p.style.name == "List Number"
                    and p._p.pPr.numPr is not None]
        assert numbered, "findings must be a real numbered list"


def test_index_groups_entries_under_the_five_sections(world):
    _, data = render("index", None, SYSTEM)
    headings = [p.text for p in reopen(data).paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Learning from Audit",
                        "Learning from Reviews (including Serious Case Reviews)",
                        "Learning from Merseyside CDOP", "Learning from Performance Management",
                        "Other Learning Sources"]


def test_index_leaves_out_trashed_and_restricted_reviews_and_what_the_user_may_not_see(world):
    Review.objects(title="Child A (Alex)").update_one(set__state="published")
    Review.objects(title="Child N").update_one(set__restricted=True)
    Review.objects(title="Family M").update_one(set__trashed=True)
    names = {e["name"] for e in parse_index(render("index", None, SYSTEM)[1])}
    assert "Child N" not in names and "Family M" not in names and "Child A (Alex)" in names
    viewer = make_user("viewer")
    visible = {e["name"] for e in parse_index(render("index", None, viewer)[1])}
    published = {r.title for r in Review.objects(state="published", restricted__ne=True,
                                                 trashed__ne=True)}
    assert visible == published


def test_pdc_pack_shows_progress_since_the_last_review(world):
    data = render_pack(world["pdc"])
    text = "\n".join(p.text for p in reopen(data).paragraphs)
    assert "Progress and evidence since the last review" in text
    assert "Briefings scheduled with team managers" in text


def test_plan_lists_named_leads_timescales_status_rag_and_evidence(world):
    plan = ActionPlan.objects.get(title__startswith="Child C (Chris)")
    _, data = render("plan", plan, SYSTEM)
    table = next(t for t in reopen(data).tables if t.rows[0].cells[0].text == "No.")
    header = [c.text for c in table.rows[0].cells]
    assert header[3:8] == ["Named lead", "Agency", "Timescale", "Status", "RAG"]
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert len(rows) == Action.objects(plan=plan).count()
    assert {row[7] for row in rows} <= {"Red", "Amber", "Green"}
    assert any(row[8] != "None yet." for row in rows)


# --- personal data -------------------------------------------------------------------------

def test_publishable_documents_never_contain_the_childs_name_or_date_of_birth(world):
    admin = make_user("admin", email=ADMIN_EMAIL)
    publishable = [key for key, kind in KINDS.items() if kind.publishable]
    assert {"index", "brief", "plan", "lscb-report"} <= set(publishable)
    documents = {key: render(key, item_for(world, key), admin)[1] for key in publishable}
    documents["brief of the linked review"] = render("brief", world["linked"], admin)[1]
    secrets = [CHILD, ADULT, "Quartermaine", *dob_forms(DOB), *dob_forms(ADULT_DOB)]
    for name, data in documents.items():
        xml = all_xml(data)
        found = [s for s in secrets if s.lower() in xml.lower()]
        assert not found, f"{name} contains {found}"
    # The linked review's brief is still written, with the names taken out.
    assert "was not asked about her needs" in all_xml(documents["brief of the linked review"])


def test_restricted_forms_show_personal_data_only_to_those_allowed(world):
    admin = make_user("admin", email=ADMIN_EMAIL)
    allowed = make_user("ciec", "police")  # CIEC member of the referring agency
    other = make_user("ciec", "nspcc")  # asked for information, not involved in the case
    referrer = make_user("lead", "police", "referrer@police.test")  # follows their referral
    Referral.objects(pk=world["referral"].pk).update_one(set__referred_by=referrer.email)
    world["referral"].reload()
    with pytest.raises(PermissionDenied):  # not involved: not even the referral
        render("cigscr1", world["referral"], other)
    for kind, item, reader in (("cigscr1", world["referral"], referrer),
                               ("cigsum1", world["referral"], referrer),
                               ("ciginf1", world["request"], other)):
        assert CHILD in all_xml(render(kind, item, admin)[1])
        if kind != "ciginf1":  # the request is the NSPCC's: the police member may not view it
            assert CHILD in all_xml(render(kind, item, allowed)[1])
        withheld = all_xml(render(kind, item, reader)[1])
        assert CHILD not in withheld and "Quartermaine" not in withheld
        assert DOB.isoformat() not in withheld and f"{DOB:%d/%m/%Y}" not in withheld
        assert "not shown to you" in withheld
    assert CHILD not in all_xml(render("cigm1", world["meeting"], admin)[1])


def test_a_restricted_review_gets_no_brief(world):
    Review.objects(pk=world["review"].pk).update_one(set__restricted=True)
    world["review"].reload()
    with pytest.raises(InvalidInput, match="restricted"):
        render("brief", world["review"], SYSTEM)


def test_loading_checks_kind_id_and_permission(world):
    viewer = make_user("viewer")
    with pytest.raises(NotFound):
        load_item("nonsense", None, SYSTEM)
    with pytest.raises(NotFound):
        load_item("plan", "000000000000000000000000", SYSTEM)
    with pytest.raises(InvalidInput):
        load_item("plan", None, SYSTEM)
    with pytest.raises(PermissionDenied):
        load_item("cigscr1", str(world["referral"].pk), viewer)
    with pytest.raises(InvalidInput):
        render("plan", world["review"], SYSTEM)


# --- the command line ---------------------------------------------------------------------

def test_export_help_lists_every_kind(runner, clean_db):
    result = runner.invoke(args=["lif", "export", "--help"])
    assert result.exit_code == 0
    for key, kind in KINDS.items():
        assert re.search(rf"^\s+{re.escape(key)}\s+\S", result.output, re.M), key
        assert kind.description[:30] in result.output.replace("\n", " ").replace("  ", " ")


@pytest.mark.parametrize("kind", list(KINDS))
def test_export_each_kind_writes_a_file_and_records_it(world, runner, tmp_path, kind):
    item = item_for(world, kind)
    out = tmp_path / f"{kind}.docx"
    args = ["lif", "export", kind, *([str(item.pk)] if item is not None else []), "-o", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert reopen(out.read_bytes()).core_properties.title
    event = AuditEvent.objects(action="export").order_by("-at").first()
    assert event is not None and event.detail.startswith(kind) and event.actor == ADMIN_EMAIL


def test_export_as_a_user_and_bad_ids_fail_with_one_line(world, runner, tmp_path):
    viewer = make_user("viewer")
    out = tmp_path / "x.docx"
    bad = runner.invoke(args=["lif", "export", "plan", "000000000000000000000000", "-o", str(out)])
    assert bad.exit_code == 1 and bad.output.strip().count("\n") == 0
    assert "No action plan" in bad.output and not out.exists()
    junk = runner.invoke(args=["lif", "export", "plan", "not-an-id", "-o", str(out)])
    assert junk.exit_code == 1
    missing = runner.invoke(args=["lif", "export", "plan", "-o", str(out)])
    assert missing.exit_code == 1 and "needs the id" in missing.output
    denied = runner.invoke(args=["lif", "export", "cigscr1", str(world["referral"].pk),
                                 "--as", viewer.email, "-o", str(out)])
    assert denied.exit_code == 1 and "may not see" in denied.output
    unknown = runner.invoke(args=["lif", "export", "nonsense", "-o", str(out)])
    assert unknown.exit_code == 2
    ok = runner.invoke(args=["lif", "export", "index", "--as", viewer.email, "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert AuditEvent.objects(action="export", actor=viewer.email).count() == 1


# --- the admin --------------------------------------------------------------------------------

def test_admin_download_records_the_download(world, client):
    AuthActions(client).login()
    plan = world["plan"]
    response = client.get(f"/admin/documents/export/plan/{plan.pk}")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in response.headers["Content-Disposition"]
    assert reopen(response.data).core_properties.title.startswith("Learning and Improvement")
    event = AuditEvent.objects(action="download").order_by("-at").first()
    assert event.object_id == str(plan.pk) and event.actor == ADMIN_EMAIL
    assert client.get("/admin/documents/export/index/").status_code == 200
    assert client.get("/admin/documents/export/nonsense/").status_code == 404
    assert client.get("/admin/documents/export/plan/000000000000000000000000").status_code == 404
    assert client.get("/admin/documents/export/plan/").status_code == 404


def test_admin_download_is_refused_to_a_role_that_may_not_view(world, client):
    make_user("viewer")
    AuthActions(client).login("viewer@test.lif", PASSWORD)
    draft = ActionPlan.objects.get(state="draft")
    assert client.get(f"/admin/documents/export/plan/{draft.pk}").status_code == 403
    referral = world["referral"]
    assert client.get(f"/admin/documents/export/cigscr1/{referral.pk}").status_code == 403
    assert AuditEvent.objects(action="download").count() == 0
    assert client.get("/admin/documents/export/index/").status_code == 200


def test_admin_item_links_list_the_kinds_for_the_item(world, app):
    with app.test_request_context():
        template = app.jinja_env.from_string(
            "{% from 'documents/_links.html' import download_links %}"
            "{{ download_links(model, None) }}")
        html = template.render(model=world["referral"])
    assert "CIGSCR1 referral form" in html and "CIGSUM1 case summary" in html
    assert f"/admin/documents/export/cigscr1/{world['referral'].pk}" in html


def _upload(client, auth, data: bytes, dry_run: bool):
    token = auth.csrf("/admin/documents/import/")
    form = {"csrf_token": token, "file": (io.BytesIO(data), "index.docx")}
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/admin/documents/import/", data=form,
                       content_type="multipart/form-data")


def test_admin_import_page_dry_run_then_import(client):
    auth = AuthActions(client)
    auth.login()
    assert client.get("/admin/documents/import/").status_code == 200
    data = source_layout_document()
    page = _upload(client, auth, data, dry_run=True)
    assert page.status_code == 200
    assert "would be created" in page.get_data(as_text=True)
    assert Review.objects.count() == Audit.objects.count() == 0
    page = _upload(client, auth, data, dry_run=False)
    assert "Created 3" in page.get_data(as_text=True)
    assert Audit.objects(title="LSCB Neglect Audit").count() == 1
    page = _upload(client, auth, (DATA / "zipbomb.docx").read_bytes(), dry_run=False)
    assert "Nothing was imported" in page.get_data(as_text=True)


def _failing_part_way(data: bytes):
    """The entries of ``data``, then the error a document damaged further on would give."""
    def entries():
        yield from parse_index(data)
        raise DocumentError("The Word document could not be read; it may be damaged.")
    return entries()


def test_an_upload_failing_part_way_stores_nothing(client, monkeypatch):
    import admin.views.documents as view
    from lif.services import content

    monkeypatch.setattr(view, "iter_index", _failing_part_way)
    monkeypatch.setattr(content, "CHUNK", 1)
    monkeypatch.setattr(seed, "BATCH", 1)
    auth = AuthActions(client)
    auth.login()
    page = _upload(client, auth, source_layout_document(), dry_run=False).get_data(
        as_text=True)
    assert "Nothing was imported: The Word document could not be read" in page
    assert Review.objects.count() + Audit.objects.count() == 0


def test_the_cli_failing_part_way_stores_nothing(clean_db, runner, tmp_path, monkeypatch):
    import cli.documents
    from lif.services import content

    monkeypatch.setattr(cli.documents, "iter_index", _failing_part_way)
    monkeypatch.setattr(content, "CHUNK", 1)
    monkeypatch.setattr(seed, "BATCH", 1)
    path = tmp_path / "index.docx"
    path.write_bytes(source_layout_document())
    result = runner.invoke(args=["lif", "import-docx", str(path)])
    assert result.exit_code == 1
    assert "created" not in result.output and "could not be read" in result.output
    assert Review.objects.count() + Audit.objects.count() == 0


def test_admin_import_page_is_refused_to_readers(client):
    make_user("viewer")
    AuthActions(client).login("viewer@test.lif", PASSWORD)
    assert client.get("/admin/documents/import/").status_code == 403


# --- import ------------------------------------------------------------------------------

def test_import_the_sources_own_layout(clean_db):
    entries = parse_index(source_layout_document())
    report = learning_index.import_entries(entries, SYSTEM)
    assert (report.created, report.present, report.refused) == (3, 0, 0)
    audit = Audit.objects.get(title="LSCB Neglect Audit")
    assert audit.state == "closed" and audit.date == dt.date(2015, 9, 1)
    assert [fi.number for fi in audit.findings] == [1, 2]
    child_a = Review.objects.get(title="Child A (Alex)")
    assert child_a.review_type == "scr" and len(child_a.activities) == 2
    assert AuditEvent.objects(action="import").count() == 1


def test_dry_run_creates_nothing_and_present_entries_are_not_duplicated(clean_db, runner,
                                                                        tmp_path):
    path = tmp_path / "index.docx"
    path.write_bytes(source_layout_document())
    dry = runner.invoke(args=["lif", "import-docx", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.count("would be created") == 3 and "Would create 3" in dry.output
    assert Review.objects.count() == Audit.objects.count() == 0
    first = runner.invoke(args=["lif", "import-docx", str(path)])
    assert first.exit_code == 0 and "Created 3, already present 0" in first.output
    again = runner.invoke(args=["lif", "import-docx", str(path)])
    assert again.output.count("already present") >= 3 and "Created 0, already present 3" in \
        again.output
    assert Review.objects.count() == 2 and Audit.objects.count() == 1


def test_entries_that_cannot_be_loaded_are_refused_with_a_reason(clean_db):
    entries = parse_index(source_layout_document())
    entries[0]["date"] = "2016-02-30"
    qaec = make_user("qaec")
    report = learning_index.import_entries(entries, qaec)
    outcomes = [(r.outcome, r.message) for r in report.results]
    assert outcomes[0] == ("refused", "'2016-02-30' is not a date between 1900 and 2100 "
                                      "(write it as 31/12/2025 or 2025-12-31).")
    assert outcomes[1][0] == "refused" and "may not create" in outcomes[1][1]  # a review
    assert Review.objects.count() == 0 and Audit.objects.count() == 0


@pytest.mark.parametrize("name", ["truncated.docx", "zipbomb.docx", "not_word.docx",
                                  "big_table.docx", "unicode.docx"])
def test_hostile_files_give_one_line_and_store_nothing(clean_db, runner, name):
    result = runner.invoke(args=["lif", "import-docx", str(DATA / name)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.strip().count("\n") == 0
    assert Review.objects.count() == Audit.objects.count() == 0
    with pytest.raises(DocumentError):
        parse_index((DATA / name).read_bytes())


def _every_state_besides_the_demo() -> None:
    """Reviews and audits in every state of their workflows, the ones still in progress
    without a date (as LIF holds them until they report), some with a date label only."""
    from config.workflows import WORKFLOWS

    for state in WORKFLOWS["audit"]["states"]:
        audit = f.make_audit(title=f"Audit {state}", summary=f"An audit now {state}.",
                             themes=["neglect"], agencies=["police", "csc"])
        f.in_state(audit, state)
    for state in WORKFLOWS["review"]["states"]:
        review = f.make_review(title=f"Review {state}", review_type="critical_case_review",
                               overview=f"A review now {state}.", reference=f"CCR {len(state)}",
                               findings=[Finding(number=1, text=f"Learning of {state}.")])
        f.in_state(review, state)
    f.make_audit(title="Audit labelled", date_label="Report to LSCB Spring 2027")


def _document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("word/document.xml").decode()


def test_round_trip_export_import_export_gives_the_same_index(app, clean_db):
    """LIF's own index of the demo (every state, audits in progress without a date) imports
    into an empty install with nothing refused, and exports again identically."""
    seed.seed_demo(password=DEMO_PASSWORD)
    _every_state_besides_the_demo()
    admin = make_user("admin", email=ADMIN_EMAIL)
    exported = render("index", None, admin)[1]
    first = parse_index(exported)
    assert len(first) == 14 + 7 + 8 + 1
    wipe()
    seed.seed_reference()
    users.ensure_admin(ADMIN_EMAIL, PASSWORD)
    admin = make_user("admin", email=ADMIN_EMAIL)
    assert Review.objects.count() == Audit.objects.count() == 0
    report = learning_index.import_entries(first, admin)
    assert [r.message for r in report.results if r.outcome != "created"] == []
    assert report.created == len(first)
    again = render("index", None, admin)[1]
    assert _document_xml(again) == _document_xml(exported)
    child_a = next(e for e in parse_index(again) if e["name"] == "Child A (Alex)")
    assert len(child_a["findings"]) == 4 and len(child_a["activities"]) == 6


def test_evidence_since_the_last_review_only(world):
    plan = world["plan"]
    action = Action.objects(plan=plan).first()
    Action.objects(pk=action.pk).update_one(push__evidence=Evidence(
        uid="old1", at=dt.datetime(2000, 1, 1), author="x", description="Ancient evidence."))
    text = all_xml(render_pack(world["pdc"]))
    assert "No new evidence since the last review. All evidence: Ancient evidence." in text


def test_admin_documents_page_lists_reports_and_the_import(client):
    AuthActions(client).login()
    page = client.get("/admin/documents/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/admin/documents/export/index/" in html
    assert "/admin/documents/export/lscb-report/" in html
    assert "/admin/documents/import/" in html


def test_admin_import_without_a_file_explains_and_stores_nothing(client):
    auth = AuthActions(client)
    auth.login()
    token = auth.csrf("/admin/documents/import/")
    page = client.post("/admin/documents/import/", data={"csrf_token": token},
                       content_type="multipart/form-data")
    assert page.status_code == 200
    assert "Choose the .docx file to import." in page.get_data(as_text=True)
    assert AuditEvent.objects(action="import").count() == 0
