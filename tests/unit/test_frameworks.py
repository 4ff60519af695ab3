"""Statutory frameworks are data (issue 20, point 1): each loads from its package, says what
its clocks count, offers its own documents; a package that is not a framework is refused
with a message naming what is wrong."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

import config.frameworks as packages
from documents.writers import KINDS, unknown_documents
from lif import clocks, frameworks
from lif.frameworks import FrameworkError

ROOT = Path(__file__).resolve().parents[2]


def test_the_source_framework_and_working_together_2023_are_installed():
    assert frameworks.names()[:2] == ["lscb_2015", "wt_2023"]
    assert frameworks.default_name() == "lscb_2015"
    assert "Working Together 2015" in frameworks.get("lscb_2015").title
    assert frameworks.get("wt_2023").title == (
        "Working Together to Safeguard Children 2023 (England)")


@pytest.mark.parametrize("name", ["lscb_2015", "wt_2023"])
def test_every_clock_states_what_it_counts(name):
    framework = frameworks.get(name)
    for clock_name in framework.clocks:
        words = clocks.describe(clock_name, framework)
        assert re.fullmatch(r"\d+ (day|days|month|months|working day|working days)", words)


def test_working_together_2023_counts_its_statutory_clocks_in_working_days():
    wt = frameworks.get("wt_2023")
    assert clocks.describe("incident_notification", wt) == "5 working days"
    assert clocks.describe("rapid_review", wt) == "15 working days"
    assert clocks.describe("publication_notice", wt) == "7 working days"
    assert clocks.describe("lcspr_report", wt) == "6 months"
    assert clocks.describe("scr_decision", frameworks.get("lscb_2015")) == "1 month"


def test_a_clock_a_framework_does_not_set_is_refused_by_name():
    with pytest.raises(LookupError, match="sets no clock 'scr_decision'"):
        clocks.period("scr_decision", frameworks.get("wt_2023"))


def test_each_framework_offers_its_own_documents():
    lscb, wt = frameworks.get("lscb_2015"), frameworks.get("wt_2023")
    assert unknown_documents() == {}
    for form in ("cigscr1", "ciginf1", "cigm1", "cigsum1"):
        assert lscb.offers(form) and not wt.offers(form)
    assert wt.offers("rapid-review") and not lscb.offers("rapid-review")
    assert set(wt.documents) <= set(KINDS)


def test_vocabulary_names_the_board_and_committees_of_each():
    lscb, wt = frameworks.get("lscb_2015"), frameworks.get("wt_2023")
    assert lscb.vocabulary["board"] == "LSCB"
    assert wt.vocabulary["board_name"] == "Liverpool Safeguarding Children Partnership"
    assert lscb.committee_name("pdc") == "Professional Development Committee"
    assert wt.committee_name("pdc") == "Learning and Development Subgroup"
    assert "scr" in lscb.vocabulary["review_types"]
    assert "scr" not in wt.vocabulary["review_types"]
    assert "lcspr" in wt.vocabulary["review_types"]


def test_an_unknown_framework_is_refused_naming_the_ones_there_are():
    with pytest.raises(FrameworkError, match="no framework 'wt2023': choose one of "
                                             "lscb_2015, wt_2023"):
        frameworks.get("wt2023")


@pytest.fixture
def extra_packages(tmp_path, monkeypatch):
    """A directory of framework packages beside config/frameworks/, forgotten afterwards."""
    monkeypatch.setattr(packages, "__path__", [*packages.__path__, str(tmp_path)])
    frameworks.forget()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("config.frameworks.broken")]:
        del sys.modules[name]
    frameworks.forget()


def _package(root: Path, name: str, body: str) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(textwrap.dedent(body))


def test_a_package_missing_part_of_a_framework_is_refused(extra_packages):
    _package(extra_packages, "broken_a", 'TITLE = "Half a framework"\nCLOCKS = {}\n')
    with pytest.raises(FrameworkError, match="'broken_a' does not define VOCABULARY, "
                                             "WORKING_DAYS, REMINDERS, DOCUMENTS"):
        frameworks.get("broken_a")


def test_a_clock_that_is_not_one_and_a_closure_that_is_no_date_are_refused(extra_packages):
    base = """
        from config.frameworks.lscb_2015 import *  # noqa: F403
        from config.frameworks import lscb_2015 as _base
        CLOCKS = {**_base.CLOCKS, "rapid": (15, "workdays", "within")}
    """
    _package(extra_packages, "broken_b", base)
    with pytest.raises(FrameworkError, match=r"clock 'rapid' is \(15, 'workdays', 'within'\)"):
        frameworks.get("broken_b")
    _package(extra_packages, "broken_c", base.replace(
        'CLOCKS = {**_base.CLOCKS, "rapid": (15, "workdays", "within")}',
        'WORKING_DAYS = {"country": "GB", "subdivision": "ENG", "closures": ("29/12/2025",)}'))
    with pytest.raises(FrameworkError, match="closure day is not a date YYYY-MM-DD"):
        frameworks.get("broken_c")


def test_nothing_outside_config_names_a_framework():
    named = re.compile(r"\b(" + "|".join(frameworks.names()) + r")\b")
    found = []
    for top in ("app.py", "lif", "admin", "api", "cli", "documents", "schedulers"):
        for path in ([ROOT / top] if top.endswith(".py") else (ROOT / top).rglob("*")):
            if path.suffix in (".py", ".html") and named.search(path.read_text()):
                found.append(str(path.relative_to(ROOT)))
    assert found == []
