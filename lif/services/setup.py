"""What happens on every start: reference data, the first administrator, the demo."""

from __future__ import annotations

from .. import seed
from ..errors import InvalidInput
from . import users


def first_start(admin_email: str, admin_password: str | None, demo: bool) -> list[str]:
    """Make the install usable; return lines to show the operator once."""
    lines = []
    seed.seed_reference()
    try:
        admin, generated = users.ensure_admin(admin_email, admin_password)
    except InvalidInput as error:
        raise InvalidInput(f"LIF_ADMIN_EMAIL/LIF_ADMIN_PASSWORD: {error.message}") from None
    if admin is not None:
        lines.append(f"Created the first administrator: {admin.email}")
        if generated:
            lines.append(f"  Generated password (shown once, change it): {generated}")
    if demo:
        result = seed.seed_demo()
        if result["reviews"] or result["audits"] or result["plans"] or result["users"]:
            lines.append(
                f"Loaded demo data: {result['reviews']} reviews, {result['audits']} audits, "
                f"{result['plans']} action plans, {result['users']} demo accounts."
            )
        if result["password"]:
            lines.append(
                f"  Demo accounts (e.g. lead.police@{seed.DEMO_DOMAIN}) share the password: "
                f"{result['password']}"
            )
    return lines
