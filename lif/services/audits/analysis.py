"""Phase 4, the findings: each question's returned answers counted, overall and by agency,
with the percentages the published reports print.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ...models import Audit, AuditTool, Question, ToolAssignment
from .. import reference
from .common import format_count, percent, percentages
from .rules import CHOICE_KINDS, RAG, YES_NO_NA
from .tool_builder import tools


@dataclass
class OptionCount:
    """One possible answer: how many gave it, and the percentage of those who answered."""

    value: str
    label: str
    count: int
    percent: int

    @property
    def text(self) -> str:
        return format_count(self.count, self.percent)


@dataclass
class Breakdown:
    """The answers to one question from one group of returns (all, or one agency's)."""

    answered: int
    options: list[OptionCount]
    mean: float | None = None


@dataclass
class QuestionFinding:
    """The findings of one question: overall, by agency, and the text answers."""

    number: int
    question: Question
    overall: Breakdown
    by_agency: list[tuple[str, str, Breakdown]]
    texts: list[tuple[str, str, str]] = field(default_factory=list)  # (case, agency, text)


def _option_values(question: Question) -> list[tuple[str, str]]:
    if question.kind == "yes_no_na":
        return list(YES_NO_NA)
    if question.kind == "rag":
        return list(RAG)
    if question.kind in CHOICE_KINDS:
        return [(o, o) for o in question.options]
    if question.kind == "scale":
        return [(str(v), str(v)) for v in range(question.scale_min, question.scale_max + 1)]
    return []


def _breakdown(question: Question, values: list) -> Breakdown:
    options = _option_values(question)
    answered = len(values)
    if question.kind == "multiple":
        counts = Counter(v for chosen in values for v in chosen)
        rows = [OptionCount(v, label, counts[v], percent(counts[v], answered))
                for v, label in options]
        return Breakdown(answered, rows)
    if question.kind == "rag":
        values = [v.get("rating") for v in values]
    keys = [str(v) for v in values]
    counts = Counter(keys)
    shares = percentages([counts[v] for v, _ in options])
    rows = [OptionCount(v, label, counts[v], shares[i])
            for i, (v, label) in enumerate(options)]
    mean = None
    if question.kind == "scale" and values:
        mean = round(sum(int(v) for v in values) / len(values), 1)
    return Breakdown(answered, rows, mean)


def findings(audit: Audit, tool: AuditTool) -> list[QuestionFinding]:
    """Compute each question's findings from the returned answers to this tool version.

    Counts are of returns that answered the question; percentages are of those (single
    answers: parts add up to 100 by :func:`percentages`; multiple choice: each option's share
    of those who answered, rounded half up).
    """
    returned = list(ToolAssignment.objects(audit=audit, tool=tool, state="returned")
                    .only("case_ref", "agency", "answers").order_by("case_ref", "agency"))
    names = reference.agency_names()
    out = []
    for number, question in enumerate(tool.questions, start=1):
        given = [(a, a.answers.get(question.uid)) for a in returned
                 if a.answers.get(question.uid) not in (None, "", [])]
        texts: list[tuple[str, str, str]] = []
        if question.kind == "text":
            texts = [(a.case_ref, names.get(a.agency, a.agency), v) for a, v in given]
            overall = Breakdown(len(given), [])
            by_agency = []
        else:
            if question.kind == "rag":
                texts = [(a.case_ref, names.get(a.agency, a.agency),
                          f"{v.get('rating', '').title()}: {v.get('evidence', '')}")
                         for a, v in given]
            overall = _breakdown(question, [v for _, v in given])
            grouped: dict[str, list] = defaultdict(list)
            for a, v in given:
                grouped[a.agency].append(v)
            by_agency = sorted(
                ((agency, names.get(agency, agency), _breakdown(question, values))
                 for agency, values in grouped.items()),
                key=lambda row: row[1],
            )
        out.append(QuestionFinding(number, question, overall, by_agency, texts))
    return out


def report(audit: Audit) -> list[tuple[AuditTool, int, list[QuestionFinding]]]:
    """Return the findings of every tool version that has returns: (tool, returned, rows)."""
    out = []
    for tool in tools(audit):
        returned = ToolAssignment.objects(audit=audit, tool=tool, state="returned").count()
        if returned:
            out.append((tool, returned, findings(audit, tool)))
    return out

