"""Where a model's cost lands in the financial statements, and whether it is a risk or a plan.

Every quantitative model of a risk hits one *line item* of the statements (IFRS S2 15-21):

- ``operating_cost``: power, water, compliance, carbon and other running costs;
- ``revenue``: revenue lost (outage days, service credits, make-goods after an outage);
- ``capital_expenditure``: repair or replacement of damaged assets, retrofits;
- ``asset_impairment``: a write-down of the carrying amount of an asset (a written-off investment).

Its *nature* is ``risk_loss`` (an uncertain event or condition: counted in the EAL and VaR) or
``budgeted`` (planned spending, such as a compliance programme or a retrofit plan: reported
apart, never in the risk EAL). Events are risk losses by definition; only the recurring cost
models (``cooling_energy``, ``cooling_water``, ``carbon_cost``, ``annual_cost``) can be budgeted.

A site event books two parts: its damage (``line_item``, default ``capital_expenditure``) and its
downtime (always ``revenue``: the interruption cost per day is revenue lost). Insurance
recoveries are booked apart, as :data:`INSURANCE` (negative amounts).
The reasons for each default are in ``docs/methodology.md`` ("Financial effects on the statements").
"""

from __future__ import annotations

LINE_ITEMS = ("operating_cost", "revenue", "capital_expenditure", "asset_impairment")
"""The statement line items a model can hit."""

INSURANCE = "insurance_recovery"
"""The line of insurance recoveries (negative: they reduce the loss)."""

NATURES = ("risk_loss", "budgeted")

BUDGETABLE = ("cooling_energy", "cooling_water", "carbon_cost", "annual_cost")
"""Model types that may be declared ``nature: budgeted`` (planned recurring spending)."""

DEFAULT_LINE_ITEM = {
    "site_event": "capital_expenditure",  # the damage part; downtime is revenue
    "entity_event": "operating_cost",
    "outage_episode": "revenue",
    "cooling_energy": "operating_cost",
    "cooling_water": "operating_cost",
    "carbon_cost": "operating_cost",
    "annual_cost": "operating_cost",
}
"""The line item of each model type when the register does not name one."""

DOWNTIME_LINE_ITEM = "revenue"
"""The line item of a site event's downtime part (interruption cost per day)."""


def line_item_of(kind: str, declared: str | None) -> str:
    """The line item of a model of type ``kind``: the register's ``declared`` one, else the default."""
    return declared or DEFAULT_LINE_ITEM[kind]


__all__ = ["BUDGETABLE", "DEFAULT_LINE_ITEM", "DOWNTIME_LINE_ITEM", "INSURANCE", "LINE_ITEMS", "NATURES",
           "line_item_of"]
