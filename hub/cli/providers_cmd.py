"""hub providers list|show."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from ._common import json_option
from ._output import data_console, emit_json, say


def describe(provider_cls: Any, owner: str, *, settings: bool = True) -> dict[str, Any]:
    """What `providers list|show` print; without `settings`, nothing of the plugin but its provider.py is loaded
    (the settings are a pydantic model, in the module of the plugin's API)."""
    from ..provider_description import Capability

    return {
        "name": provider_cls.name,
        "display_name": provider_cls.display_name,
        "plugin": owner,
        "docs_url": provider_cls.docs_url,
        "channels": sorted(str(c) for c in provider_cls.channels),
        "capabilities": {str(cap): {"fidelity": str(provider_cls.support(cap).fidelity),
                                    "note": provider_cls.support(cap).note} for cap in Capability},
        "limits": {"rate": [{"bucket": r.bucket, "requests": r.requests, "per_seconds": r.per_seconds}
                            for r in provider_cls.limits.rate],
                   "max_concurrency": provider_cls.limits.max_concurrency},
        **({"settings": _settings(provider_cls)} if settings else {}),
        "simulator": bool(provider_cls.simulator),
    }


def _settings(provider_cls: Any) -> dict[str, Any]:
    model = provider_cls.Settings
    secret = set(model.secret_fields())
    return {name: {"secret": name in secret, "required": field.is_required()}
            for name, field in model.model_fields.items()}


@click.group()
def providers() -> None:
    """Installed providers and what each can do."""


@providers.command(name="list")
@json_option
def providers_list(as_json: bool) -> None:
    """List installed providers and their capability matrix."""
    from ..plugins import default_plugins

    plugins = default_plugins()
    rows = [describe(p, plugins.registry.owner(p.name), settings=as_json) for p in plugins.registry]
    if as_json:
        emit_json({"providers": rows, "plugins": [vars(p) for p in plugins.loaded]})
        return
    if not rows:
        say("No providers installed. Built-in providers come with `pip install -e .`; third-party ones register"
            " under the `hub` entry-point group.")
        return
    from rich.table import Table

    table = Table(title="providers")
    caps = list(rows[0]["capabilities"])
    for col in ["provider", "channels", *caps]:
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], ",".join(r["channels"]),
                      *[_cell(r["capabilities"][c]["fidelity"]) for c in caps])
    data_console().print(table)


def _cell(fidelity: str) -> str:
    return {"exact": "[green]exact[/]", "approximated": "[yellow]approx[/]", "manual": "[magenta]manual[/]",
            "unsupported": "[dim]-[/]"}.get(fidelity, fidelity)


@providers.command(name="show")
@click.argument("name")
@json_option
def providers_show(name: str, as_json: bool) -> None:
    """Show one provider: settings (secrets marked), limits and capabilities with notes."""
    from ..plugins import default_plugins

    plugins = default_plugins()
    if name not in plugins.registry.names():
        raise click.BadParameter(f"no provider '{name}' is installed (installed: "
                                 f"{', '.join(plugins.registry.names())}; see `hub providers list`)", param_hint="NAME")
    info = describe(plugins.registry.get(name), plugins.registry.owner(name))
    if as_json:
        emit_json(info)
        return
    console = data_console()
    console.print(f"[bold]{info['display_name'] or name}[/] ({name}) from plugin {info['plugin']}")
    console.print(f"channels: {', '.join(info['channels'])}   docs: {info['docs_url']}")
    console.print("settings: " + ", ".join(f"{k}{' (secret)' if v['secret'] else ''}{' *' if v['required'] else ''}"
                                           for k, v in info["settings"].items()))
    for cap, sup in info["capabilities"].items():
        console.print(f"  {cap:16} {_cell(sup['fidelity'])}  {escape(sup['note'])}")
