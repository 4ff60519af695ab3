"""Import every area's commands so they join the ``lif`` group (one line per area)."""

from . import (
    backup,  # noqa: F401
    core,  # noqa: F401
    documents,  # noqa: F401
    framework,  # noqa: F401
    ingest,  # noqa: F401
    schedule,  # noqa: F401
    search,  # noqa: F401
)
