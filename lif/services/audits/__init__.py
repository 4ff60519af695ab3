"""Run an audit end to end, as the Quality and Audit Evidence Committee does.

Plan the audit; import its case population; draw the sample by a stored, reproducible rule;
build versioned audit tools; send one tool per case per agency; let each agency's lead auditor
answer for that agency only; see who has not returned what; compute the findings per question,
overall and by agency; hand recommendations to action plans; and, for a Section 11
self-assessment, collect each agency's RAG self-rating with evidence per standard and record the
panel's scrutiny-and-challenge outcome.

Every rule of this work is in this package (the states each step is open in, who may answer,
the columns a population file needs, how percentages are rounded). Views, the command line and
the scheduler call these functions, as ``audits.draw_random(...)``; nothing else writes the
audit's working records.

One module per phase, each named for what it does:

- :mod:`.rules` — the rules as data: states, population columns, limits, Section 11 standards;
- :mod:`.common` — what several phases share: percentages, the set-up check, the agency
  look-up, :func:`get_audit`;
- :mod:`.planning` — 1. plan the audit (and create or change the audit item);
- :mod:`.cases` — 2. the population: import, add, remove and list its cases;
- :mod:`.sampling` — 2. the sample: draws by rule, reproducing and withdrawing them, make-up;
- :mod:`.tool_builder` — 3. the audit tools: versioned questionnaires, publishing;
- :mod:`.returns` — 3. sending tools, answering for an agency, returns and who owes what;
- :mod:`.analysis` — 4. the findings per question, overall and by agency;
- :mod:`.recommendations` — 5. recommendations into plans' actions;
- :mod:`.section11` — Section 11 self-assessments and the panel's outcomes;
- :mod:`.workspace` — the workspace at a glance, a user's audits and outstanding returns.

(No module is named like a function of the package — ``population``, ``tools``,
``findings``, ``report`` — so ``audits.population`` is always the function.)

Percentages are whole numbers found by the largest-remainder method (see :func:`percentages`).
"""

from __future__ import annotations

from .analysis import Breakdown, OptionCount, QuestionFinding, findings, report
from .cases import (
    ImportResult,
    add_case,
    attribute_values,
    import_population,
    population,
    population_size,
    remove_case,
)
from .common import format_count, get_audit, percent, percentages
from .planning import create_audit, plan_audit, update_audit
from .recommendations import plans_for_actions, recommendation_links, recommendation_to_action
from .returns import (
    AgencyProgress,
    PendingReturn,
    answering_agencies,
    assign_tool,
    assignments,
    get_assignment,
    may_answer_for,
    participant,
    pending_returns,
    progress,
    reopen_return,
    save_answers,
)
from .rules import (
    ANSWER_STATES,
    CHOICE_KINDS,
    COLUMN_ALIASES,
    CRITERIA_FIELDS,
    DATE_COLUMNS,
    KIND_LABELS,
    KNOWN_COLUMNS,
    MAKEUP_FIELDS,
    MAX_EXTRA_COLUMNS,
    MAX_OPTIONS,
    MAX_POPULATION_ROWS,
    MAX_SCALE_STEPS,
    MAX_SEED,
    MAX_TEXT_ANSWER,
    MIN_OPTIONS,
    OUTCOME_LABELS,
    RAG,
    REQUIRED_COLUMNS,
    RULE_LABELS,
    SECTION11_STANDARDS,
    SETUP_STATES,
    SHOWN_PROBLEMS,
    YES_NO_NA,
)
from .sampling import (
    MakeupRow,
    draw_per_agency,
    draw_random,
    draw_sample,
    draw_top_up,
    draws,
    hand_pick,
    reproduce_draw,
    sample_makeup,
    withdraw_draw,
)
from .section11 import (
    SelfAssessment,
    create_section11_tool,
    may_record_section11_outcome,
    record_section11_outcome,
    section11_in_place_of,
    section11_override,
    section11_summary,
)
from .tool_builder import (
    add_question,
    clean_question,
    create_tool,
    draft_of,
    get_tool,
    latest_tools,
    move_question,
    publish_tool,
    remove_question,
    tools,
    update_question,
)
from .workspace import Overview, audits_for, my_outstanding, overview

__all__ = [
    # the rules
    "ANSWER_STATES",
    "CHOICE_KINDS",
    "COLUMN_ALIASES",
    "CRITERIA_FIELDS",
    "DATE_COLUMNS",
    "KIND_LABELS",
    "KNOWN_COLUMNS",
    "MAKEUP_FIELDS",
    "MAX_EXTRA_COLUMNS",
    "MAX_OPTIONS",
    "MAX_POPULATION_ROWS",
    "MAX_SCALE_STEPS",
    "MAX_SEED",
    "MAX_TEXT_ANSWER",
    "MIN_OPTIONS",
    "OUTCOME_LABELS",
    "RAG",
    "REQUIRED_COLUMNS",
    "RULE_LABELS",
    "SECTION11_STANDARDS",
    "SETUP_STATES",
    "SHOWN_PROBLEMS",
    "YES_NO_NA",
    # common
    "format_count",
    "get_audit",
    "percent",
    "percentages",
    # 1. plan
    "create_audit",
    "plan_audit",
    "update_audit",
    # 2. population
    "ImportResult",
    "add_case",
    "attribute_values",
    "import_population",
    "population",
    "population_size",
    "remove_case",
    # 2. sampling
    "MakeupRow",
    "draw_per_agency",
    "draw_random",
    "draw_sample",
    "draw_top_up",
    "draws",
    "hand_pick",
    "reproduce_draw",
    "sample_makeup",
    "withdraw_draw",
    # 3. audit tools
    "add_question",
    "clean_question",
    "create_tool",
    "draft_of",
    "get_tool",
    "latest_tools",
    "move_question",
    "publish_tool",
    "remove_question",
    "tools",
    "update_question",
    # 3. returns
    "AgencyProgress",
    "PendingReturn",
    "answering_agencies",
    "assign_tool",
    "assignments",
    "get_assignment",
    "may_answer_for",
    "participant",
    "pending_returns",
    "progress",
    "reopen_return",
    "save_answers",
    # 4. findings
    "Breakdown",
    "OptionCount",
    "QuestionFinding",
    "findings",
    "report",
    # 5. recommendations
    "plans_for_actions",
    "recommendation_links",
    "recommendation_to_action",
    # Section 11
    "SelfAssessment",
    "create_section11_tool",
    "may_record_section11_outcome",
    "record_section11_outcome",
    "section11_in_place_of",
    "section11_override",
    "section11_summary",
    # the workspace
    "Overview",
    "audits_for",
    "my_outstanding",
    "overview",
]
