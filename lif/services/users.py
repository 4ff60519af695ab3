"""Accounts: creation, password checks with throttling, and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from mongoengine.errors import NotUniqueError, ValidationError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from zxcvbn import zxcvbn

from config.roles import AGENCY_ROLES, ROLES

from .. import audit_trail, clock, emails
from ..errors import Conflict, InvalidInput, NotFound
from ..models import Agency, ApiToken, LoginThrottle, PasswordReset, User

hasher = PasswordHasher()  # RFC 9106 low-memory profile: Argon2id, 64 MiB, t=3
MIN_PASSWORD = 12
# zxcvbn's top score: at least 10^10 guesses, out of reach of an attacker holding a copy of
# the hashes. Score 3 (10^8) still lets "Password-Password" and "P@ssw0rd P@ssw0rd" in.
MIN_SCORE = 4
# This partnership's own words, the first an attacker who knows where LIF runs would try.
LOCAL_WORDS = ("liverpool", "everton", "merseyside", "safeguarding", "lscb", "lif",
               "children", "partnership", "council", "police", "health", "school")
# How many Argon2 computations this process runs at once: each takes 64 MiB, so a burst of
# sign-ins waits its turn rather than taking 2 GiB (measured: 31 parallel logins grew the
# process by 846 MiB without this).
HASHES_AT_ONCE = 4
_hash_slots = threading.BoundedSemaphore(HASHES_AT_ONCE)
# A hash to check against when the account does not exist, so timing does not tell.
_DUMMY_HASH = hasher.hash("not-a-real-password")
RESET_LINK_LIFETIME = dt.timedelta(hours=1)


def configure_hasher(cheap: bool) -> None:
    """Use the cheapest Argon2 parameters (tests only: hashing then costs microseconds).

    Hashes made either way verify either way; ``check_needs_rehash`` upgrades a cheap hash
    at the next login in production.
    """
    global hasher, _DUMMY_HASH
    hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if cheap else PasswordHasher()
    _DUMMY_HASH = hasher.hash("not-a-real-password")


def _hash(password: str) -> str:
    with _hash_slots:
        return hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    with _hash_slots:
        try:
            return hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def _weakness(result: dict) -> str:
    """Say in words why zxcvbn found a password easy to guess."""
    warning = (result.get("feedback") or {}).get("warning") or ""
    if warning:
        return warning.rstrip(".")
    words = [m["token"].lower() for m in result["sequence"] if m["pattern"] == "dictionary"]
    if len(words) != len(set(words)):
        return "It repeats the same word"
    if any(m.get("l33t") for m in result["sequence"] if m["pattern"] == "dictionary"):
        return "It is a common word with letters swapped for symbols"
    return "It is made of common words or patterns"


def check_password_policy(password: str, email: str = "", name: str = "") -> None:
    """Refuse short or guessable passwords, saying why.

    NCSC's advice: length over complexity, and nothing an attacker tries first. The strength
    is estimated by zxcvbn (dictionaries of breached passwords, names and words; keyboard
    runs; repeats; "leet" swaps; dates), with the person's email and name and the
    partnership's own words counted as guessable.

    :raises InvalidInput: on field ``password``.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD} characters long.", field="password"
        )
    local = email.split("@")[0].lower() if email else ""
    if local and local in password.lower():
        raise InvalidInput("The password must not contain the email name.", field="password")
    hints = [part for part in re.split(r"[\W_]+", f"{email} {name}".lower()) if len(part) > 2]
    # zxcvbn's cost grows with the length; past 100 characters only the start is judged.
    result = zxcvbn(password[:100], user_inputs=[*hints, *LOCAL_WORDS])
    if result["score"] < MIN_SCORE:
        raise InvalidInput(
            f"This password is too easy to guess: {_weakness(result)} (an attacker would "
            f"find it in about 10^{int(result['guesses_log10'])} guesses). Use three or "
            "four unrelated words instead.", field="password")


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
    if not emails.is_email(email):
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
    check_password_policy(password, email, name)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        password_hash=_hash(password),
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


