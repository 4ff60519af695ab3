"""The workflows of every framework (config/frameworks/) resolve: every name they use exists,
and every guard and effect that exists is used by one of them."""

from __future__ import annotations

import pytest

import lif.services  # noqa: F401 - importing the services registers their effects
from config.roles import FIELDS, LOCAL_ROLES, ROLES, SCOPE
from lif import frameworks, guards, workflow

# "framework.type" -> workflow, for every framework's workflows.
WORKFLOWS = {f"{fw.name}.{key}": flow for fw in frameworks.every()
             for key, flow in fw.workflows.items()}
TRANSITIONS = [(key, spec) for key, flow in WORKFLOWS.items() for spec in flow["transitions"]]


def _type(key: str) -> str:
    return key.split(".", 1)[1]


def test_every_guard_named_is_defined_and_every_guard_defined_is_named():
    named = {spec["guard"] for _, spec in TRANSITIONS if spec["guard"]}
    assert named - set(guards.GUARDS) == set(), "named in config/workflows.py, not defined"
    assert set(guards.GUARDS) - named == set(), "defined in lif/guards.py, never used"


def test_every_effect_named_is_registered_and_every_effect_registered_is_named():
    named = {effect for _, spec in TRANSITIONS for effect in spec["effects"]}
    registered = set(workflow.registered_effects())
    assert named - registered == set(), "named in config/workflows.py, registered by no service"
    assert registered - named == set(), "registered by a service, never used"


@pytest.mark.parametrize(("key", "spec"), TRANSITIONS,
                         ids=[f"{key}.{spec['name']}" for key, spec in TRANSITIONS])
def test_each_transition_joins_states_of_its_workflow_for_known_roles(key, spec):
    states = WORKFLOWS[key]["states"]
    assert set(spec["from"]) <= set(states) and spec["to"] in states
    assert set(spec["roles"]) <= set(ROLES)


@pytest.mark.parametrize("key", WORKFLOWS)
def test_each_workflow_starts_in_one_of_its_states_and_lists_known_roles(key):
    flow = WORKFLOWS[key]
    assert flow["initial"] in flow["states"]
    local = set(LOCAL_ROLES.get(_type(key), {}))
    for state in flow["states"].values():
        assert set(state["view"]) <= set(ROLES) | local
        assert set(state["edit"]) | set(state["trash"]) | set(state["add"]) <= set(ROLES)
    for role, states in flow.get("worklists", {}).items():
        assert role in ROLES and set(states) <= set(flow["states"])


def test_the_policy_s_tables_name_known_roles_types_and_fields():
    """config/roles.py's scope, local roles and field rules name real roles and fields."""
    from lif.models import CONTENT_TYPES

    for (role, key), scope in SCOPE.items():
        fields = (scope["field"],) if isinstance(scope["field"], str) else scope["field"]
        assert role in ROLES and set(fields) <= set(CONTENT_TYPES[key]._fields)
    for key, names in LOCAL_ROLES.items():
        assert set(names.values()) <= set(CONTENT_TYPES[key]._fields)
    for (key, name), rule in FIELDS.items():
        assert name in CONTENT_TYPES[key]._fields and set(rule["roles"]) <= set(ROLES)
    for key, flow in WORKFLOWS.items():
        for spec in flow["transitions"]:
            assert set(spec["records"]) <= set(CONTENT_TYPES[_type(key)]._fields), spec["name"]


def test_two_effects_of_one_name_are_refused():
    with pytest.raises(ValueError, match="Two workflow effects are named 'notify_referrer'"):
        workflow.effect("notify_referrer")(lambda item, actor, now: None)

