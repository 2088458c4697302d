"""``python -m climaterisk``: the same as the ``climaterisk`` command."""

from climaterisk.cli import main

main()
