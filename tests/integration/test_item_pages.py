"""Item pages read as documents: every page of every type, on the demo data, in words.

Plone's view of a content item is what a person reads: its title, its state and what can
happen next, its summary, then the content. LIF's item pages are walked here as an
administrator and as a workforce lead, for every item of the demo (reviews, audits, plans,
actions) and for a referral, a request for information, a PDC review and a meeting made the
way the services make them; each page must say things the way people write them: no raw key
(``domestic_abuse``, ``not_started``), no timestamp (``2026-12-03 08:21:44.181000``) or ISO
date, no "None"/"False"/"True", no internal id, no empty row.
"""

from __future__ import annotations

import datetime as dt
import re

import lxml.html
import pytest

from config import taxonomy
from config.roles import ROLES
from config.workflows import WORKFLOWS
from lif.actors import SYSTEM
from lif.models import (
    CONTENT_TYPES,
    Action,
    ActionPlan,
    AgendaItem,
    Audit,
    Finding,
    Meeting,
    Participant,
    Person,
    Recommendation,
    Review,
    Verdict,
)
from lif.models.action_plan import ACTION_STATUSES, PDC_VERDICTS, PLAN_KINDS, SOURCE_KINDS
from lif.models.audit_work import SECTION11_OUTCOMES
from lif.models.referral import CHAIR_STANCES, CRITERIA, RECOMMENDATIONS
from lif.seed import seed_demo
from lif.services import audits, content, pdc, plans, referrals

from .. import factories as f
from ..conftest import PASSWORD, AuthActions, make_user

# --- what a page must not say ----------------------------------------------------------------

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
MACHINE_WORDS = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "an ISO date"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}"), "a time with seconds"),
    (re.compile(r"\b(?:None|False|True)\b"), "a Python value"),
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"), "a raw key"),
    (re.compile(rf"\b0\d {MONTH}"), "a day with a leading zero"),
    (re.compile(r"\b[0-9a-f]{24}\b"), "a database id"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "an internal finding id"),
    (re.compile(r"\bUids?\b"), "an internal id's label"),
]


def vocabulary_keys() -> dict[str, str]:
    """Every key of LIF's vocabularies whose label differs from it: ``{key: label}``."""
    pairs: list[tuple[str, str]] = []
    for workflow in WORKFLOWS.values():
        pairs += [(key, spec["title"]) for key, spec in workflow["states"].items()]
    pairs += [(t["key"], t["label"]) for t in taxonomy.REVIEW_TYPES]
    pairs += [(a["key"], a["name"]) for a in taxonomy.AGENCIES]
    for vocabulary in (taxonomy.THEMES, taxonomy.AUDIT_TYPES, taxonomy.COMMITTEES,
                       taxonomy.LEARNING_SECTIONS, ACTION_STATUSES, PDC_VERDICTS, PLAN_KINDS,
                       SOURCE_KINDS, RECOMMENDATIONS, CHAIR_STANCES, CRITERIA,
                       SECTION11_OUTCOMES, tuple(ROLES.items())):
        pairs += list(vocabulary)
    return {key: label for key, label in pairs if key != label}


KEYS = vocabulary_keys()


def visible_text(tree) -> list[str]:
    """The text a person sees in the page's content, one string per text node."""
    body = tree.xpath("//div[contains(@class, 'container')]") or [tree]
    texts = []
    for element in body[0].iter():
        if element.tag in ("script", "style", "option") or not isinstance(element.tag, str):
            continue
        if element.xpath("ancestor::nav"):
            continue
        for text in (element.text, element.tail):
            if text and text.strip():
                texts.append(" ".join(text.split()))
    return texts


def problems_of(html: str) -> list[str]:
    """What a page says that a person would not write."""
    tree = lxml.html.fromstring(html)
    found = []
    texts = visible_text(tree)
    for text in texts:
        without_addresses = re.sub(r"\S+@\S+", "", text)
        for pattern, what in MACHINE_WORDS:
            match = pattern.search(without_addresses)
            if match:
                found.append(f"{what} {match.group(0)!r} in {text[:120]!r}")
        if text in KEYS:
            found.append(f"the key {text!r} where {KEYS[text]!r} belongs")
        for word in re.findall(r"→\s*(\S+)|(\S+)\s*→", text):
            for key in word:
                if key in KEYS:
                    found.append(f"the key {key!r} in {text!r}")
    for row in tree.xpath("//table[contains(@class, 'lif-facts')]//tr"):
        cells = row.xpath("./td")
        if cells and not "".join(c.text_content() for c in cells).strip():
            found.append(f"an empty row: {row.text_content().strip()!r}")
    for option in tree.xpath("//option"):
        if option.text_content().strip() in KEYS:
            found.append(f"an option showing the key {option.text_content().strip()!r}")
    return found


