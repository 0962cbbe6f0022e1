"""hub completion: the shell completion script, from click's own completion support."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

SHELLS = ("bash", "zsh", "fish")


@click.command(short_help="Print the shell completion script (bash, zsh, fish).")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL. Install it once:

    \b
    bash  echo 'eval "$(hub completion bash)"' >> ~/.bashrc
    zsh   echo 'eval "$(hub completion zsh)"' >> ~/.zshrc
    fish  hub completion fish > ~/.config/fish/completions/hub.fish

    Then open a new shell: `hub pl<TAB>` completes to `hub plan`, `hub contacts <TAB>` offers the clients.
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one click ships
    root = click.get_current_context().find_root().command  # the hub group, without importing it (a cycle)
    click.echo(cls(root, {}, "hub", "_HUB_COMPLETE").source())


def complete_client(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The clients of the workspace (-w, or the nearest one above the current folder) for a CLIENT argument."""
    from click.shell_completion import CompletionItem

    from ..errors import HubError
    from ._common import resolve_root

    workspace = ctx.params.get("workspace")
    try:
        folder = resolve_root(Path(workspace) if workspace else None) / "clients"
        names = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except (HubError, OSError):  # not in a workspace, or no clients folder: nothing to offer
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]
