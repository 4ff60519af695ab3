"""Accounts: creation, password checks with throttling, and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from mongoengine.errors import NotUniqueError, ValidationError

from config.roles import AGENCY_ROLES, ROLES

from .. import audit_trail, clock
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Agency, ApiToken, LoginThrottle, User

hasher = PasswordHasher()  # RFC 9106 low-memory profile: Argon2id, 64 MiB, t=3
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
# A hash to check against when the account does not exist, so timing does not tell.
_DUMMY_HASH = hasher.hash("not-a-real-password")


def configure_hasher(cheap: bool) -> None:
    """Use the cheapest Argon2 parameters (tests only: hashing then costs microseconds).

    Hashes made either way verify either way; ``check_needs_rehash`` upgrades a cheap hash
    at the next login in production.
    """
    global hasher, _DUMMY_HASH
    hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if cheap else PasswordHasher()
    _DUMMY_HASH = hasher.hash("not-a-real-password")


# The stems of the passwords tried first (the top of breached-password lists, and this
# partnership's own words): "Password1234!" or "Liverpool2026" is one of these with digits
# and symbols around it, and passes a length rule alone.
COMMON_PASSWORD_STEMS = frozenset("""
    password passwort passwd qwerty qwertz azerty letmein welcome admin administrator login
    iloveyou monkey dragon football baseball sunshine princess master shadow superman batman
    trustno hello freedom whatever starwars secret changeme default guest test testing
    summer winter spring autumn january february march april june july august september
    october november december monday friday london liverpool everton merseyside england
    safeguarding lscb lif children partnership council police health school
""".split())
# Keyboard rows and runs: a password inside one of these (or backwards) is no secret.
_RUNS = ("01234567890123456789", "abcdefghijklmnopqrstuvwxyzabc", "qwertyuiopasdfghjklzxcvbnm",
         "1q2w3e4r5t6y7u8i9o0p", "1qaz2wsx3edc4rfv5tgb6yhn7ujm", "qazwsxedcrfvtgbyhnujmikolp")
_LEET = str.maketrans("013457@$!|", "oieastasil")


def _guessable(password: str) -> bool:
    lowered = password.lower()
    squeezed = re.sub(r"[\s._-]", "", lowered)
    if any(squeezed in run or squeezed in run[::-1] for run in _RUNS):
        return True
    # What is left without the digits and symbols around it, read back from "leet".
    stem = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered).translate(_LEET)
    if not stem:
        return False
    if any(stem in run or stem in run[::-1] for run in _RUNS) and len(stem) >= 4:
        return True
    return any(stem == word * (len(stem) // len(word)) for word in COMMON_PASSWORD_STEMS)


def check_password_policy(password: str, email: str = "") -> None:
    """Refuse short or guessable passwords (NCSC: length over complexity, and no password
    from the top of the breached lists)."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD} characters long.", field="password"
        )
    lowered = password.lower()
    if email and email.split("@")[0].lower() in lowered:
        raise InvalidInput("The password must not contain the email name.", field="password")
    if len(set(password)) < 5:
        raise InvalidInput("The password is too repetitive.", field="password")
    if _guessable(password):
        raise InvalidInput(
            "The password is one of the first an attacker would try; use three or four "
            "unrelated words instead.", field="password")


def find_by_email(email: str) -> User | None:
    return User.objects(email=(email or "").strip().lower()).first()


