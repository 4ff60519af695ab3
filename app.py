"""LIF: the Learning and Improvement Framework manager.

``create_app(config)`` builds the application; ``python app.py`` serves it on LIF_HOST:LIF_PORT
(starting the embedded database when MONGODB_URI is unset) and, unless LIF_SCHEDULER=0,
runs the scheduler in-process for single-process installs.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from flask import Flask, jsonify

from admin import init_admin
from api import init_api
from cli import register_cli
from config.settings import CONFIGS, SettingError
from lif import db, frameworks
from lif.db import DatabaseUnavailable
from lif.errors import LIFError
from lif.services import (
    handlers,
    install_framework,
    notifications,
    searching,
    setup,
    storage,
    users,
)
from schedulers import init_scheduler

__version__ = "0.1.0"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging() -> None:
    """Send LIF's log lines (INFO and up) to stderr, however the app is run.

    Called by :func:`create_app`, so ``python app.py``, gunicorn (which builds the app with
    ``create_app()`` and configures only its own loggers) and ``flask --app app lif`` all keep
    them. A root logger that already has handlers (a deployment's, pytest's) is left alone.
    """
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)


def create_app(config=None) -> Flask:
    """Build the LIF application.

    :param config: a settings object (see ``config/settings.py``); by default the one named
        by ``LIF_ENV`` (``development`` unless set).
    :raises DatabaseUnavailable: the database cannot be reached.
    """
    configure_logging()
    app = Flask(
        __name__,
        template_folder="admin/templates",
        static_folder="admin/static",
        static_url_path="/static",
    )
    if config is None:
        config = CONFIGS[os.environ.get("LIF_ENV", "development")]()
    app.config.from_object(config)
    app.config["LIF_VERSION"] = __version__
    if app.config["LIF_FRAMEWORK"]:
        frameworks.get(app.config["LIF_FRAMEWORK"])  # a name that is none: before the database
    db.connect(app.config["MONGODB_URI"], app.config["LIF_DATA_DIR"], app.config["LIF_DB_NAME"])

    # Before anything is made: every new item records the install's framework.
    framework = install_framework.start(app.config["LIF_FRAMEWORK"])
    app.config["LIF_FRAMEWORK_TITLE"] = framework.title
    users.configure_hasher(cheap=app.config["LIF_CHEAP_PASSWORD_HASH"])
    handlers.register_handlers()
    searching.configure(app.config["LIF_DATA_DIR"] / "index")
    db.keep_free(app.config["LIF_DATA_DIR"], app.config["LIF_MIN_FREE_MB"] * 1024 * 1024)
    if not app.config["TESTING"]:
        searching.start_background_drain()
    first = setup.first_start(
        admin_email=app.config["LIF_ADMIN_EMAIL"],
        admin_password=app.config["LIF_ADMIN_PASSWORD"],
        demo=app.config["LIF_DEMO_DATA"],
    )
    for line in first:
        print(line, flush=True)
    notifications.configure_mail(
        app.config["LIF_SMTP_HOST"], app.config["LIF_SMTP_PORT"], app.config["LIF_MAIL_FROM"],
        app.config["LIF_BASE_URL"],
    )
    init_admin(app)
    init_api(app)

    @app.get("/healthz")
    def healthz():
        # A write probe too: a store on a full disk answers ping but takes no write.
        state = storage.health()
        ok = state["database"] == "reachable" and state["writable"]
        body = {"status": "ok" if ok else "unavailable", **state, "version": __version__}
        return jsonify(body), 200 if ok else 503

    register_cli(app)
    return app


def main() -> int:
    try:
        app = create_app()
    except (DatabaseUnavailable, SettingError, LIFError) as error:
        print(f"LIF cannot start: {error}", file=sys.stderr)
        return 2
    if app.config["LIF_SCHEDULER"]:
        init_scheduler(app)
    # SIGTERM (systemd, kill) ends the process like Ctrl-C, so the embedded database stops too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # And Ctrl-C (SIGINT) stops it even when started from a script in the background, which
    # starts it with SIGINT ignored (measured: a test's SIGINT then left it running).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    host, port = app.config["LIF_HOST"], app.config["LIF_PORT"]
    print(f"LIF is serving on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        from werkzeug.serving import run_simple

        run_simple(host, port, app, threaded=True, use_reloader=False)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        # The scheduler stops (a running sweep finishing) while the database is still up.
        # Stopped after it, its job store was queried once more and failed after the 3 s
        # timeout: Ctrl-C took 4.4 s and logged a connection error (now 0.8 s, clean).
        scheduler = app.extensions.get("lif_scheduler")
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)
        server = db.embedded_server()
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
