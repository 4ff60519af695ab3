"""An install works to one framework; every item keeps the framework it was made under
(issue 20, points 1, 5 and 6).

The install's choice, its move (a dry run first, then on record), the dashboard and every
Word document naming the framework, old items keeping their workflow, clocks and documents
after a move, and a third framework added as data alone running a case.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import docx
import lxml.html
import pytest

import config.frameworks as packages
from documents.writers import kinds_for, render
from lif import clocks, frameworks, workflow
from lif.actors import SYSTEM
from lif.errors import InvalidInput
from lif.frameworks import FrameworkError
from lif.models import AuditEvent, Referral
from lif.services import install_framework

from ..conftest import make_user
from ..factories import make_plan, make_referral

D = dt.date
ROOT = Path(__file__).resolve().parents[2]
LSCB_TITLE = "Liverpool LSCB Learning and Improvement Framework (Working Together 2015)"
WT_TITLE = "Working Together to Safeguard Children 2023 (England)"


@pytest.fixture
def framework(monkeypatch):
    """Switch the install's framework for one test; the one before is back afterwards."""
    monkeypatch.setattr(frameworks, "_active", frameworks._active)
    return frameworks.activate


def footer_text(data: bytes) -> str:
    section = docx.Document(io.BytesIO(data)).sections[0]
    return "\n".join(p.text for p in section.footer.paragraphs)


def test_the_dashboard_names_the_install_s_framework(client, auth, framework):
    auth.login()
    assert LSCB_TITLE in client.get("/admin/").get_data(as_text=True)
    framework("wt_2023")
    assert WT_TITLE in client.get("/admin/").get_data(as_text=True)


def test_a_referral_form_asks_for_what_its_framework_s_pathway_needs(client, auth, framework):
    auth.login()
    lscb_form = client.get("/admin/referral/new/").get_data(as_text=True)
    assert 'name="notified_on"' in lscb_form and 'name="aware_on"' not in lscb_form
    framework("wt_2023")
    wt_form = client.get("/admin/referral/new/").get_data(as_text=True)
    # Under Working Together 2023 the day of the notification is recorded by its own step.
    assert 'name="aware_on"' in wt_form and 'name="notified_on"' not in wt_form


def test_a_word_document_names_the_framework_its_item_was_made_under(clean_db, framework):
    old_plan = make_plan(title="Plan under the LSCB")
    framework("wt_2023")
    new_plan = make_plan(title="Plan under the partnership")
    admin = make_user("admin")
    assert LSCB_TITLE in footer_text(render("plan", old_plan, admin)[1])
    assert WT_TITLE in footer_text(render("plan", new_plan, admin)[1])
    # A document about everything names the install's.
    assert WT_TITLE in footer_text(render("index", None, admin)[1])


def test_items_record_the_framework_they_were_made_under_and_keep_it(clean_db, framework):
    before = make_referral(title="Referred in 2024", notified_on=D(2026, 3, 2))
    framework("wt_2023")
    after = make_referral(title="Incident in 2026", aware_on=D(2025, 12, 22))
    assert (before.framework, after.framework) == ("lscb_2015", "wt_2023")
    # Each follows its own framework's workflow...
    assert before.state == "submitted"
    assert after.state == "incident_recorded"
    admin = make_user("admin")
    assert [t["name"] for t in workflow.available_transitions(before, admin)] == [
        "accept", "decline"]
    assert [t["name"] for t in workflow.available_transitions(after, admin)] == [
        "notify_panel"]
    # ... its own clocks: a month for the SCR decision, 5 working days for the notification.
    assert referral_clocks(before) == [("SCR decision", D(2026, 4, 2))]
    assert referral_clocks(after) == [("Notification to the National Panel", D(2025, 12, 31)),
                                      ("Rapid review", None)]
    # ... and its own documents.
    assert "cigsum1" in [k.key for k in kinds_for("referral", before)]
    assert [k.key for k in kinds_for("referral", after)] == ["rapid-review"]
    with pytest.raises(InvalidInput, match="not a document of Working Together"):
        render("cigsum1", after, admin)


def referral_clocks(referral) -> list[tuple[str, dt.date | None]]:
    fresh = Referral.objects.get(pk=referral.pk)
    return [(c["label"], c["due"]) for c in clocks.item_clocks(fresh, D(2026, 1, 1))]


def test_an_item_that_records_no_framework_is_the_default_s(clean_db, framework):
    referral = make_referral(notified_on=D(2026, 3, 2))
    Referral.objects(pk=referral.pk).update_one(unset__framework=True)
    framework("wt_2023")
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.framework is None
    assert frameworks.of(stored).name == "lscb_2015"
    assert workflow.state_title(stored) == "Submitted (CIGSCR1)"