def create_user(
    email: str,
    password: str | None,
    roles: list[str],
    agency: str | None = None,
    name: str = "",
    *,
    actor=None,
    must_change: bool | None = None,
) -> tuple[User, str | None]:
    """Create an account; return it and the generated password when none was given.

    :param must_change: whether its owner must choose a new password at first sign-in; by
        default when the password was generated here.
    :raises InvalidInput: unknown role or agency, an agency role without agency, bad email.
    :raises Conflict: an account with this email exists.
    """
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email):
        raise InvalidInput(f"'{email}' is not an email address.", field="email")
    roles = list(dict.fromkeys(roles or []))
    if not roles:
        raise InvalidInput("Give at least one role.", field="roles")
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise InvalidInput(
            f"Unknown role '{unknown[0]}' (roles: {', '.join(ROLES)}).", field="roles"
        )
    agency_key = resolve_agency(agency) if agency else None
    if not agency_key and any(role in AGENCY_ROLES for role in roles):
        raise InvalidInput(
            f"The role(s) {', '.join(r for r in roles if r in AGENCY_ROLES)} need an agency.",
            field="agency",
        )
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(15)
    check_password_policy(password, email)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        password_hash=hasher.hash(password),
        roles=roles,
        agency=agency_key,
        created_at=clock.now(),
        must_change_password=generated is not None if must_change is None else must_change,
    )
    try:
        user.save(force_insert=True)
    except NotUniqueError:
        raise Conflict(f"An account for {email} already exists.", field="email") from None
    audit_trail.record("create_user", actor, user, object_type="user", detail=",".join(roles))
    return user, generated


def resolve_agency(value: str) -> str:
    """Return the key of the agency named by key or name (case-insensitive).

    :raises InvalidInput: no such agency.
    """
    value = (value or "").strip()
    agency = Agency.objects(key=value).first() or Agency.objects(name__iexact=value).first()
    if agency is None:
        raise InvalidInput(f"Unknown agency '{value}'.", field="agency")
    return agency.key


def set_password(user: User, password: str, actor=None) -> None:
    check_password_policy(password, user.email)
    User.objects(pk=user.pk).update_one(set__password_hash=hasher.hash(password))
    audit_trail.record("set_password", actor, user, object_type="user")


def _throttle_hit(key: str, now: dt.datetime, max_failures: int, lock_minutes: int) -> None:
    window = now - dt.timedelta(minutes=lock_minutes)
    LoginThrottle.objects(key=key, window_start__lt=window).update_one(
        set__failures=0, set__window_start=now, unset__locked_until=True
    )
    LoginThrottle.objects(key=key).update_one(
        inc__failures=1, set_on_insert__window_start=now, upsert=True
    )
    record = LoginThrottle.objects(key=key).first()
    if record and record.failures >= max_failures and not record.locked_until:
        LoginThrottle.objects(key=key).update_one(
            set__locked_until=now + dt.timedelta(minutes=lock_minutes)
        )


def _locked(key: str, now: dt.datetime) -> dt.datetime | None:
    record = LoginThrottle.objects(key=key).first()
    if record and record.locked_until and record.locked_until > now:
        return record.locked_until
    return None