# --- the world: the demo, and one of each other type as the services make them -------------


@pytest.fixture
def world(clean_db):
    seed_demo(password="demo password for the page walk")
    review = Review.objects(title="Child C (Chris)").get()
    audit = Audit.objects(title="LSCB Neglect Audit").get()
    content.update(audit, {
        "participants": [Participant(agency="csc", lead_auditor="auditor@csc.example.org"),
                         Participant(agency="education", lead_auditor="")],
        "recommendations": [Recommendation(text="Read the chronology first.",
                                           finding_uid=audit.findings[0].uid)],
        "theme": "neglect", "start_date": dt.date(2026, 3, 1), "due_date": dt.date(2026, 9, 1),
    }, SYSTEM, base_version=audit.version)
    plan = ActionPlan.objects(title="Child A (Alex): multi-agency L&I action plan").get()
    referral = f.make_referral(
        title="CIEC 26/31", reasons="Serious injury to a baby", agency="police",
        agencies=["csc"], criteria=["reg5_2a_b_ii", "looked_after"],
        child=Person(name="Baby Q", role="child", date_of_birth=dt.date(2026, 1, 4)),
        notified_on=dt.date(2026, 11, 2), named_lead="DS Example")
    # The recommendation is recorded by its step, by a CIEC member (never when made).
    referrals.accept(referral, SYSTEM)
    referrals.recommend(referral, "critical_case_review", "Agencies worked together poorly.",
                        make_user("ciec", "police"))
    meeting = content.create(Meeting, {
        "title": "CIEC December meeting", "committee": "ciec", "date": dt.date(2026, 12, 8),
        "location": "Room 2", "attendees": ["Chair of CIEC", "Police member"],
        "agenda": [AgendaItem(part="Part 1", title="CIEC 26/31", decision="Refer to the Chair")],
        "minutes": "Considered one referral."}, SYSTEM)
    pdc_review = f.make_pdc_review(plan)
    first = plans_actions(plan)[0]
    content.update(pdc_review, {"attendees": ["PDC chair"]}, SYSTEM,
                   base_version=pdc_review.version)
    pdc.record_verdict(pdc_review.reload(), first, "challenged", "Show the audit.",
                       make_user("pdc"))
    return {"review": review, "audit": audit, "plan": plan, "referral": referral,
            "meeting": meeting, "pdc_review": pdc_review}


def plans_actions(plan) -> list[Action]:
    return list(Action.objects(plan=plan).order_by("due_date"))


def every_page() -> list[str]:
    return [f"/admin/{key}/details/?id={item.pk}"
            for key, model in CONTENT_TYPES.items() for item in model.objects(trashed=False)]


@pytest.mark.parametrize("who", ["admin", "lead"])
def test_every_item_page_says_things_the_way_people_write_them(app, world, who):
    client = app.test_client()
    if who == "admin":
        AuthActions(client).login()
    else:
        AuthActions(client).login(make_user("lead", "police").email, PASSWORD)
    pages = every_page()
    assert {url.split("/")[2] for url in pages} == set(CONTENT_TYPES)
    seen, found = 0, {}
    for url in pages:
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, url
        seen += 1
        problems = problems_of(response.get_data(as_text=True))
        if problems:
            found[url] = problems[:6]
    assert seen >= 20
    assert not found, "\n".join(f"{url}:\n  " + "\n  ".join(p) for url, p in found.items())


def page_text(client, item) -> str:
    response = client.get(f"/admin/{item.type_key}/details/?id={item.pk}")
    assert response.status_code == 200
    return " ".join(visible_text(lxml.html.fromstring(response.get_data(as_text=True))))


@pytest.fixture
def admin_client(app, world):
    client = app.test_client()
    AuthActions(client).login()
    return client


def test_a_review_page_shows_its_numbered_findings_with_the_actions_answering_them(
        admin_client, world):
    review = world["review"]
    text = page_text(admin_client, review)
    for finding in review.findings:
        assert f"{finding.number}. {' '.join(finding.text.split())[:60]}" in text
    # The demo's police plan answers the review's findings: each action under its finding,
    # with its status and RAG, linked.
    action = Action.objects(finding_uid=review.findings[0].uid).first()
    assert action is not None
    html = admin_client.get(f"/admin/review/details/?id={review.pk}").get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    finding = tree.xpath(f"//*[@id='finding-{review.findings[0].number}']")[0]
    links = finding.xpath(f".//a[contains(@href, '/admin/action/details/?id={action.pk}')]")
    assert links and links[0].text_content().strip() == action.title
    assert "In progress" in finding.text_content()
    assert plans.rag(action).title() in finding.text_content()
    for activity in review.activities:
        assert " ".join(activity.text.split())[:60] in text


