"""Working Together 2023's first steps through the pages (issue 20, point 3, begun): a
serious incident recorded, the National Panel notified within 5 working days, the rapid
review with each agency's summary, the partners' decision within 15 working days, recorded
only when chosen; the register shows each clock in colour as it does the source's."""

from __future__ import annotations

import datetime as dt
import io

import docx
import lxml.html
import pytest

from documents.writers import render
from lif import frameworks
from lif.models import InformationRequest, Referral
from lif.services import content, referrals

from ..conftest import PASSWORD, AuthActions, make_user
from .deadline_helpers import at, travel

D = dt.date
AWARE = D(2025, 12, 22)  # a Monday: notify by Wed 31 Dec (25 and 26 Dec bank holidays)


class Browser:
    """One signed-in person using the referral's page, made inside the step's ``travel``."""

    def __init__(self, app, user):
        self.client = app.test_client()
        auth = AuthActions(self.client)
        auth.login(user.email, PASSWORD)
        self.token = auth.csrf("/admin/")

    def page(self, referral) -> str:
        return self.client.get(f"/admin/referral/details/?id={referral.pk}").get_data(
            as_text=True)

    def post(self, path: str, **data) -> str:
        response = self.client.post(path, data={"csrf_token": self.token, **data},
                                    follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)


@pytest.fixture
def partnership(clean_db, monkeypatch):
    """An install working to Working Together 2023, and the people of its pathway."""
    monkeypatch.setattr(frameworks, "_active", frameworks._active)
    frameworks.activate("wt_2023")
    return {
        "police": make_user("ciec", "police", "ciec@police.test"),
        "health": make_user("ciec", "alder_hey", "ciec@alderhey.test"),
        "ciec_chair": make_user("ciec_chair", email="chair.crg@test.lif"),
        "partners": make_user("chair", email="partners.lead@test.lif"),
        "admin": make_user("admin"),
    }


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def docx_footer(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).sections[0].footer.paragraphs)


def selects(page: str) -> dict[str, str]:
    """Each select of the page's step forms, by name, with what it shows chosen."""
    tree = lxml.html.fromstring(page)
    return {s.get("name"): (s.xpath("option[@selected]/@value") or [""])[0]
            for s in tree.xpath("//form[contains(@action, '/record/')]//select")}


