"""`python -m cyberfile` runs the command line."""

from cyberfile.cli import run

run()
