"""The one step every value takes on its way out of LIF: personal data removed for those the
policy does not let see it.

Children's and families' details live in fields marked ``personal=True`` on the model (a
referral's child and significant people). Whoever may not see them (``view_personal`` in
:mod:`lif.policy`) gets those fields withheld, and every text of the item — its title, its
free text, its history, its versions, its audit trail — with the names and dates of those
people replaced by "[redacted]", should one have been typed where it should not be.

:func:`for_item` gives the :class:`Redaction` for one person and one item; pages, diffs,
exports, Word, search, messages, calendars and the API all take their values through it.
:func:`publication` is the stricter redactor of documents that may be published: it removes
everyone named in any referral.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mongoengine import EmbeddedDocument

from . import clock, policy
from .models import Referral, User

REDACTED = "[redacted]"
WITHHELD = "Restricted"


def _date_forms(day: dt.date) -> set[str]:
    """Return the ways a date of birth is commonly written."""
    return {
        day.isoformat(),
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day:%d/%m/%y}",
        f"{day:%d.%m.%Y}",
        f"{day.day}.{day.month}.{day.year}",
        f"{day:%d-%m-%Y}",
        f"{day.day} {day:%B} {day.year}",
        f"{day:%d %B %Y}",
        f"{day.day} {day:%b} {day.year}",
        f"{day:%d %b %Y}",
        f"{day:%B} {day.day}, {day.year}",
        f"{day.day}{_ordinal(day.day)} {day:%B} {day.year}",
    }


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


class Redactor:
    """Remove restricted personal data (names, dates of birth and death) from text.

    Built from the :class:`~lif.models.Person` records of referrals. Names match whole
    words, case-insensitively, with any run of whitespace between their parts; dates match
    in the usual written forms (ISO, ``07/03/2014``, ``7 March 2014``, ...), never inside a
    longer number.
    """

    def __init__(self, people: Iterable = ()) -> None:
        names: set[str] = set()
        dates: set[str] = set()
        for person in people:
            if person is None:
                continue
            name = " ".join((getattr(person, "name", "") or "").split())
            if len(name) >= 3:
                names.add(name)
            for day in (getattr(person, "date_of_birth", None),
                        getattr(person, "date_of_death", None)):
                if day is not None:
                    dates.update(_date_forms(clock.as_date(day)))
        parts = [
            r"(?<!\w)" + r"\s+".join(re.escape(word) for word in name.split()) + r"(?!\w)"
            for name in sorted(names, key=len, reverse=True)
        ]
        parts += [
            r"(?<![\w/.-])" + re.escape(text) + r"(?![\w/-]|\.\d)"
            for text in sorted(dates, key=len, reverse=True)
        ]
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str | None) -> str:
        """Return ``text`` with every restricted name and date replaced by "[redacted]"."""
        if not text:
            return ""
        text = str(text)
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)


def people_of(item) -> list:
    """The children and adults whose details ``item`` holds (its referral's, for a request)."""
    subject = policy.personal_subject(item)
    if subject is None:
        return []
    people = []
    for name in policy.personal_fields(type(subject)):
        value = getattr(subject, name, None)
        people.extend(value if isinstance(value, list) else [value] if value else [])
    return people


def referral_people(referrals: Iterable[Referral] | None = None) -> list:
    """Return the people of ``referrals`` (default: every referral)."""
    names = policy.personal_fields(Referral)
    if referrals is None:
        referrals = Referral.objects.only(*names)
    people: list = []
    for referral in referrals:
        people.extend(people_of(referral))
    return people


def publication() -> Redactor:
    """Return the redactor for a publishable document: everyone named in any referral."""
    return Redactor(referral_people())


@dataclass
class Redaction:
    """What one person may see of one item: personal fields shown or withheld, and a text
    redactor for everything else (a no-op when they may see it all)."""

    shows_personal: bool
    text: Redactor = field(default_factory=Redactor)
    hidden: frozenset[str] = frozenset()

    def __call__(self, text: str | None) -> str:
        return self.text(text)

    def value(self, name: str, value):
        """Return ``value`` of field ``name`` as this person may see it."""
        if name in self.hidden:
            return REDACTED if value not in (None, "", []) else value
        return self.plain(value)

    def plain(self, value):
        """Redact every text inside ``value`` (strings, lists, dicts, embedded documents)."""
        if not self.text:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, tuple):
            return tuple(self.plain(v) for v in value)
        if isinstance(value, list):
            return [self.plain(v) for v in value]
        if isinstance(value, dict):
            return {k: self.plain(v) for k, v in value.items()}
        if isinstance(value, EmbeddedDocument):
            copy = type(value)._from_son(value.to_mongo())
            for name in copy._fields:
                setattr(copy, name, self.plain(getattr(copy, name)))
            return copy
        return value

    def snapshot(self, data: dict) -> dict:
        """A version's snapshot (stored field names) as this person may see it."""
        return {key: self.value(key, value) for key, value in data.items()}

    def changes(self, changes: dict) -> dict:
        """An audit event's ``{field: [old, new]}`` as this person may see it."""
        return {key: [self.value(key, v) for v in pair] if isinstance(pair, list)
                else self.value(key, pair) for key, pair in (changes or {}).items()}

    def item(self, item):
        """A copy of ``item`` to show (never to save): personal fields withheld and every text
        redacted; the item itself when nothing needs hiding. The copy remembers this
        redaction (:func:`for_item` of it gives this one back)."""
        if self.shows_personal or getattr(item, "_redaction", None) is self:
            return item
        copy = type(item)._from_son(item.to_mongo())
        for name in type(item)._fields:
            if name in ("id", "pk"):
                continue
            value = getattr(item, name, None)
            if name in self.hidden:
                setattr(copy, name, [] if isinstance(value, list) else None)
            elif _has_text(value):
                setattr(copy, name, self.plain(value))
        copy._redaction = self
        return copy


def _has_text(value) -> bool:
    if isinstance(value, str):
        return bool(value)
    if isinstance(value, list | tuple):
        return any(_has_text(v) for v in value)
    return isinstance(value, EmbeddedDocument | dict)


NOTHING_HIDDEN = Redaction(shows_personal=True)


def for_item(user, item) -> Redaction:
    """The redaction of ``item`` for ``user`` (who may view it; the policy decides the rest)."""
    made = getattr(item, "_redaction", None)
    if made is not None:
        return made
    if policy.personal_subject(item) is None or policy.allows(user, "view_personal", item):
        return NOTHING_HIDDEN
    return for_anyone(item)


def for_anyone(item) -> Redaction:
    """The redaction of ``item`` for someone with no right to its personal data (what the
    shared search index holds, or a message to a person without an account)."""
    if policy.personal_subject(item) is None:
        return NOTHING_HIDDEN
    hidden = set(policy.personal_fields(type(item)))
    hidden |= {type(item)._fields[name].db_field for name in hidden}
    return Redaction(shows_personal=False, text=Redactor(people_of(item)),
                     hidden=frozenset(hidden))


def for_recipient(email: str, item) -> Redaction:
    """The redaction of ``item`` for the person with ``email`` (no account: no rights)."""
    user = User.objects(email=(email or "").lower(), active=True).first()
    return for_item(user, item) if user is not None else for_anyone(item)


def text_for(user, item, text: str | None) -> str:
    """``text`` about ``item`` as ``user`` may read it."""
    return for_item(user, item)(text)
