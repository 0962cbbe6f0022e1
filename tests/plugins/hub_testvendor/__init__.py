"""A small provider for an imaginary vendor ("Testvendor"), used to test hub's engine and conformance kit.

It is an ordinary plugin: `tests/plugins/` holds its package and a dist-info with the `hub` entry point,
so hub discovers it exactly as it discovers a pip-installed third-party provider.
"""

from hub import hookimpl


@hookimpl
def hub_register_providers(register):  # type: ignore[no-untyped-def]
    from .provider import TestvendorProvider

    register.add(TestvendorProvider)
