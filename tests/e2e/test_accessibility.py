"""Accessibility: axe-core in the page on the main screens, and forms used by keyboard alone.

UK public-sector sites must meet WCAG 2.2 AA. axe-core's rules for the WCAG 2.0/2.1/2.2 A and
AA tags run in Chromium on each page; a violation of impact "serious" or "critical" fails the
test (all violations are listed in the message). axe-core comes from the PyPI package
``axe-playwright-python`` (pinned in requirements-test.txt, which pins the axe-core version it
bundles: 0.1.8 ships axe-core 4.12.1); only its ``axe.min.js`` is used, read from the
installed package, so nothing is fetched at test time.
"""

from __future__ import annotations

import importlib.resources
import re

import pytest

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Session, needs_browser, own_password

pytestmark = needs_browser

LEAD = "lead.police@demo.lif.local"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")


def axe_source() -> str:
    try:
        return (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text()
    except ModuleNotFoundError:
        pytest.skip("axe-playwright-python (which bundles axe-core) is not installed: "
                    "pip install -r requirements-test.txt")


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol: LIF's Content-Security-Policy
        # refuses inline <script> tags (add_script_tag), as it should.
        page.evaluate(axe_source() + "\n;true")
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                    resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, tags: v.tags,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                          summary: n.failureSummary}))}));
        }""",
        WCAG_TAGS,
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}  {node['html']}")
            lines.append("      " + (node["summary"] or "").replace("\n", " ")[:300])
    return "\n".join(lines)


def assert_accessible(session: Session, name: str) -> None:
    violations = run_axe(session.page)
    session.shot(name)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not session.problems, session.problems
    assert not failing, f"{name} ({session.page.url}):\n{describe(violations)}"


@pytest.fixture(scope="module")
def lead(browser, server, artifacts):
    session = Session(browser, server, artifacts, "a11y-lead")
    session.login(LEAD)
    yield session
    session.close()


@pytest.fixture(scope="module")
def administrator(browser, server, artifacts):
    session = Session(browser, server, artifacts, "a11y-admin")
    session.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    yield session
    session.close()


def test_login_page(browser, server, artifacts):
    visitor = Session(browser, server, artifacts, "a11y-login")
    try:
        visitor.goto("/login")
        assert_accessible(visitor, "login")
        # The page as it is after a failed attempt: the message and the invalid fields.
        visitor.page.get_by_label("Email").fill("nobody@example.org")
        visitor.page.get_by_label("Password").fill("not the password at all")
        visitor.page.get_by_role("button", name="Sign in").click()
        visitor.page.locator("#password-error").wait_for()
        assert_accessible(visitor, "login-refused")
    finally:
        visitor.close()


@pytest.mark.parametrize("path, name", [
    ("/published", "published"),
    ("/no-such-page", "not-found"),
])
def test_public_pages(browser, server, artifacts, path, name):
    visitor = Session(browser, server, artifacts, "a11y-public")
    try:
        visitor.page.goto(server.url(path))
        assert_accessible(visitor, name)
    finally:
        visitor.close()


@pytest.mark.parametrize("path, name", [
    ("/admin/", "dashboard"),
    ("/admin/action/", "action-list"),
    ("/admin/search/?q=bruising", "search-results"),
    ("/admin/search/", "search-start"),
    ("/admin/my_actions/", "my-actions"),
])
def test_lead_pages(lead, path, name):
    lead.goto(path)
    assert_accessible(lead, name)


def test_edit_form(lead):
    lead.goto("/admin/action/")
    lead.page.get_by_title("Edit Record").first.click()
    lead.page.wait_for_url("**/admin/action/edit/**")
    assert_accessible(lead, "action-edit-form")


def test_my_actions_after_a_refused_and_a_saved_update(lead):
    """The messages a save shows (success and refusal) are checked too."""
    page = lead.page
    lead.goto("/admin/my_actions/")
    card = page.locator("article.card").first
    card.get_by_label("How it was measured").fill("a measure without evidence")
    card.get_by_label("Supporting file").set_input_files(
        files=[{"name": "note.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}])
    card.get_by_role("button", name="Save update").click()
    page.locator(".alert").first.wait_for()
    assert_accessible(lead, "my-actions-refused")
    # The form came back with what was typed (the file is chosen again, or not at all).
    card = page.locator("article.card").first
    assert card.get_by_label("How it was measured").input_value() == "a measure without evidence"
    card.get_by_label("How it was measured").fill("")
    card.get_by_label("Progress update").fill("Checked by the accessibility test.")
    card.get_by_role("button", name="Save update").click()
    page.locator(".alert-success").first.wait_for()
    assert_accessible(lead, "my-actions-saved")


@pytest.mark.parametrize("kind", ["review", "audit", "action_plan", "action"])
def test_item_pages(lead, kind):
    """An item page of each kind the lead reads, as a document."""
    lead.goto(f"/admin/{kind}/")
    lead.page.get_by_title("View Record").first.click()
    lead.page.wait_for_url(f"**/admin/{kind}/details/**")
    assert_accessible(lead, f"{kind}-page")


@pytest.mark.parametrize("path, name", [
    ("/admin/", "dashboard"),
    ("/admin/action/", "action-list"),
])
def test_administrator_pages(administrator, path, name):
    """The administrator's dashboard and lists show more (all agencies, every menu)."""
    administrator.goto(path)
    assert_accessible(administrator, name)