def test_an_audit_page_shows_findings_participants_and_recommendations(admin_client, world):
    audit = world["audit"].reload()
    text = page_text(admin_client, audit)
    assert "Liverpool Children's Social Care (Careline)" in text  # a participant, by name
    assert "auditor@csc.example.org" in text
    assert "Neglect" in text  # its theme, by its label
    assert f"1. {' '.join(audit.findings[0].text.split())[:50]}" in text
    assert "Read the chronology first." in text and "answers finding 1" in text.lower()


def test_a_page_says_what_happens_next_and_the_history_in_words(admin_client, world):
    plan = world["plan"]
    text = page_text(admin_client, plan)
    assert "What happens next" in text
    assert "Draft → Ratified (PDC review every six months)" in text  # the history's states
    action = plans_actions(plan)[0]
    text = page_text(admin_client, action)
    # A workforce lead's next steps are named with who takes them.
    assert "Mark complete" in text
    finding = next(f for f in plan.review.findings if f.uid == action.finding_uid)
    assert f"Finding {finding.number} of {plan.review.title}" in text


def test_dates_are_written_as_people_write_them(admin_client, world):
    referral = world["referral"]
    text = page_text(admin_client, referral)
    assert "2 Nov 2026" in text  # LSCB notified
    assert "Critical Case Review" in text and "Looked-after child" in text
    assert "Baby Q" in text  # the administrator may see the child's details


def test_a_referrer_sees_the_child_withheld_on_the_page(app, world):
    referral = world["referral"]
    lead = make_user("lead", "police")
    content.update(referral, {"referred_by": lead.email}, SYSTEM,
                   base_version=referral.version)
    client = app.test_client()
    AuthActions(client).login(lead.email, PASSWORD)
    response = client.get(f"/admin/referral/details/?id={referral.pk}")
    if response.status_code == 200:
        text = response.get_data(as_text=True)
        assert "Baby Q" not in text and "04/01/2026" not in text and "4 Jan 2026" not in text


def test_a_meeting_page_shows_its_agenda_and_people(admin_client, world):
    text = page_text(admin_client, world["meeting"])
    assert "8 Dec 2026" in text and "Room 2" in text
    assert "Part 1" in text and "Refer to the Chair" in text and "Police member" in text
    assert "Critical Incident Evidence Committee" in text


def test_titles_made_from_findings_are_not_cut_mid_word(clean_db):
    long_finding = ("The grading of domestic abuse incidents is determined by local policy "
                    "guidelines which are based on the judgment of those attending the "
                    "incident or those subsequently subject to disclosure")
    review = f.make_review(findings=[Finding(text=long_finding)])
    draft = plans.draft_actions(review)[0]
    title = draft["title"]
    assert len(title) <= 300
    assert long_finding.startswith(title.rstrip("…").rstrip())
    cut = title.rstrip("…").rstrip()
    assert cut == long_finding or not long_finding[len(cut)].isalnum(), title


def test_an_action_made_from_a_long_recommendation_keeps_whole_words(clean_db):
    text = ("Agencies should ensure that the chronology of a family is read in full by every "
            "new worker before the first contact, and that supervision records this reading")
    audit = f.make_audit(findings=[Finding(text="A finding.")],
                         recommendations=[Recommendation(text=text)])
    action = audits.recommendation_to_action(
        audit, audit.recommendations[0].uid, SYSTEM, new_plan={"title": "From the audit"},
        lead_name="A Lead", lead_email="lead@example.org", agency="csc",
        due_date=dt.date.today() + dt.timedelta(days=30))
    cut = action.title.rstrip("…").rstrip()
    assert len(action.title) <= plans.TITLE_LENGTH
    assert text.startswith(cut) and not text[len(cut)].isalnum(), action.title
    assert action.description == text  # the whole recommendation is kept


def test_a_diff_names_the_fields_as_the_page_does(app, clean_db):
    review = f.make_review()
    content.update(review, {"date_label": "Report completed July 2016",
                            "independent_reviewer": "A Reviewer"}, SYSTEM, base_version=1)
    client = app.test_client()
    AuthActions(client).login()
    page = client.get(f"/admin/review/diff/?id={review.pk}&a=1&b=2")
    heads = [" ".join(th.text_content().split()) for th in
             lxml.html.fromstring(page.get_data(as_text=True)).xpath("//tbody//th")]
    assert heads == ["Date as reported", "Independent reviewer"]
