"""``python -m mostread_dev``: the same as the ``mostread`` command."""

from mostread_dev.cli import app

app()
