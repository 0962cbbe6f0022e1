"""The shape of the code, held by a test: no import cycles in hub, layers that only import downwards, and
plugins that stand on hub's public surface and never on each other."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

from hub.plugins import make_plugins

PLUGINS = ("hub_mailerlite", "hub_mailchimp", "hub_activecampaign", "hub_sms", "hub_bluesky", "hub_mastodon")
# each layer may import the ones below it, never those above
LAYERS = ("hub.cli", "hub.sync", "hub.workspace", "hub.model")
BELOW_PROVIDERS = ("hub.model", "hub.transport", "hub.state", "hub.clock", "hub.work_slots", "hub.errors",
                   "hub.redact")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("hub", *PLUGINS)


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), within `modules`."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.find_modules_directly_imported_by(v) & modules:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for m in sorted(modules):
        if m not in index:
            visit(m)
    return found


# hub.provider_description is the light half of hub.provider, split off so that listing providers loads no
# pydantic: it names hub.provider's types for type checkers only (the providers-list test below holds that)
LIGHT_HALVES = [["hub.provider", "hub.provider_description"]]


def test_hub_has_no_import_cycles(graph: grimp.ImportGraph) -> None:
    # type-only imports count too: a cycle through them still ties the modules together
    hub = {m for m in graph.modules if m == "hub" or m.startswith("hub.")}
    assert [c for c in _cycles(graph, hub) if c not in LIGHT_HALVES] == []


@pytest.mark.parametrize("plugin", PLUGINS)
def test_no_plugin_has_an_import_cycle(graph: grimp.ImportGraph, plugin: str) -> None:
    # provider -> resources -> api -> mapping: resources are given the api and never reach back
    mine = {m for m in graph.modules if m == plugin or m.startswith(plugin + ".")}
    assert _cycles(graph, mine) == []


PLUGIN_FILES = ("__init__.py", "provider.py", "api.py", "resources.py", "mapping.py", "simulator/__init__.py",
                "README.md")


@pytest.mark.parametrize("plugin", PLUGINS)
def test_every_plugin_has_the_same_shape(graph: grimp.ImportGraph, plugin: str) -> None:
    import importlib
    from pathlib import Path

    root = Path(importlib.import_module(plugin).__file__ or "").parent
    assert [f for f in PLUGIN_FILES if not (root / f).exists()] == []
    # the description holds no I/O: it names its api and resources (imported when first used), it does not talk
    # to the vendor
    provider = f"{plugin}.provider"
    assert not graph.find_modules_directly_imported_by(provider) & {f"{plugin}.api", f"{plugin}.resources"}
    provider_cls = next(p for p in make_plugins().registry if p.__module__ == provider)
    assert provider_cls.Api.__module__ == provider_cls.Settings.__module__ == f"{plugin}.api"
    resources = importlib.import_module(f"{plugin}.resources")
    assert all(getattr(resources, r.__name__, None) is r for r in provider_cls.resource_types)
    for lower in (f"{plugin}.api", f"{plugin}.resources", f"{plugin}.mapping"):
        assert not graph.chain_exists(importer=lower, imported=provider), f"{lower} reaches back to the provider"
    assert not graph.chain_exists(importer=f"{plugin}.mapping", imported=f"{plugin}.api"), "mapping is pure"


@pytest.mark.parametrize("upper, lower", [(LAYERS[i], below) for i in range(len(LAYERS))
                                          for below in LAYERS[i + 1:]])
def test_layers_import_only_downwards(graph: grimp.ImportGraph, upper: str, lower: str) -> None:
    assert not graph.chain_exists(importer=lower, imported=upper, as_packages=True), f"{lower} imports {upper}"


@pytest.mark.parametrize("low", BELOW_PROVIDERS)
def test_the_engines_foundations_do_not_know_providers_or_the_engine(graph: grimp.ImportGraph, low: str) -> None:
    for high in ("hub.provider", "hub.sync", "hub.cli"):
        assert not graph.chain_exists(importer=low, imported=high, as_packages=True), f"{low} -> {high}"


@pytest.mark.parametrize("plugin", PLUGINS)
def test_plugins_stand_on_hub_alone(graph: grimp.ImportGraph, plugin: str) -> None:
    for other in PLUGINS:
        if other != plugin:
            assert not graph.direct_import_exists(importer=plugin, imported=other, as_packages=True), other
    for internal in ("hub.cli", "hub.sync"):
        assert not graph.direct_import_exists(importer=plugin, imported=internal, as_packages=True), internal


def test_the_checks_above_can_see_an_import(graph: grimp.ImportGraph) -> None:
    assert graph.chain_exists(importer="hub.cli", imported="hub.sync", as_packages=True)
    assert graph.direct_import_exists(importer="hub_sms", imported="hub", as_packages=True)


def test_one_exit_path() -> None:
    """Commands raise typed errors; only `hub.cli.main` turns an outcome into an exit code."""
    import ast
    from pathlib import Path

    import hub

    offenders = []
    for path in Path(hub.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = node.func if isinstance(node, ast.Call) else node.exc if isinstance(node, ast.Raise) else None
            text = ast.unparse(named) if named is not None else ""
            if text in ("SystemExit", "sys.exit", "ctx.exit", "exit") or text.startswith("SystemExit("):
                offenders.append(f"{path.relative_to(Path(hub.__file__).parent.parent)}:{node.lineno}")
    assert sorted(offenders) == sorted(o for o in offenders if o.startswith("hub/cli/__init__.py")), offenders
    assert offenders  # main itself is found: the check sees what it looks for


def test_nothing_reads_which_fields_a_model_was_given() -> None:
    """Contacts share their record of which fields they were given (hub/model/audience.py: half a contact's
    memory): a read of it (`model_fields_set`, `exclude_unset`) would see what another contact was given."""
    import hub

    package = Path(hub.__file__).parent
    found = [f"{path.relative_to(package.parent)}:{n}"
             for root in (package, package.parent / "plugins") for path in root.rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if "fields_set" in line or "exclude_unset" in line]
    assert [f for f in found if not f.startswith("hub/model/audience.py:")] == []
    assert found  # the sharing itself is found: the check sees what it looks for


# what a plugin may import of hub: the declared plugin API, the simulator kit, the conformance kit, and
# `hookimpl` from the top-level package (cheap: plugins load whenever hub starts)
PLUGIN_API = ("hub.plugin", "hub.simulator", "hub.testing")


@pytest.mark.parametrize("plugin", PLUGINS)
def test_plugins_import_only_the_declared_plugin_api(graph: grimp.ImportGraph, plugin: str) -> None:
    used = {imported for m in graph.find_descendants(plugin) | {plugin}
            for imported in graph.find_modules_directly_imported_by(m) if imported.split(".")[0] == "hub"}
    outside = {m for m in used if m != "hub" and not m.startswith(PLUGIN_API)}
    assert outside == set(), f"{plugin} imports {sorted(outside)}: add the names to hub.plugin"
    for m in graph.find_descendants(plugin) | {plugin}:
        if graph.direct_import_exists(importer=m, imported="hub"):
            lines = {d["line_contents"] for d in graph.get_import_details(importer=m, imported="hub")}
            assert lines == {"from hub import hookimpl"}, (m, lines)


def test_every_installed_provider_has_a_conformance_suite() -> None:
    """Each provider registered through the `hub` entry point is held to ProviderContract by a test."""
    import importlib.metadata
    from pathlib import Path

    tests = Path(__file__).parent
    suites = {path.read_text(encoding="utf-8") for path in tests.rglob("test_*contract*.py")}
    for ep in importlib.metadata.entry_points(group="hub"):
        if ep.value.startswith("hub_testvendor"):
            continue  # the kit's own test plugin, checked by tests/test_contract_self.py
        assert any("(ProviderContract)" in text and f'"{ep.name}"' in text for text in suites), ep.name


def test_every_package_is_installed() -> None:
    """A package missing from pyproject.toml's list works in the editable install of `make test` and is absent
    from a wheel: `hub report`, `hub run` and `hub migrate` were."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = {name: root / folder for name, folder in config["package-dir"].items()}
    listed = set(config["packages"])
    found = {".".join(p.relative_to(root).parts[:-1]) for p in (root / "hub").rglob("__init__.py")
             if "scaffold" not in p.parts[:-1] or p.parent.name == "scaffold"}
    for name, folder in dirs.items():
        found |= {".".join((name, *p.relative_to(folder).parts[:-1])) for p in folder.rglob("__init__.py")}
    assert found - listed == set()


