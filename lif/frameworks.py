"""The statutory frameworks: the packages of ``config/frameworks/``, loaded and checked.

A framework is data (``config/frameworks/__init__.py`` lists what each package holds). This
module is the one place that finds, loads and checks them and says which one applies:

- :func:`active` — the install's framework, the one new items are made under (set once at
  start-up by :func:`activate`, from the install's stored choice, see
  ``lif/services/frameworks.py``);
- :func:`of` — the framework an item was made under (its ``framework`` field; an item that
  records none was made under the default), whose workflows and clocks it keeps;
- :func:`get`, :func:`names`, :func:`every` — any framework by name, all of them.

A package that is not a framework (a name missing, a clock that is not one, a workflow that
leads nowhere) is refused with a :class:`FrameworkError` naming the package and what is wrong.
Nothing outside ``config/`` names a framework: code asks this module.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import config.frameworks as packages
from config import taxonomy
from config.deadlines import KINDS, UNITS

from .errors import LIFError

#: What every framework package defines (``config/frameworks/__init__.py``).
REQUIRED = ("TITLE", "VOCABULARY", "CLOCKS", "WORKING_DAYS", "REMINDERS", "DOCUMENTS",
            "WORKFLOWS", "ITEM_CLOCKS")
_VOCABULARY = ("board", "board_name", "chair", "committees", "decisions", "review_types",
               "published_reviews")
_REMINDERS = ("action_days_before", "action_overdue_every_days", "meeting_day")


class FrameworkError(LIFError):
    """A framework that does not exist, or a package that is not a framework."""

    status = 400


@dataclass(frozen=True)
class Framework:
    """One statutory framework, as its package in ``config/frameworks/`` defines it."""

    name: str
    title: str
    vocabulary: Mapping
    clocks: Mapping[str, tuple]
    working_days: Mapping
    reminders: Mapping
    documents: tuple[str, ...]
    workflows: Mapping[str, dict]
    item_clocks: Mapping[str, tuple]
    closures: frozenset[dt.date] = field(default=frozenset())
    unused_fields: Mapping[str, tuple] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.title

    def committee_name(self, key: str) -> str:
        """What this framework calls the committee ``key`` (the key if it names none)."""
        return dict(self.vocabulary["committees"]).get(key, key)

    def decision_choices(self) -> list[tuple[str, str]]:
        """``[(key, label)]`` of what a referral's decision may be under this framework."""
        labels = dict((*taxonomy.SCR_RECOMMENDATIONS, *taxonomy.RAPID_REVIEW_DECISIONS))
        return [(key, labels[key]) for key in self.vocabulary["decisions"]]

    def offers(self, document: str) -> bool:
        """Whether the Word document ``document`` (a kind's key) is offered under it."""
        return document in self.documents


def names() -> list[str]:
    """Return the names of the framework packages in ``config/frameworks/``, sorted."""
    return sorted(info.name for info in pkgutil.iter_modules(packages.__path__) if info.ispkg)


def default_name() -> str:
    return packages.DEFAULT


@functools.cache
def get(name: str) -> Framework:
    """Return the framework ``name``, loaded and checked once.

    :raises FrameworkError: there is no such framework, or its package is not one.
    """
    known = names()
    if name not in known:
        raise FrameworkError(f"There is no framework {name!r}: choose one of "
                             f"{', '.join(known)} (packages in config/frameworks/).")
    module = importlib.import_module(f"{packages.__name__}.{name}")
    framework = _build(name, module)
    _check(framework)
    return framework


def every() -> list[Framework]:
    """Return every framework, checked, and checked against each other (:func:`_agree`)."""
    return list(_every())


@functools.cache
def _every() -> tuple[Framework, ...]:
    frameworks = tuple(get(name) for name in names())
    _agree(list(frameworks))
    return frameworks


def forget() -> None:
    """Forget what was loaded: the next call reads ``config/frameworks/`` again (a package
    added while running, as tests do)."""
    get.cache_clear()
    _every.cache_clear()


_active: str | None = None
# A framework the items made in this context are made under instead of the install's
# (:func:`making_under`); per thread, so a web request elsewhere is not affected.
_making_under: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lif_making_under", default=None)


def activate(name: str) -> Framework:
    """Make ``name`` the framework new items are made under in this process.

    :raises FrameworkError: no such framework, or its package is not one.
    """
    global _active
    framework = get(name)
    every()  # a framework that disagrees with another is refused at start-up, not later
    _active = name
    return framework


def active() -> Framework:
    """Return the framework new items are made under: the install's (the default until
    :func:`activate` is called), or the one :func:`making_under` names here."""
    return get(_making_under.get() or _active or default_name())


@contextlib.contextmanager
def making_under(name: str) -> Iterator[Framework]:
    """Make the items made inside the block (in this thread) under framework ``name``: the
    source's historical learning (the demo's Appendix One) was made under the source's
    framework, whatever the install works to now.

    :raises FrameworkError: no such framework.
    """
    token = _making_under.set(get(name).name)
    try:
        yield get(name)
    finally:
        _making_under.reset(token)


def of(item) -> Framework:
    """Return the framework ``item`` was made under (the default if it records none).

    :raises FrameworkError: it names a framework this install no longer has.
    """
    name = getattr(item, "framework", None)
    return get(name) if name else get(default_name())


def made_under(framework: Framework) -> dict:
    """Return a raw query matching the items made under ``framework`` (those that record no
    framework are the default's)."""
    names_ = [framework.name] + ([None] if framework.name == default_name() else [])
    return {"framework": {"$in": names_}}


