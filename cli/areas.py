"""Import every area's commands so they join the ``lif`` group (one line per area)."""

from . import core  # noqa: F401
from . import ingest  # noqa: F401
from . import schedule  # noqa: F401
from . import documents  # noqa: F401
from . import search  # noqa: F401
from . import backup  # noqa: F401
