"""The default framework's workflows (kept so older imports keep working).

Each statutory framework holds its own workflows: ``config/frameworks/<name>/workflows.py``,
in the shape described in ``config/frameworks/parts.py``. An item follows the workflows of
the framework it was made under (``lif/frameworks.py`` resolves it); this module is only the
default framework's, for code and tests that mean that one.
"""

from config.frameworks import DEFAULT_WORKFLOWS as WORKFLOWS
from config.frameworks.parts import ALL, STAFF, state, transition

__all__ = ["ALL", "STAFF", "WORKFLOWS", "state", "transition"]
