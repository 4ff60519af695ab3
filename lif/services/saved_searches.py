"""Saved searches: a named search or filtered list, kept by its owner, shared with roles."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from mongoengine import Q

from config.roles import ROLES

from .. import audit_trail, clock, policy
from ..edits import validate
from ..errors import InvalidInput, NotFound, PermissionDenied
from ..models.saved_search import SavedSearch

PATH_RE = re.compile(r"^/admin/[a-z_]+/$")


def save(user, name: str, path: str, query: str, shared_with: list[str]) -> SavedSearch:
    """Keep a search (its path and query string) under ``name``.

    :raises InvalidInput: no name, a path that is not a list or search page, unknown roles.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Give the search a name.", field="name")
    if not PATH_RE.match(path or ""):
        raise InvalidInput("Only list and search pages can be saved.", field="path")
    unknown = [r for r in shared_with or [] if r not in ROLES]
    if unknown:
        raise InvalidInput(f"Unknown role '{unknown[0]}'.", field="shared_with")
    # Keep the filters and search, not the page number or the CSRF token.
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False)
             if k not in ("page", "csrf_token")]
    saved = SavedSearch(name=name[:120], owner=user.email, path=path,
                        query=urlencode(pairs)[:4000], shared_with=list(shared_with or []),
                        created_at=clock.now())
    validate(saved)
    saved.save()
    audit_trail.record("save_search", user, object_type="saved_search",
                       object_id=str(saved.pk), object_title=saved.name)
    return saved


def visible_to(user) -> list[SavedSearch]:
    roles = list(policy.roles_of(user))
    return list(SavedSearch.objects(Q(owner=user.email) | Q(shared_with__in=roles))
                .order_by("name")[:50])


def delete(user, saved_id) -> None:
    saved = SavedSearch.objects(pk=saved_id).first()
    if saved is None:
        raise NotFound("No such saved search.")
    if saved.owner != user.email and not policy.is_admin(user):
        raise PermissionDenied("Only its owner can delete a saved search.")
    saved.delete()


def url_of(saved: SavedSearch) -> str:
    return f"{saved.path}?{saved.query}" if saved.query else saved.path
