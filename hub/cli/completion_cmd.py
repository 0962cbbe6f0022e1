"""hub completion: the shell completion script, from click's own completion support."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


@click.command(short_help="Print the shell completion script (bash, zsh, fish).")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL. Install it once:

    \b
    bash  echo 'eval "$(hub completion bash)"' >> ~/.bashrc
    zsh   echo 'eval "$(hub completion zsh)"' >> ~/.zshrc
    fish  hub completion fish > ~/.config/fish/completions/hub.fish
    """
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one click ships
    root = click.get_current_context().find_root().command  # the hub group, without importing it (a cycle)
    click.echo(cls(root, {}, "hub", "_HUB_COMPLETE").source())
