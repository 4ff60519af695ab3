"""The report of an audit to the LSCB, in the Appendix One entry layout.

Type of Review, Name, Date, Case Overview / Methodology (with the sample's make-up against
the population's), Summary of Findings / Learning — the counts and percentages computed from
the returned audit tools, per question overall and by agency, as in the Front Door audit
("19 (59%) did not …") — then the group's numbered narrative findings, the recommendations
and the improvement activity. Audit tools carry case references and agencies, never names.
"""

from __future__ import annotations

from collections.abc import Callable

from lif import frameworks
from lif.models import Audit
from lif.services import audits

from .common import DocumentBuilder, agency_label, publication_redactor
from .index import date_text, type_label

MAKEUP_TITLES = {"agency": "Referring agency", "age_band": "Age band", "gender": "Gender"}


def build(audit: Audit, actor, *, progress: Callable[[int, int], None] | None = None) -> bytes:
    """Return the audit's report as .docx bytes."""
    b = DocumentBuilder(f"Audit report: {audit.title}", actor, subject="Audit report",
                        redact=publication_redactor(), keywords="audit; QAEC; findings",
                        framework=frameworks.of(audit))
    b.fields([
        ("Type of Review", type_label(audit)),
        ("Name", audit.title),
        ("Date", date_text(audit)),
        ("Question", audit.question),
        ("Agencies taking part", "; ".join(
            f"{agency_label(p.agency)}" for p in audit.participants)),
    ])
    b.heading("Case Overview / Methodology", 1)
    b.paragraphs(audit.methodology or audit.scope,
                 empty="The methodology has not been written up yet.")
    makeup = audits.sample_makeup(audit)
    if any(makeup.values()):
        b.heading("The sample against the population", 2)
        if audit.sample_description:
            b.paragraphs(audit.sample_description)
        for field, rows in makeup.items():
            if not rows:
                continue
            b.heading(MAKEUP_TITLES.get(field, field.replace("_", " ").title()), 3)
            b.table(["", "Population", "%", "Sample", "%"],
                    [[r.label, str(r.population), f"{r.population_pct}%", str(r.sample),
                      f"{r.sample_pct}%"] for r in rows])
    b.heading("Summary of Findings / Learning", 1)
    tools = audits.report(audit)
    for tool, returned, questions in tools:
        b.heading(f"{tool.name}: {returned} audit tools returned", 2)
        for finding in questions:
            b.paragraph(f"{finding.number}. {finding.question.text}", bold=True)
            if finding.overall.options:
                b.table(["Answer", "All agencies"] + [name for _, name, _ in finding.by_agency],
                        [[option.label, option.text] + [
                            next((o.text for o in breakdown.options
                                  if o.value == option.value), "")
                            for _, _, breakdown in finding.by_agency]
                         for option in finding.overall.options])
                if finding.overall.mean is not None:
                    b.paragraph(f"Mean: {finding.overall.mean}")
            for case_ref, agency, text in finding.texts[:50]:
                b.paragraph(f"{case_ref} ({agency}): {text}")
    if not tools:
        b.paragraph("No audit tools have been returned yet.", italic=True)
    b.heading("Findings of the multi-agency audit group", 2)
    findings = sorted(audit.findings, key=lambda f: f.number or 0)
    b.numbered([f.text for f in findings], headings=[f.heading for f in findings],
               empty="None recorded yet.")
    b.heading("Recommendations", 1)
    b.numbered([r.text for r in audit.recommendations], empty="None recorded yet.")
    b.heading("Improvement Activity", 1)
    if audit.activities:
        b.bullets(a.text for a in audit.activities)
    else:
        b.paragraph("None recorded yet.", italic=True)
    return b.to_bytes()