def test_an_import_placing_an_item_in_a_state_its_framework_has_not_is_refused(
        clean_db, framework):
    from lif.models import Review
    from lif.services import content

    row = content.NewItem(Review, {"title": "SCR Child A", "review_type": "scr"},
                          placed_in="ratified_lscb")
    [stored] = content.create_many([row], SYSTEM, note="index")
    assert stored.state == "ratified_lscb"
    framework("wt_2023")
    [refused] = content.create_many([row], SYSTEM, note="index")
    assert isinstance(refused, InvalidInput)
    assert refused.message == ("'ratified_lscb' is not a state of the review workflow of "
                               f"{WT_TITLE}.")
    assert Review.objects.count() == 1


def test_the_demo_is_the_source_s_learning_whatever_the_install_works_to(clean_db, framework):
    from lif.models import ActionPlan, Review
    from lif.seed import seed_demo

    framework("wt_2023")
    seed_demo(password="demo password for the framework test")
    assert {r.framework for r in Review.objects} == {"lscb_2015"}
    assert {p.framework for p in ActionPlan.objects} == {"lscb_2015"}
    assert "ratified_lscb" in {r.state for r in Review.objects}
    assert make_referral().framework == "wt_2023"  # new items: the install's


def test_the_command_lists_the_frameworks_and_marks_the_install_s(runner, clean_db):
    make_referral()
    result = runner.invoke(args=["lif", "framework"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith(f"* lscb_2015    {LSCB_TITLE} (default): 1 item made under it")
    assert lines[1].startswith(f"  wt_2023      {WT_TITLE}: 0 items")
    assert lines[-1] == "This install works to lscb_2015 (* above)."


def test_moving_is_a_dry_run_until_confirmed_then_on_record(runner, clean_db, framework):
    install_framework.start(None)
    make_referral()
    dry = runner.invoke(args=["lif", "framework", "--set", "wt_2023"])
    assert dry.exit_code == 0
    assert "Kept under lscb_2015: 1 referral" in dry.output
    assert ("New referral items follow 'Serious incident and rapid review (Working Together "
            "2023, chapter 5)'") in dry.output
    assert "rapid_review (15 working days)" in dry.output
    assert "Documents no longer offered for new items: cigscr1, ciginf1, cigm1, cigsum1." in (
        dry.output)
    assert "Dry run: nothing changed." in dry.output
    assert install_framework.stored() == "lscb_2015"
    assert frameworks.active().name == "lscb_2015"

    moved = runner.invoke(args=["lif", "framework", "--set", "wt_2023", "--yes"])
    assert moved.exit_code == 0, moved.output
    assert install_framework.stored() == "wt_2023"
    assert make_referral(title="After the move").framework == "wt_2023"
    event = AuditEvent.objects(action="framework").get()
    assert event.changes == {"framework": ["lscb_2015", "wt_2023"]}


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "wt2023"], "Error: There is no framework 'wt2023': choose one of lscb_2015, "
                          "wt_2023"),
    (["--set", "lscb_2015"], "Error: This install already works to lscb_2015"),
    (["--yes"], "Error: --yes goes with --set NAME."),
])
def test_a_move_that_cannot_be_is_refused_in_one_line(runner, clean_db, args, message):
    install_framework.start(None)
    result = runner.invoke(args=["lif", "framework", *args])
    assert result.exit_code != 0
    assert result.output.startswith(message)
    assert install_framework.stored() == "lscb_2015"


def test_a_server_asked_for_a_framework_that_is_none_stops_with_one_line(tmp_path):
    process = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "LIF_DATA_DIR": str(tmp_path), "LIF_FRAMEWORK": "wt2023",
             "LIF_SCHEDULER": "0"})
    assert process.returncode == 2
    assert process.stderr.strip().splitlines()[-1] == (
        "LIF cannot start: There is no framework 'wt2023': choose one of lscb_2015, wt_2023 "
        "(packages in config/frameworks/).")
    assert "Traceback" not in process.stderr
    assert not (tmp_path / "db").exists()  # refused before the database was started


def test_committees_are_named_in_the_words_of_each_item_s_framework(client, auth, framework):
    from lif.models import Meeting
    from lif.services import content

    content.create(Meeting, {"title": "Board scrutiny", "committee": "pdc",
                             "date": D(2025, 6, 1)}, SYSTEM)
    framework("wt_2023")
    content.create(Meeting, {"title": "Subgroup scrutiny", "committee": "pdc",
                             "date": D(2026, 6, 1)}, SYSTEM)
    auth.login()
    page = client.get("/admin/meeting/").get_data(as_text=True)
    listed = lxml.html.fromstring(page).xpath("//table[contains(@class, 'model-list')]//tr[td]")
    rows = {" ".join(tr.text_content().split()) for tr in listed}
    assert any("Board scrutiny" in r and "Professional Development Committee" in r
               for r in rows), rows
    assert any("Subgroup scrutiny" in r and "Learning and Development Subgroup" in r
               for r in rows), rows


def test_a_start_naming_another_framework_than_the_install_s_is_refused(clean_db, framework):
    assert install_framework.start(None).name == "lscb_2015"
    with pytest.raises(FrameworkError, match="LIF_FRAMEWORK is 'wt_2023' but this install "
                                             "works to 'lscb_2015'"):
        install_framework.start("wt_2023")
    with pytest.raises(FrameworkError, match="There is no framework 'nope'"):
        install_framework.start("nope")
    assert install_framework.stored() == "lscb_2015"


