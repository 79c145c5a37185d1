"""``python -m checker`` is the ``touchpoint`` command."""
from checker.cli import main

main(prog_name="touchpoint")
