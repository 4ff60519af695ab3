"""Reference data for forms and labels: agencies and themes."""

from __future__ import annotations

import time

from config import taxonomy

from ..models import Agency

_CACHE_SECONDS = 30.0
_cache: dict = {"at": 0.0, "agencies": []}


def _agencies() -> list[tuple[str, str]]:
    if time.monotonic() - _cache["at"] > _CACHE_SECONDS:
        _cache["agencies"] = [(a.key, a.name) for a in Agency.objects.only("key", "name")]
        _cache["at"] = time.monotonic()
    return _cache["agencies"]


def forget() -> None:
    """Drop cached agencies (after an agency is added or renamed)."""
    _cache["at"] = 0.0


def agency_choices() -> list[tuple[str, str]]:
    return sorted(_agencies(), key=lambda pair: pair[1])


def agency_names() -> dict[str, str]:
    return dict(_agencies())


def agency_name(key: str | None) -> str:
    return agency_names().get(key or "", key or "")


def theme_choices() -> list[tuple[str, str]]:
    return list(taxonomy.THEMES)


def theme_labels() -> dict[str, str]:
    return dict(taxonomy.THEMES)


def review_type_labels() -> dict[str, str]:
    return {t["key"]: t["label"] for t in taxonomy.REVIEW_TYPES}