def test_the_first_start_records_the_framework_it_is_given(clean_db, framework):
    assert install_framework.stored() is None
    assert install_framework.start("wt_2023").name == "wt_2023"
    assert install_framework.stored() == "wt_2023"
    assert frameworks.active().name == "wt_2023"


# --- a third framework, from data alone -----------------------------------------------------

LOCAL = '''
"""A local variant: a partnership's own learning review pathway."""

from config.frameworks.lscb_2015 import workflows as source
from config.frameworks.parts import state, transition

TITLE = "Northshire Local Learning Review Framework"
VOCABULARY = {
    "board": "Northshire Partnership",
    "board_name": "Northshire Safeguarding Partnership",
    "chair": "Partnership Lead",
    "committees": (("ciec", "Learning Review Panel"), ("pdc", "Workforce Group"),
                   ("qaec", "Audit Group"), ("executive", "Partners"), ("lscb", "Partnership"),
                   ("cse_subgroup", "Exploitation Group"), ("cdop", "Child Death Panel")),
    "decisions": ("no_review", "critical_case_review"),
    "review_types": ("multi_agency_thematic", "other"),
    "published_reviews": (),
}
CLOCKS = {
    "panel_decision": (3, "working_days", "within"),
    "panel_decision_amber": (1, "working_days", "within"),
    "pdc_review": (6, "months", "within"),
    "pdc_due_soon": (60, "days", "within"),
    "action_amber": (30, "days", "within"),
    "information_request": (7, "days", "within"),
    "information_request_reminder": (2, "days", "within"),
    "publication": (12, "months", "at least"),
}
WORKING_DAYS = {"country": "GB", "subdivision": "ENG", "closures": ("2025-12-24",)}
REMINDERS = {"action_days_before": (14,), "action_overdue_every_days": 14, "meeting_day": 1}
DOCUMENTS = ("plan", "index")
ITEM_CLOCKS = {"referral": ({"label": "Panel decision", "clock": "panel_decision",
                              "from": "notified_on", "done": "decided_on",
                              "amber": "panel_decision_amber"},)}
REFERRAL = {
    "title": "Northshire learning review request",
    "initial": "raised",
    "states": {
        "raised": state("Raised with the Learning Review Panel",
                        view=source.REFERRAL_READERS, edit=("admin", "ciec_chair")),
        "panel_decided": state("Decided by the panel", view=source.REFERRAL_READERS),
    },
    "transitions": [
        transition("panel_decides", "raised", "panel_decided", ("ciec_chair",),
                   "Record the panel's decision",
                   records=("decision", "decision_rationale", "decided_on"),
                   requires=("decision", "decision_rationale", "decided_on")),
    ],
    "worklists": {"ciec_chair": ("raised",)},
}
WORKFLOWS = {**source.WORKFLOWS, "referral": REFERRAL}
'''


@pytest.fixture
def northshire(tmp_path, monkeypatch, framework):
    """The third framework: a package written to a temporary directory of frameworks."""
    (tmp_path / "northshire").mkdir()
    (tmp_path / "northshire" / "__init__.py").write_text(textwrap.dedent(LOCAL))
    monkeypatch.setattr(packages, "__path__", [*packages.__path__, str(tmp_path)])
    frameworks.forget()
    yield framework("northshire")
    sys.modules.pop("config.frameworks.northshire", None)
    frameworks.forget()


def test_a_third_framework_is_added_as_data_and_runs_a_case(clean_db, northshire):
    assert "northshire" in frameworks.names()
    assert northshire.committee_name("ciec") == "Learning Review Panel"
    # Notified on Mon 22 Dec 2025: 23, (24 the partnership's closure; 25, 26 bank holidays),
    # 29, 30 -> the panel decides by Tue 30 Dec.
    case = make_referral(title="Child N", notified_on=D(2025, 12, 22))
    assert (case.framework, case.state) == ("northshire", "raised")
    assert workflow.state_title(case) == "Raised with the Learning Review Panel"
    [decision] = clocks.item_clocks(case, D(2025, 12, 29))
    assert (decision["label"], decision["period"], decision["due"], decision["rag"]) == (
        "Panel decision", "3 working days", D(2025, 12, 30), "amber")

    panel_chair = make_user("ciec_chair")
    with pytest.raises(InvalidInput, match="records only what is given"):
        workflow.fire(case, "panel_decides", panel_chair, fields={"decision": "no_review"})
    case.reload()
    assert case.state == "raised" and case.decision is None
    workflow.fire(case, "panel_decides", panel_chair, fields={
        "decision": "no_review", "decision_rationale": "Single-agency learning suffices.",
        "decided_on": D(2025, 12, 30)})
    case.reload()
    assert case.state == "panel_decided"
    assert clocks.item_clocks(case, D(2026, 1, 5))[0]["rag"] == "done"
    assert [k.key for k in kinds_for("referral", case)] == []
    assert "Northshire Local Learning Review Framework" in footer_text(
        render("plan", make_plan(), SYSTEM)[1])
