"""Signals that content changed, so behaviours (the search index) follow without coupling.

Services send; ``register_handlers`` wires receivers once per process. Versions and the
audit trail are written by the services themselves (they must not be lost to a receiver
that is not connected); the search index and the dashboard's cache follow as receivers
(``lif/services/searching.py``, ``lif/services/handlers.py``) because both can be rebuilt.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
content_changed = signals.signal("content-changed")  # sender: the item
contents_created = signals.signal("contents-created")  # sender: a list of new items
content_removed = signals.signal("content-removed")  # sender: the item (trashed or purged)
attachment_changed = signals.signal("attachment-changed")  # sender: the Attachment
attachment_removed = signals.signal("attachment-removed")  # sender: the Attachment
# sender: a record appended to an item (a progress update, evidence); ``item=`` the item
record_added = signals.signal("record-added")
