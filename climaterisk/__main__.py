"""``python -m climaterisk``: the same as the ``climaterisk`` command."""

from climaterisk.cli import main

if __name__ == "__main__":
    main()
