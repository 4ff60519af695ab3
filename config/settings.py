"""Settings read from the environment.

Every ``LIF_*`` variable is read here and nowhere else. A bad value fails loudly at start-up
with a message naming the variable, rather than being silently replaced by a default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class SettingError(ValueError):
    """An environment variable holds a value LIF cannot use."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_int(name: str, default: int, *, low: int | None = None, high: int | None = None) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise SettingError(f"{name} must be between {low} and {high}, not {value}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name} must be 1 or 0 (or true/false), not {raw!r}")


def secret_key(data_dir: Path) -> str:
    """Return ``LIF_SECRET_KEY``, or a key generated once and kept in the data dir."""
    configured = env_str("LIF_SECRET_KEY")
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class Config:
    """Settings shared by every environment; read when the class is instantiated."""

    TESTING = False
    DEBUG = False

    def __init__(self) -> None:
        self.LIF_DATA_DIR = Path(env_str("LIF_DATA_DIR", "instance")).resolve()
        self.MONGODB_URI = env_str("MONGODB_URI")
        self.LIF_DB_NAME = env_str("LIF_DB_NAME", "lif")
        self.LIF_HOST = env_str("LIF_HOST", "127.0.0.1")
        self.LIF_PORT = env_int("LIF_PORT", 5000, low=1, high=65535)
        self.SECRET_KEY = secret_key(self.LIF_DATA_DIR)
        self.LIF_ADMIN_EMAIL = env_str("LIF_ADMIN_EMAIL", "admin@lif.local")
        self.LIF_ADMIN_PASSWORD = env_str("LIF_ADMIN_PASSWORD")
        self.LIF_SMTP_HOST = env_str("LIF_SMTP_HOST")
        self.LIF_SMTP_PORT = env_int("LIF_SMTP_PORT", 25, low=1, high=65535)
        self.LIF_MAIL_FROM = env_str("LIF_MAIL_FROM", "lif@localhost")
        # The address people reach LIF at, for links in emails and calendar entries.
        self.LIF_BASE_URL = env_str("LIF_BASE_URL", f"http://{self.LIF_HOST}:{self.LIF_PORT}")
        # Asked for by `make run`; taken only by an install's first start (lif/services/setup.py).
        self.LIF_DEMO_DATA = env_bool("LIF_DEMO_DATA", False)
        self.LIF_SCHEDULER = env_bool("LIF_SCHEDULER", True)
        self.LIF_MAX_UPLOAD_MB = env_int("LIF_MAX_UPLOAD_MB", 25, low=1, high=1024)
        self.MAX_CONTENT_LENGTH = self.LIF_MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024
        # A text field may be as long as a whole request: a text over its limit is then
        # read and refused at its field, naming the limit, instead of a bare 413 page that
        # loses the form (Flask's default is 500 kB).
        self.MAX_FORM_MEMORY_SIZE = self.MAX_CONTENT_LENGTH
        # Room kept free on the data dir's disk: writes are refused (503) below it, so the
        # database never meets a full disk (lif/services/storage.py).
        self.LIF_MIN_FREE_MB = env_int("LIF_MIN_FREE_MB", 100, low=0, high=1024 * 1024)
        self.LIF_LOGIN_MAX_FAILURES = env_int("LIF_LOGIN_MAX_FAILURES", 5, low=1, high=1000)
        self.LIF_LOGIN_LOCK_MINUTES = env_int("LIF_LOGIN_LOCK_MINUTES", 15, low=1, high=1440)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("LIF_SECURE_COOKIES", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.LIF_CHEAP_PASSWORD_HASH = False
        self.WTF_CSRF_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = None
        self.FLASK_ADMIN_SWATCH = "cerulean"


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        # Argon2's cheapest parameters: the suite hashes hundreds of passwords.
        self.LIF_CHEAP_PASSWORD_HASH = True


class ProductionConfig(Config):
    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = env_bool("LIF_SECURE_COOKIES", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
