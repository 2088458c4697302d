"""The ``climaterisk`` command: parse options, call the library, render, map errors to exit codes.

Exit codes: 0 success; 2 bad input (register, scenario, option), with one line per problem;
1 an output could not be written. Commands live in :mod:`.analysis`, :mod:`.quarterly` and
:mod:`.inspect`; what they share (the app, options, error handling) in :mod:`.common`.
"""

from climaterisk.cli import analysis, inspect, quarterly, workbook  # noqa: F401  (registers the commands)
from climaterisk.cli.common import app


def main() -> None:
    """Entry point of the ``climaterisk`` console script."""
    app()


__all__ = ["app", "main"]
