"""Core commands: seed, users and tokens, purge, the embedded database."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from lif import db, seed
from lif.actors import SYSTEM
from lif.errors import LIFError
from lif.services import content, users

lif_cli = AppGroup("lif", help="LIF administration commands.")


def fail(message: str, code: int = 1):
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@lif_cli.command("seed")
@click.option("--demo/--no-demo", default=False,
              help="Also load the demo (Appendix One, plans, demo accounts): only into an "
                   "empty install.")
def seed_command(demo: bool):
    """Load reference data (the agencies); running it again creates nothing new."""
    if demo and not seed.install_is_empty():
        fail("The demo goes only into an empty install (no content, no accounts but "
             "administrators'): its accounts share one printed password.")
    created = seed.seed_reference()
    click.echo(f"Agencies: {created} new.")
    if demo:
        result = seed.seed_demo()
        click.echo(
            f"Reviews: {result['reviews']} new, audits: {result['audits']} new, "
            f"already present: {result['skipped']}, plans: {result['plans']} new, "
            f"demo accounts: {result['users']} new."
        )
        if result["password"]:
            click.echo(f"Demo accounts share the password: {result['password']} "
                       "(each chooses its own at first sign-in)")


@lif_cli.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, help="Role (repeatable).")
@click.option("--agency", default=None, help="Agency key or name (for lead and ciec).")
@click.option("--name", default="", help="Display name.")
@click.option("--password", default=None, help="Password (default: generated and printed).")
def create_user_command(email, roles, agency, name, password):
    """Create an account."""
    try:
        user, generated = users.create_user(email, password, list(roles), agency, name,
                                            actor=SYSTEM)
    except LIFError as error:
        fail(error.message)
    click.echo(f"Created {user.email} ({', '.join(user.roles)}).")
    if generated:
        click.echo(f"Password (shown once): {generated}")


@lif_cli.command("set-password")
@click.argument("email")
@click.option("--generate", is_flag=True, help="Generate a password and print it once.")
def set_password_command(email, generate):
    """Reset a person's password (asked for twice, hidden, unless --generate).

    The person is signed out everywhere and must choose their own at the next sign-in.
    """
    try:
        user = users.require_user(email)
        password = None if generate else click.prompt(
            "New password", hide_input=True, confirmation_prompt=True)
        generated = users.reset_password(user, SYSTEM, password)
    except LIFError as error:
        fail(error.message)
    click.echo(f"Password reset for {user.email}; signed out everywhere, and asked to choose "
               "a new one at the next sign-in.")
    if generate:
        click.echo(f"Password (shown once): {generated}")


@lif_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
def create_token_command(email, name):
    """Create an API bearer token for a user (shown once)."""
    try:
        token = users.create_token(email, name, actor=SYSTEM)
    except LIFError as error:
        fail(error.message)
    click.echo(token)


@lif_cli.command("revoke-token")
@click.argument("email")
@click.argument("prefix")
def revoke_token_command(email, prefix):
    """Revoke a user's API token by its prefix (the part after ``lif_``)."""
    try:
        users.revoke_token(email, prefix, actor=SYSTEM)
    except LIFError as error:
        fail(error.message)
    click.echo("Revoked.")


@lif_cli.command("purge")
@click.argument("ref")
@click.option("--reason", required=True, help="Why the item is purged (kept in the audit trail).")
def purge_command(ref, reason):
    """Delete an item for good: REF is TYPE:ID (e.g. review:65f…)."""
    if ":" not in ref:
        fail("Give the item as TYPE:ID, e.g. review:65f0c0ffee…")
    type_key, item_id = ref.split(":", 1)
    try:
        title = content.purge(type_key, item_id, SYSTEM, reason)
    except LIFError as error:
        fail(error.message)
    click.echo(f"Purged '{title}'.")


@lif_cli.command("db")
def db_command():
    """Run the embedded database on its own (for several app workers sharing it)."""
    if current_app.config["MONGODB_URI"]:
        fail("MONGODB_URI is set: LIF uses that server and has no embedded database to run.")
    db.run_server_forever(current_app.config["LIF_DATA_DIR"],
                          current_app.config["LIF_MIN_FREE_MB"] * 1024 * 1024)

