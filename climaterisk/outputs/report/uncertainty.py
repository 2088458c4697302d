"""The report's "significant areas of uncertainty" (IFRS S2 22(a)(ii)): the inputs that move the
result most, how far, which of them are assumptions without a source, what evidence would
narrow them, and the range of the total over what we don't know. Computes nothing: the numbers
come from :func:`climaterisk.analysis.sensitivity.sensitivity` and
:func:`climaterisk.analysis.uncertainty.assess_uncertainty`.
"""

from __future__ import annotations

import math

from climaterisk.analysis.sensitivity import InputSensitivity, SensitivityResult
from climaterisk.analysis.uncertainty import UncertaintyResult
from climaterisk.outputs.report.document import Block, Table

__all__ = ["EVIDENCE", "evidence_for", "rounded", "uncertainty_blocks"]

EVIDENCE = (
    ("exposed_share", "the scope of carbon pricing that applies to the company (ETS coverage decisions, "
                      "pass-through in power contracts)"),
    ("scenario:", "regional downscaled projections (AR6 Atlas, CMIP6 for the sites' grid cells)"),
    ("fx_usd", "the exchange-rate assumption of the financial plan"),
    ("rate", "the company's own loss history and hazard data for the sites"),
    ("footprint", "event footprints from past regional events (insurer or government loss reports)"),
    ("effect.", "test and exercise results of the control (ISO 22301 clause 8.5)"),
    ("damage", "engineering assessments or insurer surveys of the sites"),
    ("downtime", "incident records and recovery-exercise timings"),
    ("cost", "budgets and quotes for the programme"),
    ("mechanical_cooling", "metered cooling energy against outdoor temperature at the sites"),
    ("sensitivity", "metered cooling energy or water against outdoor temperature at the sites"),
    ("interruption_cost_per_day", "the business-impact analysis (revenue and penalty per day down)"),
    ("replacement_value", "the fixed-asset register or an insurance valuation"),
)
"""(field fragment, evidence that would narrow such an input), first match wins."""


def evidence_for(name: str) -> str:
    """What evidence would narrow the input ``name`` (``file:entry:field``)."""
    field = name.split(":", 2)[-1] if not name.startswith("scenario:") else name
    for fragment, evidence in EVIDENCE:
        if fragment in field or (fragment == "scenario:" and name.startswith("scenario")):
            return evidence
    return "a sourced value in place of the assumption"


def rounded(x: float, digits: int = 3) -> float:
    """``x`` to ``digits`` significant figures (the precision an assumption-driven amount
    supports; the JSON keeps the full value)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def _se(item: InputSensitivity, year: int) -> float:
    """Twice the swing's standard error [currency m/yr]; 0 where it is rounding noise (an input
    that scales a drawn cost moves every year by the same amount)."""
    s = item.at(year)
    return 0.0 if s.eal_se <= 1e-9 * max(abs(s.eal_swing), 1.0) else rounded(2 * s.eal_se / 1e6)


def _kind(item: InputSensitivity) -> str:
    swing = item.input.swing
    if swing.startswith("p5-p95"):
        return "epistemic (scenario)" if "(scenario)" in swing else "epistemic"
    source = item.input.source.strip().lower()
    return "assumption" if source.startswith("assumption") else "sourced" if source else "no source"


def uncertainty_blocks(sens: SensitivityResult, spread: UncertaintyResult | None = None,
                       top: int = 8) -> list[Block]:
    """Paragraphs and tables for the significant areas of uncertainty, in the sweep's last year."""
    year = sens.years[-1]
    cur = sens.register.currency
    eal, _ = sens.base[year]
    ranked = [i for i in sens.ranked(year, top) if i.at(year).eal_swing != 0]
    unsourced = [i for i in ranked if _kind(i) in ("assumption", "no source", "epistemic")]
    blocks: list[Block] = [
        f"Significant areas of uncertainty (IFRS S2 22(a)(ii)), {sens.scenario.id} {year}: each input of "
        f"the loss model was moved on its own between a low and a high value ({len(sens.inputs)} inputs; "
        f"epistemic inputs and the scenario's ranges between their 5th and 95th percentiles, point "
        f"assumptions by +-{sens.swing:.0%}), on paired draws of {sens.trials:,} years. The expected "
        f"annual loss after controls is {cur} {rounded(eal) / 1e6:,.3g} m in that run; the "
        f"{len(ranked)} inputs below move it most. {len(unsourced)} of them rest on an assumption "
        "rather than a published figure (an assumption, or a value nobody knows).",
        Table(
            f"uncertainty_{year}", f"Inputs that move the {year} residual EAL most ({cur} m/yr, 3 "
            "significant figures; derived: one-at-a-time sweep)",
            ["input", "kind", "EAL at low", "EAL at high", "swing", "2 s.e.",
             "evidence that would narrow it"],
            ["text", "text", "sig3", "sig3", "sig3", "sig3", "text"],
            [[i.input.name, _kind(i), rounded(i.at(year).eal_low / 1e6), rounded(i.at(year).eal_high / 1e6),
              rounded(i.at(year).eal_swing / 1e6), _se(i, year), evidence_for(i.input.name)]
             for i in ranked]),
    ]
    for sob in sens.sobol:
        if sob.year == year and sob.indices:
            lead = sob.indices[0]
            blocks.append(
                f"Varied together (Sobol indices, {sob.evaluations:,} design points), {lead.input} explains "
                f"{lead.st:.0%} (+-{lead.st_conf:.0%}) of the variance of the {year} EAL over these inputs.")
    if spread is not None:
        rows = []
        for y in spread.years:
            for config in ("residual", "inherent"):
                for m, label in (("eal", "EAL"), ("var99", "VaR 99%")):
                    rg = y.ranges[config][m]
                    rows.append([y.year, f"{config} {label}", rounded(y.central[config][m] / 1e6),
                                 rounded(rg.p5 / 1e6), rounded(rg.p95 / 1e6),
                                 rounded(y.predictive[config][m] / 1e6)])
        blocks += [
            f"Range over what we don't know: {spread.worlds} draws of the {len(spread.unknowns)} epistemic "
            f"inputs and scenario ranges, each over {spread.trials:,} years with the same random years "
            "(common random numbers). The default run holds each epistemic input at its mean, so its "
            "EAL is the EAL averaged over them; the 5th-95th percentile is how far the EAL would be if "
            "the unknowns took other values; the predictive value pools every world's years.",
            Table("uncertainty_range", f"Total loss over what we don't know ({cur} m/yr, 3 significant "
                  "figures; derived: two-level simulation)",
                  ["year", "measure", "default run", "5th pct", "95th pct", "predictive"],
                  ["int", "text", "sig3", "sig3", "sig3", "sig3"], rows),
        ]
    return blocks
