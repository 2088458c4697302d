"""The spec of a risk's quantitative models: the :data:`MODEL` tagged union, one object per
model type (``type: site_event``, ``entity_event``, ``outage_episode``, ``cooling_energy``,
``cooling_water``, ``carbon_cost``, ``annual_cost``), each with its fields, units and meaning.

The dataclasses the models are built into are in :mod:`climaterisk.register.entities`;
:mod:`climaterisk.register.schema` uses :data:`MODEL` in the risk and opportunity specs and
re-exports it.
"""

from __future__ import annotations

from climaterisk.register.booking import DEFAULT_LINE_ITEM, DOWNTIME_LINE_ITEM, LINE_ITEMS, NATURES
from climaterisk.register.fields import (
    Enum,
    F,
    Id,
    Interval,
    ListOf,
    Obj,
    Quantity,
    Tagged,
    Uniform,
)
from climaterisk.register.schema_base import fraction

UNCERTAINTY = F(
    "uncertainty", Enum(("aleatory", "epistemic")), False,
    "what the drawn value's spread is: `aleatory` (the default) if the value varies from year to "
    "year (drawn afresh every simulated year), `epistemic` if it is one unknown value that holds in "
    "every year of a world (held at its mean by default, drawn once per world by `assess "
    "--uncertainty`)")


def line_item(kind: str, part: str = "") -> F:
    """The optional ``line_item`` field of a model of type ``kind``: the statement line it hits."""
    what = f"statement line item its {part} hits" if part else "statement line item it hits"
    return F("line_item", Enum(LINE_ITEMS), False,
             f"the {what} (financial effects, IFRS S2 15-21); default `{DEFAULT_LINE_ITEM[kind]}`")


NATURE = F(
    "nature", Enum(NATURES), False,
    "`risk_loss` (the default: an uncertain cost, counted in the EAL and VaR) or `budgeted` (planned "
    "spending such as a compliance programme or a retrofit plan: reported with the financial effects "
    "as budgeted, never in the risk EAL)")

MODEL = Tagged({
    "site_event": Obj([
        F("hazard", Id(), doc="hazard key of the sites' `hazards` and regions' `common_events`"),
        F("damage", Interval("fraction 0-1 of site replacement_value", "damage per event", hi=1.0)),
        F("downtime_days", Interval("days", "full-outage-equivalent downtime per event"), False),
        line_item("site_event", "damage"),
    ], doc="Acute hazard events at the risk's sites (Poisson counts, lognormal severity). The damage "
           f"is booked to `line_item`, the downtime (interruption cost) to `{DOWNTIME_LINE_ITEM}`."),
    "entity_event": Obj([
        F("rate", Quantity(unit="events/yr", lo=0.0), False,
          "baseline annual rate; give this or `rate_range`"),
        F("rate_range", Uniform("events/yr", "the true baseline rate is not known: uniform between "
                                "low and high, one value for every year of a world (epistemic); "
                                "held at the mean by default", hi=None), False,
          "give this or `rate`"),
        F("severity", Interval("currency", "loss per event")),
        F("rate_driver", Id(), False, "scenario driver scaling the rate (value / baseline value)"),
        line_item("entity_event"),
    ], doc="Company-level events (a failed investment, a reputational event)."),
    "outage_episode": Obj([
        F("trigger_days", Quantity(unit="days", lo=0.0),
          doc="an outage at one of the risk's sites longer than this (full-outage-equivalent days, "
              "after controls) can set off an episode"),
        F("probability", fraction("chance that one such outage sets off an episode")),
        F("severity", Interval("currency", "cost of one episode")),
        line_item("outage_episode"),
    ], doc="Episodes that follow long outages (a reputational episode after a visible outage): "
           "drawn from the simulated outages of the other risks at the risk's sites, so they are "
           "more likely in years with long outages. Only Monte Carlo represents this dependence."),
    "cooling_energy": Obj([
        F("sensitivity", Interval("fraction of site electricity per °C",
                                  "extra electricity per °C of local warming"), False,
          "the flat rule: extra electricity proportional to local warming; give this or "
          "`mechanical_cooling`, not both"),
        F("mechanical_cooling", Interval("fraction of IT load",
                                         "extra power of mechanical cooling over the economiser"), False,
          "the hours rule: extra electricity per hour above the economiser set point, as a share of the "
          "site's average IT load; every site of the risk needs `free_cooling` and `pue`"),
        UNCERTAINTY,
        line_item("cooling_energy"),
        NATURE,
    ], doc="Chronic heat: extra cooling electricity cost at the risk's sites, priced at each site's "
           "region tariff (`parameters.electricity_price_by_region`, else `electricity_price`)."),
    "cooling_water": Obj([
        F("sensitivity", Interval("fraction of site water use per °C",
                                  "extra cooling water per °C of local warming")),
        UNCERTAINTY,
        line_item("cooling_water"),
        NATURE,
    ], doc="Chronic heat: extra cooling water at the risk's sites (WUE x IT energy), priced at the "
           "region's water tariff times the site's water-stress factor; every site needs `wue` and `pue`."),
    "carbon_cost": Obj([
        F("emissions", ListOf(Id(), min_items=1), False,
          "metric ids summed [t CO2e/yr] (frozen at their value); give this or `projected`"),
        F("projected", Enum(("location", "market", "avoided")), False,
          "emissions projected by ghg.yaml's pathway for the horizon year under the scenario: scope 1 + "
          "scope 2 location- or market-based, or the scope 2 that zero-emission contracts avoid [t CO2e/yr]"),
        F("exposed_share", Uniform("fraction 0-1", "share of those emissions priced"), False,
          "give this or `share_drivers`"),
        F("share_drivers", Obj([
            F("low", Id(), doc="scenario driver of the lower bound [fraction 0-1]"),
            F("high", Id(), doc="scenario driver of the upper bound [fraction 0-1]"),
        ]), False,
          "exposed share uniform between two scenario drivers in the horizon year"),
        UNCERTAINTY,
        line_item("carbon_cost"),
        NATURE,
    ], doc="Carbon-price exposure: emissions x share x scenario carbon price x fx."),
    "annual_cost": Obj([
        F("cost", Interval("currency/yr", "recurring cost")),
        F("driver", Id(), False, "scenario driver scaling the cost (value / baseline value)"),
        UNCERTAINTY,
        line_item("annual_cost"),
        NATURE,
    ], doc="A recurring cost (or benefit) scaled by a scenario driver."),
})
