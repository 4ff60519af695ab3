"""The services: the only code that changes data, one module per aggregate.

Importing this package registers every workflow effect with the engine: the services below own
the effects ``config/workflows.py`` names, each registering its own with
``@workflow.effect(name)`` (as blueprints register with an app). ``lif.workflow`` never
imports a service.
"""

from . import pdc, plans, publication, referrals

__all__ = ["pdc", "plans", "publication", "referrals"]
