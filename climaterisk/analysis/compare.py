"""Runs across scenarios: the main assessment and the scenarios it is compared with.

The report and the appendix show one scenario in full (with control values and coverage) and
the others beside it (losses only), all with the same options, so that the columns differ by
scenario alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from climaterisk.analysis.assess import Progress, assess
from climaterisk.analysis.options import AssessOptions
from climaterisk.analysis.results import Assessment
from climaterisk.register import Register
from climaterisk.scenarios import Scenario, available_scenarios, load_scenario, read_scenario


def comparison_names(main: Scenario, compare: Sequence[str] | None) -> list[str | Path]:
    """The scenarios to compare ``main`` with: those named in ``compare`` (each item may hold
    several comma-separated names; ``none`` for none), or every other shipped scenario when
    ``compare`` is None.

    >>> from climaterisk.scenarios import load_scenario
    >>> comparison_names(load_scenario("rcp45"), ["rcp26,rcp85", "rcp26"])
    ['rcp26', 'rcp85']
    >>> comparison_names(load_scenario("rcp45"), ["none"])
    []
    """
    if compare is None:
        return [p for p in available_scenarios() if read_scenario(p).id != main.id]
    names = [n.strip() for item in compare for n in item.split(",") if n.strip()]
    if [n.lower() for n in names] == ["none"]:
        return []
    return list(dict.fromkeys(names))


def assess_with_comparisons(
    register: Register, scenario: Scenario | str, compare: Sequence[str] | None,
    options: AssessOptions | None = None,
    progress_for: Callable[[Scenario], Progress | None] | None = None,
) -> tuple[Assessment, list[Assessment]]:
    """The main assessment (with control values and coverage) and the compared ones (losses
    only), on the same options. A compared scenario equal to the main one is left out."""
    main_sc = load_scenario(scenario) if isinstance(scenario, (str, Path)) else scenario
    opts = AssessOptions.of(options)

    def run(sc: Scenario, **changes: object) -> Assessment:
        return assess(register, sc, AssessOptions.of(opts, **changes),
                      progress=progress_for(sc) if progress_for else None)

    main = run(main_sc)
    compared = [run(sc, with_controls=False, with_coverage=False)
                for sc in (load_scenario(n) for n in comparison_names(main_sc, compare))
                if sc.id != main_sc.id]
    return main, compared
