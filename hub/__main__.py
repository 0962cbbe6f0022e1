"""`python -m hub` runs the CLI."""

from .cli import main

main()
