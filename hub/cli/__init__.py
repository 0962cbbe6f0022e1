"""hub's command line. Commands are thin: parse, call into `hub`, render.

Errors are turned into exit codes in exactly one place (`main`), per PRODUCT.md §5.
"""

from __future__ import annotations

import os
import re
import sys
import traceback

import click

from ..errors import ExitCode, HubError, PartialFailure, Reported
from ._output import configure_logging, say


class HubGroup(click.Group):
    _plugins_loaded = False

    def _plugin_commands(self) -> None:
        """Let plugins add commands (hub_register_commands), once, when a command is looked up."""
        if not HubGroup._plugins_loaded:
            HubGroup._plugins_loaded = True
            from ..plugins import default_plugins

            default_plugins().pm.hook.hub_register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._plugin_commands()
        return list(self.commands)  # in the order added: the order of a first session

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands:
            self._plugin_commands()
        return super().get_command(ctx, name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(args))


GLOBAL_FLAG = re.compile(r"^(-v+|--verbose|--debug)$")


def hoist_global_flags(args: list[str]) -> list[str]:
    """`hub plan -v` means `hub -v plan`: hub's own flags are accepted after the subcommand too."""
    command = next((i for i, a in enumerate(args) if not a.startswith("-")), None)
    if command is None:
        return args
    end = args.index("--") if "--" in args[command:] else len(args)
    moved = [a for a in args[command:end] if GLOBAL_FLAG.match(a)]
    kept = [a for a in args[command:end] if not GLOBAL_FLAG.match(a)]
    return args[:command] + moved + kept + args[end:]


@click.group(cls=HubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hub")
@click.option("--debug", is_flag=True, envvar="HUB_DEBUG", help="Show tracebacks for unexpected errors.")
@click.option("-v", "--verbose", count=True,
              help="-v: log each vendor request hub makes (method, path, status, time; secrets redacted) on"
                   " stderr; -vv: the libraries' logs too. Accepted before or after the command.")
def cli(debug: bool, verbose: int) -> None:
    """Campaigns and automations as code, for every client's email and SMS vendors.

    \b
    hub init agency && cd agency     scaffold a workspace with an example client
    hub validate                     check every file (errors as file:line)
    hub plan --sandbox               what would change, against vendor simulators
    hub apply --sandbox --yes        make it so
    hub status                       last apply, drift and pending work per client
    """
    # --debug is read once, by `main` (it must work for errors raised before this runs too)
    configure_logging(verbose)


def _register() -> None:
    from . import (
        audit_cmd,
        completion_cmd,
        contacts_cmd,
        import_cmd,
        migrate_cmd,
        providers_cmd,
        report_cmd,
        resolve_cmd,
        run_cmd,
        secrets_cmd,
        sheets_cmd,
        simulate_cmd,
        status_cmd,
        sync_cmd,
        workspace_cmd,
    )

    cli.add_command(workspace_cmd.init)
    cli.add_command(workspace_cmd.validate)
    cli.add_command(sync_cmd.plan)
    cli.add_command(sync_cmd.apply)
    cli.add_command(status_cmd.status)
    cli.add_command(sheets_cmd.sheets)
    cli.add_command(resolve_cmd.resolve)
    cli.add_command(providers_cmd.providers)
    cli.add_command(simulate_cmd.simulate)
    cli.add_command(simulate_cmd.demo)
    cli.add_command(secrets_cmd.secrets)
    cli.add_command(contacts_cmd.contacts)
    cli.add_command(audit_cmd.audit)
    cli.add_command(completion_cmd.completion)
    cli.add_command(run_cmd.run)
    cli.add_command(run_cmd.journeys)
    cli.add_command(run_cmd.event)
    cli.add_command(migrate_cmd.migrate)
    cli.add_command(import_cmd.import_)
    cli.add_command(report_cmd.report)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and translate every outcome into PRODUCT.md's exit codes."""
    from ..memory import release_frozen

    try:
        _main(argv)
    finally:
        release_frozen()  # (the command's objects set aside from the collector: called in-process, by tests too)


def _main(argv: list[str] | None) -> None:
    from ..memory import collect_seldom

    debug = "--debug" in (sys.argv[1:] if argv is None else argv) or bool(os.environ.get("HUB_DEBUG"))
    collect_seldom()
    try:
        rc = cli.main(args=argv, prog_name="hub", standalone_mode=False)
    except click.exceptions.Abort:
        say("Aborted.")
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Reported as exc:
        if str(exc):
            say(str(exc))
        sys.exit(exc.exit_code)
    except PartialFailure as exc:
        say(str(exc), style="red")
        sys.exit(exc.exit_code)
    except HubError as exc:
        say(f"Error: {exc}", style="red")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        say("Interrupted: state is consistent; run the command again to continue.")
        sys.exit(ExitCode.INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:
        if debug:
            from ..redact import redact

            say(redact(traceback.format_exc()))
        say(f"Unexpected error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", style="red")
        sys.exit(ExitCode.UNEXPECTED)
    sys.exit(rc if isinstance(rc, int) else 0)  # click's own exits (--help, --version) and 0