def set_password(user: User, password: str, actor=None, *, must_change: bool = False,
                 action: str = "set_password") -> None:
    """Give ``user`` a new password and end every session of theirs.

    Unused reset links of theirs stop working too.

    :param must_change: its owner must choose another at the next sign-in (a password
        someone else chose or generated).
    :param action: what the audit trail calls it.
    :raises InvalidInput: the password is too short or guessable.
    """
    check_password_policy(password, user.email, user.name)
    now = clock.now()
    User.objects(pk=user.pk).update_one(
        set__password_hash=_hash(password), set__must_change_password=must_change,
        set__password_changed_at=now, inc__session_generation=1,
    )
    PasswordReset.objects(user=user.pk, used_at=None).update(set__used_at=now)
    user.reload()
    audit_trail.record(action, actor, user, object_type="user",
                       address=getattr(actor, "address", "") or "")


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password: the current one is required; other sessions end.

    :raises InvalidInput: the current password is wrong (field ``current_password``) or the
        new one is refused by the policy (field ``new_password``).
    """
    if not _verify(user.password_hash, current or ""):
        raise InvalidInput("The current password is wrong.", field="current_password")
    if new == current:
        raise InvalidInput("Choose a password different from the current one.",
                           field="new_password")
    try:
        set_password(user, new, user, action="change_password")
    except InvalidInput as error:
        raise InvalidInput(error.message, field="new_password") from None


def reset_password(user: User, actor, password: str | None = None) -> str:
    """Reset another person's password (an administrator's act); return the new password.

    The person is signed out everywhere and must choose their own at the next sign-in.
    """
    password = password or secrets.token_urlsafe(15)
    set_password(user, password, actor, must_change=True, action="reset_password")
    return password


def end_sessions(user: User, actor, reason: str = "sign_out_everywhere") -> None:
    """End every session of ``user`` at once (each carries the generation it began in)."""
    User.objects(pk=user.pk).update_one(inc__session_generation=1)
    user.reload()
    audit_trail.record(reason, actor, user, object_type="user",
                       address=getattr(actor, "address", "") or "")


def session_is_current(user: User, generation) -> bool:
    """Whether a session that began in ``generation`` may still act for ``user``."""
    return bool(user.active) and generation == (user.session_generation or 0)


# --- the login throttle ---------------------------------------------------------------------
# Every attempt is counted before its password is checked, by one atomic update in the
# database (which all workers share), so a burst of parallel guesses gets no more checks than
# the limit: the 6th of 31 simultaneous attempts already sees a count over it.


def _throttle():
    return LoginThrottle._get_collection()


def _count_attempt(key: str, now: dt.datetime, max_failures: int, lock_minutes: int) -> bool:
    """Count one attempt under ``key``; return whether it is within the limit.

    A key over the limit is locked for ``lock_minutes``; after the lock (or a quiet window of
    that length) the count starts again.
    """
    window = dt.timedelta(minutes=lock_minutes)
    _throttle().update_one(
        {"key": key, "$or": [{"locked_until": {"$lte": now}},
                             {"locked_until": None, "window_start": {"$lt": now - window}}]},
        {"$set": {"failures": 0, "window_start": now, "locked_until": None}},
    )
    # Made first, then counted: SecantusDB's find_one_and_update with upsert sometimes
    # answers None to one of several concurrent first attempts (measured: 1-2 of 31), though
    # it counted them; without upsert it always answers.
    record = None
    for _ in range(3):  # a success may remove the record in between: make it again
        try:
            _throttle().update_one(
                {"key": key},
                {"$setOnInsert": {"failures": 0, "window_start": now, "locked_until": None}},
                upsert=True)
        except DuplicateKeyError:  # another first attempt made it at the same moment
            pass
        record = _throttle().find_one_and_update({"key": key}, {"$inc": {"failures": 1}},
                                                 return_document=ReturnDocument.AFTER)
        if record is not None:
            break
    if record is None:
        return False  # in doubt, refuse
    if record["failures"] <= max_failures:
        return True
    _throttle().update_one({"key": key, "locked_until": None},
                           {"$set": {"locked_until": now + window}})
    return False


def _locked_until(keys: list[str], now: dt.datetime) -> dt.datetime:
    found = [r["locked_until"] for r in _throttle().find({"key": {"$in": keys}})
             if r.get("locked_until") and r["locked_until"] > now]
    return max(found, default=now + dt.timedelta(minutes=1))


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

    Every attempt counts against the account and the address before the password is
    checked, and a success gives its count back: so no more than ``max_failures`` wrong
    passwords are ever checked per key in a window of ``lock_minutes``, however many arrive
    at once. One more locks that key for ``lock_minutes``; during the lock even the right
    password is refused.

    :raises InvalidInput: wrong email or password, or locked (one message, no hint which).
    """
    now = now or clock.now()
    email = (email or "").strip().lower()
    keys = [f"account:{email}", f"address:{address or '-'}"]
    allowed = [_count_attempt(key, now, max_failures, lock_minutes) for key in keys]
    if not all(allowed):
        until = _locked_until(keys, now)
        minutes = max(1, int((until - now).total_seconds() // 60) + 1)
        audit_trail.record(
            "login_failed", None, object_type="user", object_title=email,
            detail="locked", address=address, at=now,
        )
        raise InvalidInput(
            f"Too many failed attempts. Try again in {minutes} minute(s).", field="password"
        )
    user = find_by_email(email)
    ok = _verify(user.password_hash if user else _DUMMY_HASH, password or "")
    if not ok or user is None or not user.active:
        audit_trail.record(
            "login_failed", None, object_type="user", object_title=email,
            detail="bad credentials" if user is None or ok is False else "inactive",
            address=address, at=now,
        )
        raise InvalidInput("Wrong email or password.", field="password")
    # A success gives its count back (so signing in often locks nobody out) and clears
    # nothing else: of a burst, the guesses counted before it still count.
    for key in keys:
        _throttle().update_one({"key": key, "failures": {"$gt": 0}}, {"$inc": {"failures": -1}})
    User.objects(pk=user.pk).update_one(set__last_login_at=now)
    if hasher.check_needs_rehash(user.password_hash):
        User.objects(pk=user.pk).update_one(set__password_hash=_hash(password))
    audit_trail.record("login", user, user, object_type="user", address=address, at=now)
    return user


# --- the forgotten password ---------------------------------------------------------------


def request_password_reset(email: str, address: str = "", *, max_requests: int = 5,
                           lock_minutes: int = 15,
                           now: dt.datetime | None = None) -> tuple[User, str] | None:
    """Make a single-use reset link's token for the active account of ``email``.

    Only its hash is stored; it works for :data:`RESET_LINK_LIFETIME`, once. Requests are
    throttled per account like sign-ins, so nobody can flood someone's inbox.

    :return: the user and the token to send them, or ``None`` (no such active account, or
        too many requests): the caller answers the same either way.
    """
    now = now or clock.now()
    email = (email or "").strip().lower()
    if not _count_attempt(f"reset:{email}", now, max_requests, lock_minutes):
        return None
    user = find_by_email(email)
    if user is None or not user.active:
        return None
    token = secrets.token_urlsafe(32)
    PasswordReset.objects(user=user.pk, used_at=None).update(set__used_at=now)
    PasswordReset(token_hash=_token_hash(token), user=user.pk, created_at=now,
                  expires_at=now + RESET_LINK_LIFETIME).save()
    audit_trail.record("request_password_reset", None, user, object_type="user",
                       address=address, at=now)
    return user, token


def reset_link_user(token: str, now: dt.datetime | None = None) -> User | None:
    """Return the user a reset link is for while it is unused and unexpired, else ``None``."""
    now = now or clock.now()
    link = PasswordReset.objects(token_hash=_token_hash(token or ""), used_at=None,
                                 expires_at__gt=now).first()
    if link is None:
        return None
    user = User.objects(pk=link.user, active=True).first()
    return user


def reset_with_link(token: str, password: str, address: str = "",
                    now: dt.datetime | None = None) -> User:
    """Set a new password through a reset link, which is then used up.

    :raises NotFound: the link is unknown, used or expired.
    :raises InvalidInput: the password is refused by the policy (the link still works).
    """
    now = now or clock.now()
    user = reset_link_user(token, now)
    if user is None:
        raise NotFound("This link has expired or was already used; ask for a new one.")
    try:
        check_password_policy(password, user.email, user.name)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="new_password") from None
    # Claimed atomically: of two uses at once, one wins.
    claimed = PasswordReset.objects(token_hash=_token_hash(token), used_at=None,
                                    expires_at__gt=now).update_one(set__used_at=now)
    if not claimed:
        raise NotFound("This link has expired or was already used; ask for a new one.")
    actor = user
    actor.address = address
    set_password(user, password, actor, action="reset_password_by_email")
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
    ended = user.active and not active  # deactivated: every session of theirs ends now
    User.objects(pk=user.pk).update_one(
        set__name=name, set__roles=roles, set__agency=agency_key, set__active=bool(active),
        inc__session_generation=1 if ended else 0,
    )
    user.reload()
    after = {"name": user.name, "roles": list(user.roles), "agency": user.agency,
             "active": user.active}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit_trail.record("update_user", actor, user, object_type="user", changes=changes)
    return user
