"""``lif framework``: the statutory frameworks, the install's, and moving it."""

from __future__ import annotations

import click

from lif import clocks, frameworks
from lif.actors import SYSTEM
from lif.errors import LIFError
from lif.services import install_framework

from .core import fail, lif_cli


@lif_cli.command("framework")
@click.option("--set", "name", default=None, metavar="NAME",
              help="Move the install to this framework (a dry run unless --yes).")
@click.option("--yes", is_flag=True, help="With --set: do it.")
def framework_command(name, yes):
    """List the frameworks and show the install's; --set NAME moves it.

    Items keep the framework they were made under (its workflow, clocks and documents);
    new items follow the install's.
    """
    if yes and not name:
        fail("--yes goes with --set NAME.")
    if not name:
        current = install_framework.stored() or frameworks.default_name()
        kept = install_framework.items_by_framework()
        for framework in frameworks.every():
            mark = "*" if framework.name == current else " "
            items = sum(kept.get(framework.name, {}).values())
            default = " (default)" if framework.name == frameworks.default_name() else ""
            click.echo(f"{mark} {framework.name:<12} {framework.title}{default}: "
                       f"{items} item{'s' if items != 1 else ''} made under it")
        click.echo(f"This install works to {current} (* above).")
        return
    try:
        plan = install_framework.plan_move(name)
        if plan["same"]:
            fail(f"This install already works to {name} ({plan['to'].title}).")
        _say(plan)
        if not yes:
            click.echo(f"Dry run: nothing changed. Run again with --set {name} --yes to move.")
            return
        install_framework.move(name, SYSTEM)
    except LIFError as error:
        fail(error.message)
    click.echo(f"Moved to {name}. Restart LIF's processes (app, scheduler) so they make new "
               "items under it.")


def _say(plan: dict) -> None:
    old, new = plan["from"], plan["to"]
    click.echo(f"Moving from {old.name} ({old.title}) to {new.name} ({new.title}).")
    for name, counts in sorted(plan["kept"].items()):
        listed = ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in sorted(counts.items()))
        click.echo(f"Kept under {name}: {listed} (their workflows, clocks and documents "
                   "stay).")
    for change in plan["workflows"]:
        click.echo(f"New {change['type'].replace('_', ' ')} items follow '{change['to']}' "
                   f"instead of '{change['from']}'.")
    changes = plan["clocks"]
    for what, names, source in (("gain", changes["added"], new),
                                ("lose", changes["removed"], old)):
        if names:
            click.echo(f"New items {what} the clocks: " + ", ".join(
                f"{n} ({clocks.Period(*source.clocks[n])})" for n in names) + ".")
    for n in changes["changed"]:
        click.echo(f"New items count {n} as {clocks.Period(*new.clocks[n])} instead of "
                   f"{clocks.Period(*old.clocks[n])}.")
    documents = plan["documents"]
    if documents["added"]:
        click.echo(f"Documents offered for new items: {', '.join(documents['added'])}.")
    if documents["removed"]:
        click.echo(f"Documents no longer offered for new items: "
                   f"{', '.join(documents['removed'])}.")