def test_a_serious_incident_through_notification_and_rapid_review(app, partnership):
    people = partnership
    with travel(at(AWARE)):
        incident = content.create(Referral, {
            "title": "SIN 25/14", "reasons": "A baby seriously injured; known to services",
            "agency": "csc", "aware_on": AWARE}, people["admin"])
    assert (incident.framework, incident.state) == ("wt_2023", "incident_recorded")

    # The notification: its clock is amber from Mon 29 Dec; the form asks for the date.
    with travel(at(D(2025, 12, 29))):
        chair = Browser(app, people["ciec_chair"])
        page = chair.page(incident)
        assert "Notification to the National Panel due" in page and "31 Dec 2025" in page
        assert 'rag-amber' in page
        assert "/decide/" not in page and "/recommend/" not in page  # the source's forms
        # Sent without its date: refused, nothing recorded, the page says why.
        page = chair.post("/admin/referral/record/", id=str(incident.pk),
                          step="notify_panel", notified_on="")
        assert "Not recorded" in page and "notified on missing" in page
        assert Referral.objects.get(pk=incident.pk).state == "incident_recorded"
        chair.post("/admin/referral/record/", id=str(incident.pk), step="notify_panel",
                   notified_on="30/12/2025")
    incident.reload()
    assert (incident.state, incident.notified_on) == ("notified", D(2025, 12, 30))

    # The rapid review: 15 working days from Tue 30 Dec 2025 (1 Jan a bank holiday) is
    # Wed 21 Jan 2026. Starting it asks each agency for its summary.
    with travel(at(D(2026, 1, 2))):
        chair = Browser(app, people["ciec_chair"])
        page = chair.post("/admin/referral/transition/", id=str(incident.pk),
                          transition="start_rapid_review", base_version=str(incident.version))
        assert "Rapid review due" in page and "21 Jan 2026" in page
        assert "Done in time" in page  # the notification, sent on the 30th
    summaries = {r.agency: r for r in InformationRequest.objects(referral=incident)}
    assert set(summaries) == {"csc", "police", "alder_hey"}
    # 5 working days from Fri 2 Jan 2026.
    assert {r.due_on for r in summaries.values()} == {D(2026, 1, 9)}
    with travel(at(D(2026, 1, 7))):
        referrals.answer_request(summaries["police"], "Two call-outs in November.", "PC A",
                                 people["police"])
    with pytest.raises(Exception, match="agency|permission|may not"):
        referrals.answer_request(summaries["alder_hey"], "Not ours to say.", "",
                                 people["police"])

    # The partners' decision: the form starts blank; a decision without its rationale is
    # refused and what was typed stays on the page.
    with travel(at(D(2026, 1, 19))):
        partners = Browser(app, people["partners"])
        page = partners.page(incident)
        assert selects(page) == {"decision": ""}
        assert "Record the rapid review&#39;s decision" in page
        page = partners.post("/admin/referral/record/", id=str(incident.pk),
                             step="decide_rapid_review", decision="lcspr",
                             decided_on="2026-01-19", decision_rationale="")
        assert "Not recorded" in page and "decision rationale missing" in page
        assert selects(page) == {"decision": "lcspr"}
        assert Referral.objects.get(pk=incident.pk).decision is None
        partners.post("/admin/referral/record/", id=str(incident.pk),
                      step="decide_rapid_review", decision="lcspr", decided_on="2026-01-19",
                      decision_rationale="Practice issues across three agencies.")
    incident.reload()
    assert (incident.state, incident.decision) == ("decided", "lcspr")
    decided = referrals.decision_of(incident)
    assert decided.label == "A Local Child Safeguarding Practice Review is appropriate"
    assert decided.by == "partners.lead@test.lif"

    # The register: each case's stage and its clocks, in colour.
    with travel(at(D(2026, 1, 20))):
        admin = Browser(app, people["admin"])
        register = admin.client.get("/admin/referral_register/").get_data(as_text=True)
    row = " ".join(lxml.html.fromstring(register).xpath(
        "//tr[td/a[normalize-space()='SIN 25/14']]")[0].text_content().split())
    assert "Rapid review decided" in row
    assert "Notification to the National Panel: 31 Dec 2025 (done in time)" in row
    assert "Rapid review: 21 Jan 2026 (done in time)" in row

    # The rapid review summary says what the record says, from the live data.
    with travel(at(D(2026, 1, 20))):
        summary = docx_text(render("rapid-review", incident, people["admin"])[1])
    for line in ("Local authority aware | 22 December 2025",
                 "National Panel notified | 30 December 2025",
                 "Notification to the National Panel | 5 working days | 22 December 2025 | "
                 "31 December 2025 | done in time",
                 "Rapid review | 15 working days | 30 December 2025 | 21 January 2026 | "
                 "done in time",
                 "Two call-outs in November.",
                 "Decision: A Local Child Safeguarding Practice Review is appropriate",
                 "Practice issues across three agencies."):
        assert line in summary, line
    assert "Not yet returned (due 9 January 2026)" in summary  # Alder Hey's, still out
    assert "Working Together to Safeguard Children 2023 (England)" in docx_footer(
        render("rapid-review", incident, people["admin"])[1])


def test_the_rapid_review_summary_is_not_a_document_of_the_source_s_framework(clean_db):
    from lif.errors import InvalidInput

    referral = content.create(Referral, {"title": "CIEC 26/01", "reasons": "Injury",
                                         "agency": "csc"}, make_user("admin"))
    with pytest.raises(InvalidInput, match="Rapid review summary is not a document of "
                                           "Liverpool LSCB"):
        render("rapid-review", referral, make_user("admin"))


def test_a_choice_the_framework_does_not_offer_is_refused(app, partnership):
    incident = content.create(Referral, {"title": "SIN 25/15", "reasons": "Injury",
                                         "agency": "csc", "aware_on": AWARE},
                              partnership["admin"])
    with pytest.raises(Exception, match="Choose the decision among"):
        referrals.record_step(incident, "decide_rapid_review", {
            "decision": "scr", "decision_rationale": "x", "decided_on": "2026-01-05"},
            partnership["partners"])
    incident.reload()
    assert (incident.state, incident.decision) == ("incident_recorded", None)
