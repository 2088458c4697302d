"""``python -m climaterisk`` and the ``climaterisk`` command's entry point.

The command-line modules are imported inside :func:`main`, so that Ctrl-C at any moment, even
while Python is still loading numpy and friends, ends with a one-line message, not a traceback.
"""

import sys


def main() -> None:
    try:
        from climaterisk.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing was written.\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