def workflow(type_key: str, item=None) -> dict:
    """Return the workflow of ``type_key``: ``item``'s framework's, or for a new item (no
    ``item``) the install's."""
    framework = of(item) if item is not None else active()
    return framework.workflows[type_key]


def workflows_of_type(type_key: str) -> list[dict]:
    """Every framework's workflow of ``type_key`` (what a list of items may hold)."""
    return [framework.workflows[type_key] for framework in every()]


# --- checks -----------------------------------------------------------------------------


def _build(name: str, module) -> Framework:
    missing = [key for key in REQUIRED if not hasattr(module, key)]
    if missing:
        raise FrameworkError(f"The framework package {name!r} does not define "
                             f"{', '.join(missing)} (see config/frameworks/__init__.py).")
    working_days = dict(module.WORKING_DAYS)
    try:
        closures = frozenset(dt.date.fromisoformat(day)
                             for day in working_days.get("closures", ()))
    except (TypeError, ValueError) as error:
        raise FrameworkError(f"Framework {name!r}: a closure day is not a date YYYY-MM-DD "
                             f"({error}).") from None
    return Framework(
        name=name, title=str(module.TITLE).strip(), vocabulary=dict(module.VOCABULARY),
        clocks=dict(module.CLOCKS), working_days=working_days,
        reminders=dict(module.REMINDERS), documents=tuple(module.DOCUMENTS),
        workflows=dict(module.WORKFLOWS), item_clocks=dict(module.ITEM_CLOCKS),
        closures=closures, unused_fields=dict(getattr(module, "UNUSED_FIELDS", {})))


def _check(framework: Framework) -> None:
    problems = []
    if not framework.title:
        problems.append("its TITLE is empty")
    problems += [f"VOCABULARY has no {key!r}" for key in _VOCABULARY
                 if key not in framework.vocabulary]
    problems += [f"REMINDERS has no {key!r}" for key in _REMINDERS
                 if key not in framework.reminders]
    for name, spec in framework.clocks.items():
        if (not isinstance(spec, tuple | list) or len(spec) != 3 or spec[1] not in UNITS
                or spec[2] not in KINDS or not isinstance(spec[0], int) or spec[0] < 0):
            problems.append(f"clock {name!r} is {spec!r}, not (amount, unit, kind) with a unit "
                            f"of {', '.join(UNITS)} and a kind of {', '.join(KINDS)}")
    country = framework.working_days.get("country")
    try:
        import holidays

        holidays.country_holidays(country, subdiv=framework.working_days.get("subdivision"))
    except (NotImplementedError, KeyError, TypeError) as error:
        problems.append(f"WORKING_DAYS names no bank holidays the holidays library knows "
                        f"({error})")
    known_types = {t["key"] for t in taxonomy.REVIEW_TYPES}
    problems += [f"review type {key!r} is not in config/taxonomy.py REVIEW_TYPES"
                 for key in framework.vocabulary.get("review_types", ()) if key not in known_types]
    decisions = {key for key, _ in (*taxonomy.SCR_RECOMMENDATIONS,
                                    *taxonomy.RAPID_REVIEW_DECISIONS)}
    problems += [f"decision {key!r} is not in config/taxonomy.py" for key in
                 framework.vocabulary.get("decisions", ()) if key not in decisions]
    committees = {key for key, _ in taxonomy.COMMITTEES}
    problems += [f"committee {key!r} is not in config/taxonomy.py COMMITTEES"
                 for key, _ in framework.vocabulary.get("committees", ()) if key not in committees]
    expected = set(packages.DEFAULT_WORKFLOWS)
    if set(framework.workflows) != expected:
        problems.append("WORKFLOWS must have one workflow for each of "
                        + ", ".join(sorted(expected)))
    for type_key, spec in framework.workflows.items():
        problems += [f"{type_key}: {p}" for p in _workflow_problems(spec)]
    for type_key, item_clocks in framework.item_clocks.items():
        for spec in item_clocks:
            problems += [f"{type_key} clock {spec.get('label')!r} names no clock {spec.get(k)!r}"
                         for k in ("clock", "amber")
                         if spec.get(k) and spec[k] not in framework.clocks]
    if problems:
        raise FrameworkError(f"Framework {framework.name!r} is not usable: "
                             + "; ".join(problems) + ".")


def _workflow_problems(spec: dict) -> list[str]:
    states = spec.get("states", {})
    problems = [] if spec.get("initial") in states else [
        f"its initial state {spec.get('initial')!r} is not one of its states"]
    seen = set()
    for t in spec.get("transitions", ()):
        if t["name"] in seen:
            problems.append(f"two transitions are named {t['name']!r}")
        seen.add(t["name"])
        problems += [f"transition {t['name']!r} goes from or to {s!r}, not a state"
                     for s in (*t["from"], t["to"]) if s not in states]
    return problems


def _agree(frameworks: list[Framework]) -> None:
    """Refuse two frameworks whose workflows of one type share a state name but not who may
    view items in it: a list of items mixes frameworks, and reads the states by name."""
    seen: dict[tuple[str, str], tuple[str, tuple]] = {}
    for framework in frameworks:
        for type_key, spec in framework.workflows.items():
            for state, rights in spec["states"].items():
                first = seen.setdefault((type_key, state), (framework.name, rights["view"]))
                if set(first[1]) != set(rights["view"]):
                    raise FrameworkError(
                        f"Frameworks {first[0]!r} and {framework.name!r} both have a "
                        f"{type_key} state {state!r} but let different roles view it: name "
                        "one of them differently.")
