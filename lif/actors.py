"""Who does something. Services take an actor; the system itself is one too."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SystemActor:
    """The scheduler and the command line acting on their own."""

    email: str = "system"
    roles: tuple = field(default=("admin",))
    agency: str | None = None
    name: str = "LIF (system)"
    is_authenticated: bool = True

    @property
    def is_admin(self) -> bool:
        return True

    def has_role(self, *roles: str) -> bool:
        return "admin" in roles or any(r in self.roles for r in roles)


SYSTEM = SystemActor()


def actor_email(actor) -> str:
    return getattr(actor, "email", None) or "anonymous"
