"""People with an account, their roles and agency, and their API tokens."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    EmailField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    ObjectIdField,
    StringField,
)

from config.roles import ROLES


class ApiToken(EmbeddedDocument):
    name = StringField(default="")
    token_hash = StringField(required=True)
    prefix = StringField(required=True)
    created_at = DateTimeField(required=True)
    revoked_at = DateTimeField()
    last_used_at = DateTimeField()


class User(Document):
    email = EmailField(required=True, unique=True, max_length=254)
    name = StringField(default="", max_length=200)
    password_hash = StringField(default="")
    roles = ListField(StringField(choices=tuple(ROLES)), default=list)
    agency = StringField(max_length=64)
    active = BooleanField(default=True)
    failed_logins = IntField(default=0)
    locked_until = DateTimeField()
    last_login_at = DateTimeField()
    api_tokens = ListField(EmbeddedDocumentField(ApiToken))
    calendar_token = StringField()
    email_mode = StringField(default="immediate", choices=("immediate", "digest", "none"))
    created_at = DateTimeField()
    # A password someone else chose (generated, reset, the demo's) is changed at first sign-in.
    must_change_password = BooleanField(default=False)
    # Sessions carry the generation they began in; raising it ends every one of them at once
    # (sign-out, a password change or reset, deactivation, "sign out everywhere").
    session_generation = IntField(default=0)
    password_changed_at = DateTimeField()

    meta = {
        "collection": "users",
        "indexes": [
            "roles", "agency", "api_tokens.prefix",
            {"fields": ["calendar_token"], "sparse": True},
        ],
    }

    # The protocol Flask-Login expects of a user object (without importing it here).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        return str(self.pk)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def __str__(self) -> str:
        return self.name or self.email


class PasswordReset(Document):
    """A forgotten-password link: single use, time-limited; only the token's hash is kept."""

    token_hash = StringField(required=True, unique=True)
    user = ObjectIdField(required=True)
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()

    meta = {"collection": "password_resets", "indexes": ["user"]}
