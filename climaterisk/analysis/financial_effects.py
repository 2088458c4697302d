"""The financial-effects bridge (IFRS S2 15-21): the simulated losses put on the statements.

A pure function of an assessment, :func:`financial_effects`, gives

- per simulated horizon, the residual annual effect on each statement line item (operating
  cost, revenue, capital expenditure, asset impairment, insurance recoveries negative) as a
  central value (the mean) and a range (5th to 95th percentile, and the VaR 99%); the line
  items add up to the total residual loss, trial by trial; budgeted (planned) spending beside
  them, never in the risk total (:mod:`climaterisk.register.booking`);
- the current-period figures (16(a)): what the register holds for its base year in money
  (electricity and water cost of the sites, the budgeted programmes, metrics in the currency);
- the assets whose carrying amounts are at risk next year (16(b)): each site's value with its
  expected damage and 1-in-100 damage in the year after the base year (:func:`next_year_run`), or
  else the nearest simulated year;
- the cumulative and present-value effects over the plan period (the year after the base year
  to the last horizon), years between horizons filled by linear interpolation of the EAL.

Amounts are in constant prices of the register's base year, the business held at its base-year
size and undiscounted, unless :class:`Prices` says otherwise (growth, inflation, discount rate
[fraction per year]); the bridge states which.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from climaterisk.analysis.results import Assessment, HorizonResult
from climaterisk.errors import OptionError, Problem, ScenarioError
from climaterisk.model.compile import compile_portfolio
from climaterisk.model.line_items import budgeted_lines
from climaterisk.register import Register
from climaterisk.register.booking import INSURANCE, LINE_ITEMS, line_item_of
from climaterisk.scenarios import Scenario

LABELS = {"operating_cost": "operating costs", "revenue": "revenue",
          "capital_expenditure": "capital expenditure", "asset_impairment": "asset impairment",
          INSURANCE: "insurance recoveries"}
"""How each line item reads in a table."""


@dataclass(frozen=True)
class Prices:
    """How amounts move from the base year's prices: ``growth`` of the business (real) and
    ``inflation`` scale the amount of year ``t`` by ``((1 + growth)(1 + inflation))^(t - base)``;
    ``discount_rate`` discounts it to the base year by ``(1 + rate)^-(t - base)`` for the present
    value. All [fraction per year], 0 by default (constant prices, undiscounted)."""

    growth: float = 0.0
    inflation: float = 0.0
    discount_rate: float = 0.0

    def __post_init__(self) -> None:
        problems = [Problem("", "", name, value, "a rate above -100% per year")
                    for name, value in (("growth", self.growth), ("inflation", self.inflation),
                                        ("discount_rate", self.discount_rate)) if not value > -1.0]
        if problems:
            raise OptionError(problems)

    def factor(self, years: int) -> float:
        """[-] the price and size factor ``years`` after the base year."""
        return ((1.0 + self.growth) * (1.0 + self.inflation)) ** years

    def discount(self, years: int) -> float:
        """[-] the discount factor ``years`` after the base year."""
        return (1.0 + self.discount_rate) ** -years

    def statement(self, base: int) -> str:
        """The basis of the amounts, in words."""
        if self.growth == 0.0 and self.inflation == 0.0:
            size = (f"in constant prices of {base}, the business held at its {base} size (no growth, "
                    "no inflation)")
        else:
            size = (f"grown {self.growth:.2%} a year (business) and inflated {self.inflation:.2%} a year "
                    f"from {base} prices")
        disc = (f"present values discounted at {self.discount_rate:.2%} a year to {base}"
                if self.discount_rate else "present values undiscounted (discount rate 0)")
        return f"Amounts {size}; {disc}."


@dataclass(frozen=True)
class Effect:
    """One line of the bridge in one year [currency/yr], after controls: ``central`` the mean,
    ``low`` and ``high`` the 5th and 95th percentiles, ``var99`` the 99th (None: not computed)."""

    line_item: str
    central: float
    low: float | None = None
    high: float | None = None
    var99: float | None = None


@dataclass(frozen=True)
class Budgeted:
    """A budgeted (planned) amount in one year [currency/yr]: not a risk loss. ``central`` after
    the controls acting on it, ``before_controls`` without them."""

    risk_id: str
    line_item: str
    central: float
    low: float
    high: float
    before_controls: float = 0.0


@dataclass(frozen=True)
class HorizonEffects:
    """The bridge in one simulated year: the line items, their total (the residual loss of all
    risks) and the budgeted amounts, all times ``factor`` (:meth:`Prices.factor`)."""

    year: int
    label: str
    factor: float
    items: list[Effect]
    total: Effect
    budgeted: list[Budgeted]

    @property
    def budgeted_total(self) -> float:
        return sum(b.central for b in self.budgeted)


@dataclass(frozen=True)
class Figure:
    """A current-period figure (16(a)) [currency]: ``inputs`` are the register inputs it rests on,
    ``(entry, field prefix)``; ``computed`` says whether climaterisk derived it from them."""

    what: str
    line_item: str
    amount: float
    inputs: tuple[tuple[str, str], ...]
    computed: bool
    note: str = ""


@dataclass(frozen=True)
class AssetAtRisk:
    """A site whose carrying amount could move next year: its value [currency] and its damage after
    controls next year (or the nearest simulated year), expected and 1 in 100 years [currency/yr]."""

    site_id: str
    name: str
    value: float
    expected_damage: float
    damage_var99: float


@dataclass(frozen=True)
class PlanLine:
    """One line summed over the plan period [currency]: each year's central value (times the
    price factor) and the same discounted."""

    line_item: str
    cumulative: float
    present_value: float


@dataclass
class FinancialEffects:
    """The bridge of one assessment (see the module's docstring)."""

    currency: str
    scenario: str
    base_year: int
    prices: Prices
    horizons: list[HorizonEffects]
    current: list[Figure]
    assets_year: int | None
    assets: list[AssetAtRisk]
    plan_years: tuple[int, int] | None
    plan: list[PlanLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def computed(self) -> bool:
        """Whether the line items were simulated (not by the exact method)."""
        return all(h.items for h in self.horizons) and bool(self.horizons)


ASSET_VALUE_BASIS = (
    "Value: the site's replacement value (the register holds no carrying amount). Damage is modelled "
    "as a share of the replacement value and capped by it, so the replacement value bounds what an "
    "event can destroy; the carrying amount (depreciated cost) of an older site is lower, and a "
    "write-down is at most the carrying amount, the rest being repair or replacement spending.")


def horizon_effects(h: HorizonResult, factor: float = 1.0) -> HorizonEffects:
    """The bridge of one horizon, every amount times ``factor`` [-]."""
    items = [Effect(x.id, x.residual.mean * factor, x.p5["residual"] * factor,
                    x.residual.var95 * factor, x.residual.var99 * factor) for x in h.by_line_item]
    r = h.total.residual
    p5 = h.total_p5.get("residual")
    total = Effect("total", r.mean * factor, None if p5 is None else p5 * factor, r.var95 * factor,
                   r.var99 * factor)
    budgets = [Budgeted(b.risk_id, b.line_item, b.residual * factor, b.low * factor, b.high * factor,
                        b.inherent * factor) for b in h.budgeted]
    return HorizonEffects(h.year, h.label, factor, items, total, budgets)


def _budgeted_figures(reg: Register, scenario: Scenario | None) -> list[Figure]:
    """Each budgeted programme's base-year amount [currency/yr]: its expected amount (the mean of its
    distribution; its driver's ratio is 1 in the base year) times the factors of the controls in
    force on it, as the budget table computes every horizon (:func:`budgeted_lines` on the
    base-year portfolio of ``scenario``). Without a scenario: the expected amount before controls."""
    risks = {r.id: r for r in reg.risks}
    models = _budgeted_models(reg)
    lines: list[tuple[str, str, float, float | None]] = []
    try:
        portfolio = compile_portfolio(reg, scenario, reg.baseline_year) if scenario is not None else None
    except ScenarioError:  # the scenario does not reach the base year
        portfolio = None
    if portfolio is not None:
        lines = [(b.risk_id, b.line_item, b.residual, b.inherent) for b in budgeted_lines(reg, portfolio)]
    else:
        lines = [(r.id, line_item_of(_KIND[type(m).__name__], m.line_item), m.cost.mean(), None)
                 for r in sorted(reg.risks, key=lambda r: r.id) for _, m in models[r.id]
                 if hasattr(m, "cost")]
    out = []
    for risk_id, item, amount, before in lines:
        risk = risks[risk_id]
        inputs = budget_inputs(reg, risk_id)
        note = ("expected amount of the register's range (its driver's ratio is 1 in the base year), "
                + ("before controls" if before is None else
                   f"after the controls in force on it ({before:,.0f} before controls)"))
        out.append(Figure(f"{risk_id} budgeted programme ({risk.title})", item, amount, inputs, True, note))
    return out


def _budgeted_models(reg: Register) -> dict[str, list[tuple[int, object]]]:
    """Per risk id, its budgeted models with their position in the risk's ``models``."""
    return {r.id: [(i, m) for i, m in enumerate(r.models) if m.nature == "budgeted"] for r in reg.risks}


def budget_inputs(reg: Register, risk_id: str) -> tuple[tuple[str, str], ...]:
    """The register inputs a risk's budgeted amount rests on, ``(entry, field prefix)``: its budgeted
    models and the effect of each of its controls that acts on their types."""
    risk = next(r for r in reg.risks if r.id == risk_id)
    models = _budgeted_models(reg)[risk_id]
    kinds = {_KIND[type(m).__name__] for _, m in models}
    acting = [c for c in risk.control_ids
              if reg.control(c).components is None or kinds & set(reg.control(c).components or ())]
    return (*((risk_id, f"models[{i}]") for i, _ in models), *((c, "effect") for c in acting))


_KIND = {"CoolingEnergy": "cooling_energy", "CoolingWater": "cooling_water", "CarbonCost": "carbon_cost",
         "AnnualCost": "annual_cost"}


def current_figures(reg: Register, scenario: Scenario | None = None) -> list[Figure]:
    """The base year's figures in money the register gives or implies (16(a)): the sites' electricity
    and water cost at their tariffs [currency/yr], each budgeted programme's base-year amount after
    the controls in force (:func:`_budgeted_figures`; before controls without ``scenario``) and the
    metrics whose unit is the currency."""
    out = []
    power = [(s, s.electricity_mwh * reg.electricity_price_at(s)) for s in reg.sites]
    if any(v for _, v in power):
        out.append(Figure(
            "electricity cost of the sites (electricity x tariff)", "operating_cost",
            sum(v for _, v in power),
            (*((s.id, "electricity_mwh") for s, v in power if v), ("", "parameters.electricity_price")),
            True))
    water = [(s, (s.wue or 0.0) * s.electricity_mwh / (s.pue or 1.0) * reg.water_price_at(s))
             for s in reg.sites]
    if any(v for _, v in water):
        out.append(Figure(
            "water cost of the sites (WUE x IT energy x tariff)", "operating_cost",
            sum(v for _, v in water),
            (*((s.id, f) for s, v in water if v for f in ("wue", "pue", "electricity_mwh")),
             ("", "parameters.water_price")),
            True))
    out += _budgeted_figures(reg, scenario)
    for m in reg.metrics:
        if m.unit == reg.currency and m.year == reg.baseline_year and m.period == "annual":
            out.append(Figure(f"{m.name} (metric {m.id})", "operating_cost", m.value,
                              ((m.id, "value"),), False, "a metric of the register in the currency"))
    return out


def assets_at_risk(h: HorizonResult, result: Assessment) -> list[AssetAtRisk]:
    """Sites with damage in the horizon ``h`` (their damage rows), largest 1-in-100 damage first."""
    sites = {s.id: s for s in result.register.sites}
    out = [AssetAtRisk(d.id, sites[d.id].name, sites[d.id].replacement_value, d.residual.mean,
                       d.residual.var99)
           for d in h.site_damage if d.id in sites and d.residual.mean > 0.0]
    return sorted(out, key=lambda a: (-a.damage_var99, a.site_id))


def _interpolated(points: list[tuple[int, float]], year: int) -> float:
    """Linear interpolation of ``points`` (year, value) at ``year``; before the first point its value."""
    if year <= points[0][0]:
        return points[0][1]
    for (y0, v0), (y1, v1) in itertools.pairwise(points):
        if y0 <= year <= y1:
            return v0 + (v1 - v0) * (year - y0) / (y1 - y0)
    return points[-1][1]


def plan_lines(result: Assessment, prices: Prices) -> tuple[tuple[int, int] | None, list[PlanLine]]:
    """Cumulative and present value of each line item, the total and the budgeted spending from the
    year after the base year to the last horizon: each year's EAL interpolated linearly between
    the simulated years (the first simulated year's before it), times the price factor, summed."""
    base = result.register.baseline_year
    years = sorted({h.year for h in result.horizons if h.year > base})
    if not years:
        return None, []
    by_year = {h.year: h for h in result.horizons}

    def line(name: str, value) -> PlanLine:  # type: ignore[no-untyped-def]
        points = [(y, value(by_year[y])) for y in years]
        cum = pv = 0.0
        for t in range(base + 1, years[-1] + 1):
            amount = _interpolated(points, t) * prices.factor(t - base)
            cum += amount
            pv += amount * prices.discount(t - base)
        return PlanLine(name, cum, pv)

    out = []
    if all(by_year[y].by_line_item for y in years):
        for i, name in enumerate([x.id for x in by_year[years[0]].by_line_item]):
            out.append(line(name, lambda h, i=i: h.by_line_item[i].residual.mean))
    out.append(line("total", lambda h: h.total.residual.mean))
    out.append(line("budgeted", lambda h: sum(b.residual for b in h.budgeted)))
    return (base + 1, years[-1]), out


def next_year_run(result: Assessment) -> HorizonResult | None:
    """The year after the base year simulated on its own (same scenario, seed and trials, no
    control values or coverage), for the assets at risk next year (IFRS S2 16(b)); None when
    ``result`` already holds that year, used the exact method, or the scenario does not reach it."""
    from climaterisk.analysis.assess import assess

    year = result.register.baseline_year + 1
    if any(h.year == year for h in result.horizons) or result.manifest.get("method") == "fft":
        return None
    try:
        result.scenario.check_year(year)
    except ScenarioError:
        return None
    run = assess(result.register, result.scenario, horizons=[year], trials=result.trials, seed=result.seed,
                 chunk_trials=result.chunk_trials, with_controls=False, with_coverage=False)
    return run.horizons[0]


def financial_effects(result: Assessment, prices: Prices | None = None,
                      next_year: HorizonResult | None = None) -> FinancialEffects:
    """The bridge of ``result`` (see the module's docstring); ``prices`` default: constant prices.
    ``next_year`` (:func:`next_year_run`) is the year after the base year simulated apart: the
    assets at risk next year are taken from it, else from the nearest simulated year."""
    prices = prices or Prices()
    reg = result.register
    base = reg.baseline_year
    horizons = [horizon_effects(h, prices.factor(h.year - base)) for h in result.horizons]
    first = next_year or (min(result.horizons, key=lambda h: h.year) if result.horizons else None)
    span, plan = plan_lines(result, prices)
    notes = [prices.statement(base)]
    if first is not None and not first.by_line_item:
        notes.append("Line items, their ranges and the damage by site are not computed by the exact "
                     "method (method fft): run with --method mc.")
    if first is not None and first.year != base + 1:
        notes.append(f"Next year ({base + 1}) is represented by the nearest simulated year, {first.year}: "
                     "its hazards and drivers are the scenario's for that year.")
    if span is not None:
        notes.append(f"Plan period {span[0]}-{span[1]}: each year's EAL is interpolated linearly between "
                     f"the simulated years {', '.join(str(h.year) for h in result.horizons)}, the first "
                     "simulated year's EAL standing for the years before it; central values only (a sum "
                     "of yearly percentiles is not a percentile of the sum).")
    return FinancialEffects(
        currency=reg.currency, scenario=result.scenario.id, base_year=base, prices=prices,
        horizons=horizons, current=current_figures(reg, result.scenario),
        assets_year=first.year if first is not None else None,
        assets=assets_at_risk(first, result) if first is not None else [],
        plan_years=span, plan=plan, notes=notes,
    )


__all__ = [
    "ASSET_VALUE_BASIS",
    "LABELS",
    "LINE_ITEMS",
    "AssetAtRisk",
    "Budgeted",
    "Effect",
    "Figure",
    "FinancialEffects",
    "HorizonEffects",
    "PlanLine",
    "Prices",
    "assets_at_risk",
    "budget_inputs",
    "current_figures",
    "financial_effects",
    "horizon_effects",
    "plan_lines",
]
