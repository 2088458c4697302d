"""What the register does not know: the inputs declared epistemic.

Two kinds of uncertainty are kept apart (methodology, section "Two kinds of uncertainty"):

- *aleatory*: what varies from year to year (whether a typhoon hits this year, how much an
  annual cost comes to this year). It is drawn afresh in every simulated year.
- *epistemic*: one value we do not know that holds in every year of a world (the true rate of
  a rare event, the share of emissions a carbon price will cover, a site's cooling sensitivity).
  It is never redrawn per simulated year: the default run holds it at its mean (so the default
  EAL is the EAL averaged over what we don't know), and the two-level analysis
  (:mod:`climaterisk.analysis.uncertainty`) draws it once per simulated world.

A register declares an input epistemic with ``uncertainty: epistemic`` on a recurring-cost model
(its interval or range becomes the distribution of the unknown value), or with ``rate_range``
instead of ``rate`` on a company-level event. Without declarations a register behaves as it
did before the two levels existed. Each epistemic input has a name,
``file:entry:field`` (``risks.yaml:R7:models[0].exposed_share``), the same as the sensitivity
analysis gives the input; the compiled model looks up the quantile a world gives it by that name.
"""

from __future__ import annotations

from dataclasses import dataclass

from climaterisk.register.distributions import LogNormal, Uniform
from climaterisk.register.entities import (
    AnnualCost,
    CarbonCost,
    CoolingEnergy,
    CoolingWater,
    EntityEvent,
    Model,
    Register,
    Risk,
)

__all__ = ["EpistemicInput", "epistemic_field", "epistemic_inputs", "epistemic_key", "model_name"]


@dataclass(frozen=True)
class EpistemicInput:
    """One register input declared epistemic: its name (``file:entry:field``), unit, the
    distribution of its unknown value (None when the scenario gives it, as with a carbon cost's
    ``share_drivers``), and the source of that distribution."""

    name: str
    file: str
    entry: str
    field: str
    unit: str
    distribution: LogNormal | Uniform | None
    source: str

    def describe(self) -> str:
        """The distribution in words, e.g. ``uniform 0-0.3`` or ``lognormal, 90% in 0.4-2``."""
        d = self.distribution
        if d is None:
            return "uniform between the scenario's low and high drivers in each year"
        if isinstance(d, Uniform):
            return f"uniform {d.low:g}-{d.high:g}"
        return f"lognormal, 90% in {d.ppf(0.05):.3g}-{d.ppf(0.95):.3g}"


def model_name(risk: Risk, model: Model) -> str:
    """``file:entry:models[i]``, the name of a risk's (or opportunity's) model."""
    file = "opportunities.yaml" if risk.is_opportunity else "risks.yaml"
    return f"{file}:{risk.id}:models[{risk.models.index(model)}]"


def epistemic_key(risk: Risk, model: Model) -> str | None:
    """The name under which a world sets the model's unknown value, or None when it has none.

    ``file:entry:models[i].field`` for a value of the model's own; a carbon cost whose share
    comes from scenario drivers is keyed by the drivers (``scenario drivers low..high``), so every
    model priced by the same rule sees the same share in a world (a risk's carbon cost and an
    opportunity's avoided carbon cost)."""
    found = epistemic_field(model)
    if found is None:
        return None
    if isinstance(model, CarbonCost) and model.share_drivers:
        return "scenario drivers {}..{}".format(*model.share_drivers)
    return f"{model_name(risk, model)}.{found[0]}"


_UNITS = {"sensitivity": "fraction per °C", "mechanical_cooling": "fraction of IT load",
          "exposed_share": "fraction 0-1", "cost": "currency/yr", "rate_range": "events/yr"}


def epistemic_field(model: Model) -> tuple[str, LogNormal | Uniform | None] | None:
    """``(field, distribution)`` of a model's epistemic input, or None when it declares none.
    The distribution is None when the scenario gives it (a carbon cost's ``share_drivers``)."""
    if isinstance(model, EntityEvent):
        return ("rate_range", model.rate_range) if model.rate_range is not None else None
    if not getattr(model, "epistemic", False):
        return None
    if isinstance(model, CoolingEnergy):
        if model.mechanical_cooling is not None:
            return "mechanical_cooling", model.mechanical_cooling
        return "sensitivity", model.sensitivity
    if isinstance(model, CoolingWater):
        return "sensitivity", model.sensitivity
    if isinstance(model, CarbonCost):
        return "exposed_share", None if model.share_drivers else model.exposed_share
    if isinstance(model, AnnualCost):
        return "cost", model.cost
    return None


def epistemic_inputs(register: Register) -> list[EpistemicInput]:
    """Every input of ``register`` declared epistemic, risks then opportunities, in file order."""
    sources = {(p.file.rsplit("/", 1)[-1], p.entry, p.field): p.source for p in register.provenance}
    out: dict[str, EpistemicInput] = {}
    for risk in (*register.risks, *register.opportunities):
        for model in risk.models:
            found, key = epistemic_field(model), epistemic_key(risk, model)
            if found is None or key is None:
                continue
            name, dist = found
            file, entry, models_i = model_name(risk, model).split(":")
            fld = f"{models_i}.{name}"
            source = sources.get((file, entry, fld), "")
            if dist is None:  # the share's range comes from the scenario, shared by every user
                file, entry, fld = "scenario", "", key.removeprefix("scenario drivers ")
                source = "the scenario's drivers " + " and ".join(model.share_drivers or ())  # type: ignore[union-attr]
            out.setdefault(key, EpistemicInput(key, file, entry, fld, _UNITS.get(name, ""), dist, source))
    return list(out.values())