def authenticate(
    email: str,
    password: str,
    address: str = "",
    *,
    max_failures: int = 5,
    lock_minutes: int = 15,
    now: dt.datetime | None = None,
) -> User:
    """Return the user whose email and password match, recording the attempt.

    Repeated failures for one account, or from one address, lock that key for
    ``lock_minutes``; during the lock even the right password is refused.

    :raises InvalidInput: wrong email or password, or locked (one message, no hint which).
    """
    now = now or clock.now()
    email = (email or "").strip().lower()
    keys = [f"account:{email}", f"address:{address or '-'}"]
    locked = [until for key in keys if (until := _locked(key, now))]
    if locked:
        minutes = max(1, int((max(locked) - now).total_seconds() // 60) + 1)
        audit_trail.record(
            "login_failed", None, object_type="user", object_title=email,
            detail="locked", address=address, at=now,
        )
        raise InvalidInput(
            f"Too many failed attempts. Try again in {minutes} minute(s).", field="password"
        )
    user = find_by_email(email)
    ok = False
    try:
        ok = hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.active:
        for key in keys:
            _throttle_hit(key, now, max_failures, lock_minutes)
        audit_trail.record(
            "login_failed", None, object_type="user", object_title=email,
            detail="bad credentials" if user is None or ok is False else "inactive",
            address=address, at=now,
        )
        raise InvalidInput("Wrong email or password.", field="password")
    LoginThrottle.objects(key=keys[0]).delete()
    User.objects(pk=user.pk).update_one(set__last_login_at=now)
    if hasher.check_needs_rehash(user.password_hash):
        User.objects(pk=user.pk).update_one(set__password_hash=hasher.hash(password))
    audit_trail.record("login", user, user, object_type="user", address=address, at=now)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(email: str, name: str = "", actor=None) -> str:
    """Create an API bearer token for ``email``; only its hash is kept.

    :raises NotFound: no such user.
    """
    user = find_by_email(email)
    if user is None:
        raise NotFound(f"No user with email {email}.")
    secret = secrets.token_urlsafe(32)
    prefix = secrets.token_hex(4)
    token = f"lif_{prefix}_{secret}"
    User.objects(pk=user.pk).update_one(
        push__api_tokens=ApiToken(
            name=name, token_hash=_token_hash(token), prefix=prefix, created_at=clock.now()
        )
    )
    audit_trail.record("create_token", actor, user, object_type="user", detail=prefix)
    return token


def revoke_token(email: str, prefix: str, actor=None) -> None:
    user = find_by_email(email)
    if user is None:
        raise NotFound(f"No user with email {email}.")
    updated = User.objects(pk=user.pk, api_tokens__prefix=prefix).update_one(
        set__api_tokens__S__revoked_at=clock.now()
    )
    if not updated:
        raise NotFound(f"No token {prefix} for {email}.")
    audit_trail.record("revoke_token", actor, user, object_type="user", detail=prefix)


def user_for_token(token: str) -> User | None:
    """Return the active user owning an unrevoked ``token``, else ``None``."""
    parts = (token or "").split("_")
    if len(parts) < 3 or parts[0] != "lif":
        return None
    user = User.objects(api_tokens__prefix=parts[1], active=True).first()
    if user is None:
        return None
    wanted = _token_hash(token)
    for stored in user.api_tokens:
        if stored.prefix == parts[1] and stored.revoked_at is None:
            if hmac.compare_digest(stored.token_hash, wanted):
                return user
    return None


def ensure_admin(email: str, password: str | None) -> tuple[User | None, str | None]:
    """Create the first administrator if no administrator exists yet."""
    if User.objects(roles="admin").first():
        return None, None
    return create_user(email, password, ["admin"], name="LSCB Business Manager")


def get_user(user_id) -> User | None:
    try:
        return User.objects(pk=user_id).first()
    except (ValidationError, TypeError, ValueError):  # a malformed id in a cookie: "nobody"
        return None
    # A database error goes on up: the page says the database is unavailable (503), rather
    # than signing the person out without a word.


def require_user(email: str) -> User:
    user = find_by_email(email)
    if user is None:
        raise NotFound(f"No user with email {email}.")
    return user


def update_user(
    user: User,
    *,
    name: str,
    roles: list[str],
    agency: str | None,
    active: bool,
    actor=None,
) -> User:
    """Change an account's name, roles, agency and whether it may sign in."""
    roles = list(dict.fromkeys(roles or []))
    if not roles:
        raise InvalidInput("Give at least one role.", field="roles")
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise InvalidInput(f"Unknown role '{unknown[0]}'.", field="roles")
    agency_key = resolve_agency(agency) if agency else None
    if not agency_key and any(role in AGENCY_ROLES for role in roles):
        raise InvalidInput("These roles need an agency.", field="agency")
    before = {"name": user.name, "roles": list(user.roles), "agency": user.agency,
              "active": user.active}
    User.objects(pk=user.pk).update_one(
        set__name=name, set__roles=roles, set__agency=agency_key, set__active=bool(active)
    )
    user.reload()
    after = {"name": user.name, "roles": list(user.roles), "agency": user.agency,
             "active": user.active}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit_trail.record("update_user", actor, user, object_type="user", changes=changes)
    return user