def _modules_loaded_by(*args: str) -> set[str]:
    """The modules `hub ARGS` had imported when it exited, with the built-in plugins only (the test vendor names
    its API and resources as classes, which a third party may still do, so it imports them at once)."""
    import json
    import os
    import subprocess
    import sys

    report = ("import atexit, json, sys;"
              " atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr));"
              " from hub.cli import main; main()")
    env = {**os.environ, "HUB_LOAD_PLUGINS": ",".join(p.removeprefix("hub_") for p in PLUGINS)}
    done = subprocess.run([sys.executable, "-c", report, *args], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _under(modules: set[str], *roots: str) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


def test_validating_a_workspace_loads_neither_http_nor_the_simulators(tmp_path: Path) -> None:
    """`hub validate` reads files: the HTTP transport and the simulator kit are for commands that call vendors."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "hub", "init", str(tmp_path / "agency")], check=True, capture_output=True)
    loaded = _modules_loaded_by("validate", "-w", str(tmp_path / "agency"))
    assert _under(loaded, "requests", "urllib3", "mailchimp_marketing", "twilio", "hub.transport.http",
                  "hub.simulator") == []


def test_listing_providers_loads_no_model_and_nothing_of_a_plugin_but_its_description() -> None:
    """`hub providers list` reads what each provider.py declares: its settings model, API and resources (and
    pydantic with them) are imported only by the commands that use them."""
    loaded = _modules_loaded_by("providers", "list")
    plugin_modules = sorted(m for m in loaded if m.startswith("hub_") and m.count(".") == 1)
    assert plugin_modules and all(m.endswith(".provider") for m in plugin_modules), plugin_modules
    assert _under(loaded, "pydantic", "hub.model", "hub.provider", "hub.transport.http", "requests") == []


def test_the_plugin_api_names_each_name_where_it_loads_it_from() -> None:
    """hub.plugin loads each name on first use (`_EXPORTS`) and declares the same names, from the same modules, to
    type checkers and in `__all__`: the three lists are one."""
    import ast

    import hub.plugin as api

    tree = ast.parse(Path(api.__file__ or "").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    declared = {alias.name: "." * imp.level + (imp.module or "") for imp in block.body
                if isinstance(imp, ast.ImportFrom) for alias in imp.names}
    assert declared == api._HOME
    assert sorted(api.__all__) == sorted(declared)
    assert all(getattr(api, name) is not None for name in api.__all__)