# --- keyboard alone ------------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '',
                text: (e.innerText || e.value || '').trim().slice(0, 60),
                ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                      || s.boxShadow !== 'none'};
    }""")


def tab_to(page, matches, limit: int = 150) -> list[dict]:
    """Press Tab until ``matches(focused)``; return the stops passed on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        stops.append(now)
        if matches(now):
            return stops
    raise AssertionError(f"Tab never reached the element; stops: {stops[-20:]}")


def test_login_form_by_keyboard_alone(browser, server, artifacts):
    password = own_password(browser, server, artifacts, LEAD)
    visitor = Session(browser, server, artifacts, "kbd-login")
    page = visitor.page
    try:
        visitor.goto("/login")
        assert focused(page)["id"] == "email", "the email field has the focus on arrival"
        page.keyboard.type(LEAD)
        page.keyboard.press("Tab")
        assert focused(page)["id"] == "password"
        page.keyboard.type(password)
        page.keyboard.press("Tab")
        button = focused(page)
        assert (button["tag"], button["text"]) == ("button", "Sign in")
        assert button["ring"], "the focused button shows where the focus is"
        visitor.shot("sign-in-focused")
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/**")
        assert page.get_by_role("heading", name="Dashboard").count() == 1
        visitor.shot("signed-in")
    finally:
        visitor.close()


def test_my_actions_form_by_keyboard_alone(browser, server, artifacts):
    member = Session(browser, server, artifacts, "kbd-my-actions")
    page = member.page
    try:
        member.login(LEAD)
        member.goto("/admin/my_actions/")
        # The first Tab reaches "Skip to content"; Enter jumps past the menus.
        page.keyboard.press("Tab")
        skip = focused(page)
        assert skip["text"] == "Skip to content" and skip["ring"], skip
        page.keyboard.press("Enter")
        assert focused(page)["id"] == "main"

        stops = tab_to(page, lambda f: f["id"].startswith("progress-"))
        assert len(stops) < 15, f"too many stops before the first form: {stops}"
        action_id = stops[-1]["id"].removeprefix("progress-")
        note = "Keyboard-only update: team briefings finished."
        page.keyboard.type(note)
        expected = [f"status-{action_id}", f"comment-{action_id}", f"evidence-{action_id}",
                    f"measure-{action_id}", f"file-{action_id}"]
        for field_id in expected:
            page.keyboard.press("Tab")
            now = focused(page)
            assert now["id"] == field_id, f"expected {field_id}, focus is on {now}"
            assert now["ring"], f"no visible focus on {field_id}"
        page.keyboard.press("Tab")
        button = focused(page)
        assert (button["tag"], button["text"], button["ring"]) == ("button", "Save update", True)
        member.shot("save-focused")
        # Enter submits; wait for the page after the save to have loaded, not for an alert
        # that may still be the page before it.
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_load_state("load")
        assert "progress added" in page.locator(".alert-success").first.inner_text()
        page.locator(f"#action-{action_id} summary").focus()
        assert focused(page)["tag"] == "summary"
        page.keyboard.press("Enter")  # <details> opens from the keyboard too
        # (the browser may apply the toggle after the key event returns: wait for it)
        page.locator(f"#action-{action_id} details[open]").wait_for(timeout=5000)
        assert re.search(re.escape(note), page.locator(f"#action-{action_id} details").inner_text())
        member.shot("saved")
    finally:
        member.close()
