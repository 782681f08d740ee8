"""`python -m service` runs the `accord` command line."""

from service.cli import app

app(prog_name="accord")
