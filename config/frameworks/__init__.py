"""Statutory frameworks as data: one package per framework, in this directory.

A framework is the set of rules a safeguarding board or partnership works to: the source's
Liverpool LSCB framework (Working Together 2015, the default) or Working Together 2023
(England). Each package ``config/frameworks/<name>/`` defines, as plain data:

``TITLE``
    The framework's name as people read it (the dashboard, every generated document's
    footer).
``VOCABULARY``
    What the framework calls things: ``board`` (short and long name), ``chair``,
    ``committees`` (key, name), ``decisions`` (what a referral's decision may be: keys of
    ``config/taxonomy.py`` ``SCR_RECOMMENDATIONS`` or ``RAPID_REVIEW_DECISIONS``),
    ``review_types`` (keys of ``config/taxonomy.py`` ``REVIEW_TYPES`` offered under it),
    ``published_reviews`` (review types whose reports stay published at least the
    ``publication`` clock); optionally ``register`` (``{"stages": {state: words},
    "holders": {state: who}}``: how the referral register names each state).
``CLOCKS``
    ``{name: (amount, unit, kind)}``: every period the framework sets, each stating its unit
    (``"days"``, ``"months"`` or ``"working_days"``); see ``config/deadlines.py`` for kinds.
``WORKING_DAYS``
    ``{"country", "subdivision", "closures"}``: whose bank holidays (the ``holidays``
    library's codes) and the local closure days (ISO dates) a working-day clock skips.
``REMINDERS``
    ``{"action_days_before": (...), "action_overdue_every_days": n, "meeting_day": d}``.
``DOCUMENTS``
    The keys of the Word documents offered under it (``documents/writers`` ``KINDS``).
``WORKFLOWS``
    ``{content type: workflow}``, one for every content type, in the shape of
    ``config/frameworks/parts.py``.
``UNUSED_FIELDS`` (optional)
    ``{content type: (field, ...)}``: fields of another framework's pathway that forms
    under this one do not offer.
``ITEM_CLOCKS``
    ``{content type: (clock, ...)}``: the clocks shown on an item's page and on the
    register, each ``{"label", "clock", "from", "done", "amber"}`` (field names and clock
    names; see ``lif/clocks.py`` ``item_clocks``).

``lif/frameworks.py`` loads and checks them; nothing outside ``config/`` names one. Adding a
framework is adding a package here (``docs/frameworks.md``).
"""

import importlib

#: The framework of an install that chose none, and of every item that records none (items
#: made before frameworks were recorded were made under it).
DEFAULT = "lscb_2015"

#: The default framework's workflows (``config/workflows.py`` re-exports them).
DEFAULT_WORKFLOWS = importlib.import_module(f"{__name__}.{DEFAULT}").WORKFLOWS

__all__ = ["DEFAULT", "DEFAULT_WORKFLOWS"]
