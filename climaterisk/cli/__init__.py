"""Layer 7, the command line: parse options, call one library function, print; errors -> exit codes.

Exit codes: 0 success; 2 bad input (register, scenario, option), with one line per problem;
1 an output could not be written. Commands live in :mod:`.analysis` (assess, controls,
coverage, report, appendix), :mod:`.quarterly` (snapshot, history, review), :mod:`.inspect`
(validate, scenarios, register, graph, gaps, schema) and :mod:`.workbook` (init, Excel); what
they share (the app, options, error handling, progress) in :mod:`.common`. A new command goes
in the module of its family, as a thin function over the library.

May import: every layer below it. The only layer that imports typer, and the only place that
prints or exits.
"""

from climaterisk.cli import analysis, inspect, quarterly, workbook  # noqa: F401  (registers the commands)
from climaterisk.cli.common import app


def main() -> None:
    """Entry point of the ``climaterisk`` console script."""
    app()


__all__ = ["app", "main"]
