"""The LSCB's forms and reports, written as Word documents from live data.

One module per kind of document; each has ``build(item, actor, *, progress=None) -> bytes``.
:data:`KINDS` says what each kind is, which item it is written for and whether it may carry
personal data; :data:`WRITERS` maps a kind to its ``build``; :func:`render` is the one door
the admin, the command line and the scheduler use: it checks the actor may view the item and
returns a file name with the bytes.

Each framework offers some of these kinds (its ``DOCUMENTS``): a document is written for an
item only if the framework the item was made under offers it (the install's framework, for
a document about everything).

Personal data (a referral's child and significant people) appears only in the restricted
forms CIGSCR1, CIGINF1 and CIGSUM1 and the rapid review summary, and only for an actor who
may see it
(the policy's ``view_personal``, :mod:`lif.policy`). Publishable documents (the index, a learning
brief, an action plan, the report to the LSCB) never hold it: they never read those fields,
and everything they write is passed through a redactor of every name and date of birth held
in a referral.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lif import clock, frameworks, policy
from lif.errors import InvalidInput, NotFound
from lif.models import CONTENT_TYPES
from lif.services import content

from . import (
    audit_report,
    brief,
    ciginf1,
    cigm1,
    cigscr1,
    cigsum1,
    index,
    lscb_report,
    pdc_pack,
    plan,
    rapid_review,
)
from .common import DOCX_MEDIA_TYPE, publication_redactor, slug

__all__ = [
    "DOCX_MEDIA_TYPE",
    "KINDS",
    "WRITERS",
    "Kind",
    "filename_for",
    "kinds_for",
    "load_item",
    "offered",
    "render",
]

Writer = Callable[..., bytes]


@dataclass(frozen=True)
class Kind:
    """One kind of generated document.

    :param key: The name used on the command line and in URLs.
    :param label: How the kind is named to people.
    :param description: One line for ``--help`` and the admin.
    :param type_key: The content type of the item it is written for; ``None`` for a
        document about everything the actor may view.
    :param restricted: Whether it may hold personal data (for an actor allowed to see it).
    :param publishable: Whether it is meant to be published or shared widely.
    """

    key: str
    label: str
    description: str
    type_key: str | None
    restricted: bool = False
    publishable: bool = False


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("index", "Learning and Improvement Index",
             "Appendix One: every review and audit you may view, by learning source.",
             None, publishable=True),
        Kind("lscb-report", "L&I report to the LSCB",
             "Summary report: reviews, audits, plans and actions by status and RAG, "
             "overdue actions, learning themes.", None, publishable=True),
        Kind("plan", "Action plan",
             "An L&I action plan: actions, named leads, timescales, status, RAG, evidence.",
             "action_plan", publishable=True),
        Kind("pdc-pack", "PDC six-month review pack",
             "The pack for a PDC review: each action's progress and evidence since the last "
             "review.", "pdc_review"),
        Kind("audit-report", "Audit report",
             "An audit's report to the LSCB: methodology, sample, findings with their "
             "tables, recommendations, improvement activity.", "audit", publishable=True),
        Kind("brief", "Learning brief",
             "Learning brief (SCR newsletter) for a review: features, findings, learning.",
             "review", publishable=True),
        Kind("cigscr1", "CIGSCR1 referral form",
             "CIGSCR1: SCR request for CIEC consideration (a referral).", "referral",
             restricted=True),
        Kind("ciginf1", "CIGINF1 request for information",
             "CIGINF1: CIG request for information (one agency's request).",
             "information_request", restricted=True),
        Kind("cigm1", "CIGM1 CIEC agenda",
             "CIGM1: CIG SCR consideration agenda, Part A and Part B (a CIEC meeting).",
             "meeting"),
        Kind("cigsum1", "CIGSUM1 case summary",
             "CIGSUM1: CIG case summary, recommendation, rationale and Chair's decision.",
             "referral", restricted=True),
        Kind("rapid-review", "Rapid review summary",
             "Working Together 2023: a serious incident's rapid review, its clocks, each "
             "agency's summary, the decision and its rationale.", "referral", restricted=True),
    )
}

WRITERS: dict[str, Writer] = {
    "index": index.build,
    "lscb-report": lscb_report.build,
    "plan": plan.build,
    "pdc-pack": pdc_pack.build,
    "brief": brief.build,
    "audit-report": audit_report.build,
    "cigscr1": cigscr1.build,
    "ciginf1": ciginf1.build,
    "cigm1": cigm1.build,
    "cigsum1": cigsum1.build,
    "rapid-review": rapid_review.build,
}


_STEMS = {
    "index": "learning-and-improvement-index",
    "lscb-report": "lscb-learning-and-improvement-report",
}


def kinds_for(type_key: str, item=None) -> list[Kind]:
    """Return the kinds of document written for an item of ``type_key`` that its framework
    offers (``item``'s; the install's without one)."""
    framework = frameworks.of(item) if item is not None else frameworks.active()
    return [kind for kind in KINDS.values()
            if kind.type_key == type_key and framework.offers(kind.key)]


def offered(framework: frameworks.Framework | None = None) -> list[Kind]:
    """Return the kinds of document ``framework`` (by default the install's) offers."""
    framework = framework or frameworks.active()
    return [kind for kind in KINDS.values() if framework.offers(kind.key)]


def unknown_documents() -> dict[str, list[str]]:
    """``{framework: [document keys]}`` that no writer writes (a framework's mistake)."""
    return {fw.name: missing for fw in frameworks.every()
            if (missing := [key for key in fw.documents if key not in KINDS])}


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _kind(key: str) -> Kind:
    kind = KINDS.get(key)
    if kind is None:
        raise NotFound(f"Unknown document kind '{key}'; choose one of {', '.join(KINDS)}.")
    return kind


def load_item(kind_key: str, item_id: str | None, actor):
    """Fetch the item a document of ``kind_key`` is written for, as ``actor`` may see it.

    :return: The item, or ``None`` for kinds about everything (index, lscb-report).
    :raises NotFound: unknown kind, or no such item.
    :raises InvalidInput: an id was missing, or given for a kind that takes none.
    :raises PermissionDenied: the actor may not view the item.
    """
    kind = _kind(kind_key)
    if kind.type_key is None:
        if item_id:
            raise InvalidInput(f"The {kind.key} document takes no item id.")
        return None
    if not item_id:
        raise InvalidInput(f"The {kind.key} document needs the id of "
                           f"{_a(CONTENT_TYPES[kind.type_key].type_label.lower())}.")
    return content.get(kind.type_key, item_id, actor)


def filename_for(kind_key: str, item) -> str:
    """Return a file name for the document: kind, item and date, never personal data."""
    kind = _kind(kind_key)
    today = clock.today().isoformat()
    if item is None:
        return f"{_STEMS.get(kind.key, kind.key)}-{today}.docx"
    if kind.restricted or kind.type_key in ("referral", "meeting", "information_request"):
        # Referral titles may name the child: restricted forms are named by id only.
        stamp = getattr(item, "date", None)
        suffix = stamp.isoformat() if stamp else str(item.pk)
        return f"{kind.key.upper()}-{suffix}.docx"
    if kind.key == "pdc-pack":
        title = publication_redactor()(str(item.plan))
        return f"pdc-pack-{slug(title, 50)}-{item.scheduled_for.isoformat()}.docx"
    title = publication_redactor()(str(item))
    return f"{kind.key}-{slug(title, 50)}-{today}.docx"


def render(kind_key: str, item, actor, *, progress: Callable[[int, int], None] | None = None,
           ) -> tuple[str, bytes]:
    """Write a document of ``kind_key`` for ``item`` as ``actor``.

    :param kind_key: A key of :data:`KINDS`.
    :param item: The item it is written for (see :func:`load_item`), or ``None``.
    :param actor: Who it is written for: what they may view is what it holds.
    :param progress: Called with (done, total) by writers that loop over many items.
    :return: The file name and the .docx bytes.
    :raises NotFound: unknown kind.
    :raises InvalidInput: the item is not of the kind's type (or missing), or the kind is
        not offered under the item's framework (the install's, for a kind about everything).
    :raises PermissionDenied: the actor may not view the item.
    """
    kind = _kind(kind_key)
    if kind.type_key is None:
        item = None
    elif item is None or getattr(item, "type_key", None) != kind.type_key:
        raise InvalidInput(f"The {kind.key} document is written for "
                           f"{_a(CONTENT_TYPES[kind.type_key].type_label.lower())}.")
    else:
        policy.require(actor, "view", item)
    framework = frameworks.of(item) if item is not None else frameworks.active()
    if not framework.offers(kind.key):
        whose = "this item was made under" if item is not None else "this install works to"
        raise InvalidInput(f"The {kind.label} is not a document of {framework.title}, "
                           f"which {whose}.")
    data = WRITERS[kind.key](item, actor, progress=progress)
    return filename_for(kind.key, item), data
