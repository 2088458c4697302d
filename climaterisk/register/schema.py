"""Field specifications of the register and scenario formats.

One declarative tree per file says, for every field, its type, unit, range and meaning. The
same tree validates parsed YAML (reporting every problem at once), emits the JSON Schema that
``climaterisk schema`` prints, and renders the field tables of ``docs/register-format.md``.

This module holds the spec of each register file (:data:`REGISTER_FILES`) and the outputs built
from them and from the scenario file's spec (:func:`json_schema`, :func:`markdown_reference`). Its
parts live beside it and are re-exported here: the enumerations of the formats and the site
selector in :mod:`climaterisk.register.schema_base`, the risk models (:data:`MODEL`) in
:mod:`climaterisk.register.schema_models`, the scenario file (:data:`SCENARIO`) in
:mod:`climaterisk.register.schema_scenario`. The generic node types, the validation walk and
:func:`field_rows` are in :mod:`climaterisk.register.fields` and are re-exported too, so
``schema.Obj``, ``schema.At``, ``schema.SITE_KINDS`` and the like keep working.

Validation turns ``{value: x, source: "..."}`` quantities into plain floats and records each
one, with its source, as a provenance row for the reports.
"""

from __future__ import annotations

import re

from climaterisk.refdata import disclosure_item_ids, iso22301_clause_ids
from climaterisk.register.fields import (
    DATE_PATTERN,
    ID_PATTERN,
    INVALID,
    MAX_MAGNITUDE,
    SOURCE_PATTERN,
    At,
    Bool,
    Date,
    Enum,
    F,
    Id,
    Interval,
    ListOf,
    MapOf,
    Node,
    Nullable,
    Num,
    Obj,
    Provenance,
    Quantity,
    SourcedDate,
    Str,
    Tagged,
    Uniform,
    check_source,
    field_rows,
)
from climaterisk.register.ghg import GHG_FILE
from climaterisk.register.plan import PLAN_FILE, TARGET_FIELDS
from climaterisk.register.schema_base import (
    CONTROL_STATUSES,
    CONTROL_TYPES,
    HORIZON_NAMES,
    IFRS_TYPES,
    ISO_STATUSES,
    METRIC_CATEGORIES,
    METRIC_PERIODS,
    MODEL_TYPES,
    OPPORTUNITY_CATEGORIES,
    RISK_CATEGORIES,
    SITE_KINDS,
    Selector,
    fraction,
    money,
)
from climaterisk.register.schema_models import MODEL
from climaterisk.register.schema_scenario import SCENARIO, SERIES

__all__ = [
    "BIA_ACTIVITY",
    "CONTROL",
    "CONTROL_STATUSES",
    "CONTROL_TYPES",
    "DATE_PATTERN",
    "HORIZON_NAMES",
    "ID_PATTERN",
    "IFRS_TYPES",
    "INVALID",
    "ISO_STATUSES",
    "MAX_MAGNITUDE",
    "METRIC",
    "METRIC_CATEGORIES",
    "METRIC_PERIODS",
    "MODEL",
    "MODEL_TYPES",
    "OPPORTUNITY",
    "OPPORTUNITY_CATEGORIES",
    "REGION",
    "REGISTER_FILES",
    "REGISTER_META",
    "REQUIRED_FILES",
    "RISK",
    "RISK_CATEGORIES",
    "SCENARIO",
    "SERIES",
    "SITE",
    "SITE_KINDS",
    "SOURCE_PATTERN",
    "TARGET",
    "TREATMENT_DECISIONS",
    "At",
    "Bool",
    "Date",
    "Enum",
    "F",
    "Id",
    "Interval",
    "ListOf",
    "MapOf",
    "Node",
    "Nullable",
    "Num",
    "Obj",
    "Provenance",
    "Quantity",
    "Selector",
    "SourcedDate",
    "Str",
    "Tagged",
    "Uniform",
    "check_source",
    "field_rows",
    "json_schema",
    "markdown_reference",
]


def _iso_provenance(iso: dict, at: At) -> None:
    """Records a site's ISO 22301 status with its source as provenance (value: the status, as
    given or read from ``certified``), so that an assumed status is listed with the assumptions."""
    source = iso.get("source", "")
    if SOURCE_PATTERN.match(source):  # free text (allowed before sources were read here) is not recorded
        status = iso.get("status") or (
            ("company" if iso["certified"] else "not_certified") if "certified" in iso else "unknown")
        at.provenance.append(Provenance(at.file, at.entry, at.path, status, "", source.strip()))


# --------------------------------------------------------------------------- register

WATER_STRESS_CATEGORIES = ("low", "low_medium", "medium_high", "high", "extremely_high", "arid_low_use",
                           "unknown")
"""Baseline water stress classes (the WRI Aqueduct classes, plus unknown)."""

STATEMENT_FIELDS = {
    "horizons_basis": "IFRS S2 10(d): how the short, medium and long term were chosen and how they "
                      "relate to the company's planning horizons",
    "value_chain": "IFRS S2 13: current and expected effects of climate risks and opportunities on the "
                   "business model and value chain (suppliers, customers, lessors)",
    "strategy_implications": "IFRS S2 22(a)(i): the company's own reading of what the scenario results "
                             "mean for its strategy (added to the statement the tool derives)",
    "capacity_to_adjust": "IFRS S2 22(a)(iii): capacity to adjust strategy and business model: "
                          "financial flexibility, ability to redeploy or retire assets, climate investment",
    "scenario_relevance": "IFRS S2 22(b)(i)(5): why the scenarios used are relevant to the company",
    "scenario_in_risk_identification": "IFRS S2 25(a)(ii): whether and how scenario analysis is used "
                                       "to identify climate-related risks",
    "target_review": "IFRS S2 34: how targets are set and reviewed, validation by a third party, "
                     "revisions",
    "scope_exclusions": "IFRS S2 22(b)(i)(7): operations or activities left out of the register and why",
    "data_centre_planning": "SASB TC-IM-130a.3: how environmental considerations enter the planning "
                            "of data-centre needs (siting, cooling, water)",
}
"""The optional statements of ``disclosure.statements``: field -> the paragraph and what it says."""


REGISTER_META = Obj([
    F("format_version", Num(lo=1, hi=2, integer=True),
      doc="format version: 2 (written now); 1 is read as 2 with a notice (`climaterisk migrate`)"),
    F("id", Id(), doc="register id"),
    F("organisation", Str(multiline=False)),
    F("description", Str(), False),
    F("reporting_period", Obj([F("start", Date()), F("end", Date())])),
    F("as_of", Date(), doc="date the register describes; gap rules measure time from it"),
    F("currency", Str(pattern=re.compile(r"^[A-Z]{3}$"), pattern_text="an ISO 4217 code such as CNY"),
      doc="currency of every money amount"),
    F("baseline_year", Num(lo=1900, hi=2100, integer=True),
      doc="year the hazard rates and costs describe; scenario multipliers are 1 in this year"),
    F("horizons", Obj([
        F("short", Num(lo=1900, hi=2200, integer=True, unit="year")),
        F("medium", Num(lo=1900, hi=2200, integer=True, unit="year")),
        F("long", Num(lo=1900, hi=2200, integer=True, unit="year")),
    ]), doc="the years short, medium and long term mean"),
    F("documents", ListOf(Obj([
        F("id", Id()), F("title", Str(multiline=False)), F("publisher", Str(), False),
        F("year", Num(lo=1900, hi=2200, integer=True), False), F("locator", Str(), False),
    ]), entities=True), False, "documents that sources cite by id"),
    F("governance", Str(), doc="governance description (IFRS S2 6-7)"),
    F("risk_management", Str(), doc="risk-management process description (IFRS S2 24-26)"),
    F("parameters", Obj([
        F("electricity_price", money("average electricity price", "currency/MWh"), False),
        F("fx_usd", Quantity(unit="currency per USD", lo=0.0, lo_open=True), False,
          "exchange rate for USD-denominated scenario drivers"),
        F("electricity_price_by_region", MapOf(money("electricity tariff in the region", "currency/MWh")),
          False, "per region id: the tariff cooling_energy uses at the region's sites (default: "
          "`electricity_price`)"),
        F("water_price", money("average water tariff", "currency/m³"), False,
          "default water tariff of cooling_water"),
        F("water_price_by_region", MapOf(money("water tariff in the region", "currency/m³")), False,
          "per region id: the water tariff at the region's sites (default: `water_price`)"),
    ]), False),
    F("disclosure", Obj([
        F("headcount_metric", Id(), False, "metric id of the headcount that intensities divide by"),
        F("revenue_metric", Id(), False, "metric id of revenue [currency] for intensities"),
        F("energy_metric", Id(), False, "metric id of total energy use [MWh]"),
        F("electricity_metric", Id(), False, "metric id of electricity use [MWh]"),
        F("renewable_electricity_metrics", ListOf(Id()), False,
          "metric ids of renewable electricity [MWh], summed"),
        F("reported_checks", ListOf(Obj([
            F("metric", Id(), doc="a reported figure, e.g. the report's scope 1+2 total"),
            F("computed", Enum(("ghg_scope12", "ghg_scope123", "ghg_scope12_per_head")),
              doc="the figure the tool computes and compares it with"),
        ])), False, "reported figures the report reconciles with computed ones"),
        F("physical_vulnerability_threshold", Quantity(unit="fraction of site value per year", lo=0.0),
          False, "a site is vulnerable to physical risk when its residual physical EAL in the long "
          "term reaches this share of its replacement value"),
        F("transition_vulnerability_rating", Quantity(unit="likelihood x impact, 1-25", lo=1, hi=25),
          False, "a site is vulnerable to transition risk when a transition risk naming it is rated "
          "at least this"),
        F("internal_carbon_price", Quantity(unit="currency/t CO2e", lo=0.0), False,
          "internal carbon price used in decisions, if any"),
        F("climate_capex", Quantity(unit="currency", lo=0.0), False,
          "capital expenditure deployed towards climate risks and opportunities in the period"),
        F("remuneration_link", Str(), False, "how climate is factored into executive pay"),
        F("water_withdrawn_metric", Id(), False,
          "metric id of water withdrawn [m³] (SASB TC-IM-130a.2, industry-based metrics)"),
        F("water_discharged_metric", Id(), False,
          "metric id of water discharged [m³]; water consumed is withdrawn minus discharged"),
        F("water_consumed_metric", Id(), False,
          "metric id of water consumed [m³], when reported (preferred to withdrawn minus discharged)"),
        F("water_stress_by_region", MapOf(Obj([
            F("category", Enum(WATER_STRESS_CATEGORIES),
              doc="baseline water stress class of the region (WRI Aqueduct classes; unknown: not found)"),
            F("source", Str(), doc="where the class comes from; `assumption: <basis>` marks it assumed"),
        ])), False, "per region id: its baseline water stress class, for the share of water drawn in "
          "high or extremely high water-stress regions"),
        F("statements", Obj([
            F(key, Str(allow_empty=True), False, text) for key, text in STATEMENT_FIELDS.items()
        ]), False, "the judgements the IFRS S2 report states in words; an empty or missing field is "
          "shown in the report as not stated, and its paragraph as a gap in `climaterisk disclosures`"),
        F("explanations", MapOf(Str(), key=Enum(disclosure_item_ids)), False,
          "per disclosure-index item id (`climaterisk disclosures`): why it is not disclosed (HKEX "
          "comply-or-explain, or an IFRS S2 omission)"),
        F("reliefs", ListOf(Obj([
            F("item", Enum(disclosure_item_ids), doc="the disclosure-index item id the relief applies to"),
            F("relief", Str(), doc="the relief used, e.g. IFRS S2 19-20 (qualitative financial effects) "
              "or an HKEX implementation relief"),
            F("reason", Str(), doc="why it applies, with the source"),
        ])), False, "reliefs from IFRS S2 or HKEX Part D the company uses"),
    ]), False, "inputs of the IFRS S2 metrics section and of the disclosure index"),
    F("iso22301", Obj([
        F("certification_cycle_years", Quantity(unit="years", lo=1, hi=10)),
        F("renewal", Enum(("renew", "lapse")), False,
          "renew: a certificate valid on as_of is renewed each cycle; lapse: it counts until expiry"),
        F("renewal_assumption", Str(), doc="the renewal assumption in words, for reports"),
    ]), False),
])

REGION = Obj([
    F("id", Id()), F("name", Str(multiline=False)),
    F("common_events", ListOf(Obj([
        F("hazard", Id()),
        F("rate", Quantity(unit="events/yr", lo=0.0), doc="regional events per year"),
        F("footprint", fraction("probability one regional event strikes a given site")),
        F("footprints", MapOf(fraction("probability one regional event strikes this site")), False,
          "per site id of the region: its own probability of being struck, where it differs from "
          "`footprint` (a site on higher ground, a building in the flood plain)"),
        F("severity_correlation", fraction(
            "correlation of the severities (damage and downtime, on the log scale) of the sites one "
            "regional event strikes; 0 (the default): independent"), False,
          "with a correlation above 0 the exact method (`--method fft`) is refused and `auto` "
          "uses Monte Carlo"),
    ])), False, "regional events that can strike several sites in one year"),
])

SITE = Obj([
    F("id", Id()), F("name", Str(multiline=False)),
    F("kind", Enum(SITE_KINDS)),
    F("region", Id(), doc="a region id"),
    F("description", Str(), False),
    F("location", Obj([
        F("lat", Num(unit="°", lo=-90, hi=90)), F("lon", Num(unit="°", lo=-180, hi=180)),
        F("source", Str(), False),
    ]), False),
    F("replacement_value", money("value of the company's assets at the site")),
    F("interruption_cost_per_day", money("cost of one day of full outage", "currency/day")),
    F("electricity_mwh", Quantity(unit="MWh/yr", lo=0.0), False, "annual electricity use"),
    F("pue", Quantity(unit="-", lo=1.0, hi=5.0), False, "power usage effectiveness"),
    F("renewable_share", fraction("share of electricity from renewables"), False),
    F("wue", Quantity(unit="L/kWh of IT energy", lo=0.0), False,
      "water usage effectiveness: annual site water use / annual IT electricity (cooling_water)"),
    F("water_stress", Quantity(unit="x water tariff", lo=0.0), False,
      "scarcity factor on the water tariff at the site (default 1): the premium of scarce or "
      "permit-capped water (over-quota charges, reclaimed or trucked water)"),
    F("free_cooling", Obj([
        F("hours_above_set_point", Quantity(unit="h/yr", lo=0.0, hi=8760.0),
          doc="hours a year, in the baseline year, with outdoor temperature above the economiser "
              "(free-cooling) set point, i.e. with mechanical cooling running"),
        F("temperature_sd_c", Quantity(unit="°C", lo=0.0, lo_open=True),
          doc="standard deviation of the site's hourly outdoor temperature over a year; with local "
              "warming dW the hours become 8760 (1 - Phi(z0 - dW / sd)), z0 = Phi^-1(1 - hours / 8760)"),
        F("set_point_c", Quantity(unit="°C"), False, "the economiser set point (for reports)"),
    ]), False, "economiser data of a data centre (cooling_energy with `mechanical_cooling`)"),
    F("iso22301", Obj([
        F("status", Enum(ISO_STATUSES), False,
          "company: certified under the company's own BCMS; lessor: covered by the lessor's or "
          "operator's certificate (not the company's BCMS); not_certified; unknown: no information "
          "(neither certified nor a gap). Default: from `certified` (true: company, false: "
          "not_certified); without `certified` either, unknown"),
        F("certified", Bool(), False,
          "older form of `status` (true: company, false: not_certified); if both are given they must agree"),
        F("holder", Str(), False, "who holds the certificate (e.g. the lessor's name)"),
        F("scope", Str(), False, "the certificate's scope statement (activities and sites covered)"),
        F("valid_until", Nullable(Date()), False, "expiry date; required when certified"),
        F("source", Str(), False, "where the status comes from; an `assumption:` source marks the "
          "status as assumed (and the gaps that rest on it)"),
    ], checks=[_iso_provenance]), False,
      "ISO 22301 certificate; a site without this block has status unknown"),
    F("rto_days", Quantity(unit="days", lo=0.0), False, "recovery time objective"),
    F("mtpd_days", Quantity(unit="days", lo=0.0), False, "maximum tolerable period of disruption"),
    F("hazards", MapOf(Quantity(unit="events/yr", lo=0.0)), False,
      "site-local baseline rates of damaging events, by hazard"),
    F("source", Str(), False),
])

_COMMON_RISK_FIELDS = [
    F("time_horizons", ListOf(Enum(HORIZON_NAMES), min_items=1)),
    F("owner", Nullable(Str(multiline=False)), False, "accountable role or team"),
    F("sites", Selector(), False, "sites the risk applies to"),
    F("models", ListOf(MODEL, min_items=1), doc="quantitative components; the loss is their sum"),
    F("source", Str(), False),
]

TREATMENT_DECISIONS = ("mitigate", "transfer", "accept", "avoid")
"""The committee's treatment decisions for a risk (ISO 31000 6.5): reduce it with controls,
transfer it (insurance, contract), accept it as it is, or avoid it (stop the activity)."""


def _rating() -> Obj:
    """A qualitative rating on the 5 x 5 scale: likelihood and impact, 1-5 each."""
    return Obj([
        F("likelihood", Num(lo=1, hi=5, integer=True)),
        F("impact", Num(lo=1, hi=5, integer=True)),
    ])


def _review_after_decision(treatment: dict, at: At) -> None:
    """A decision's review date cannot come before the date it was taken."""
    taken, review = treatment.get("date"), treatment.get("review_date")
    if taken is not None and review is not None and review < taken:
        at.sub("review_date").error(review.isoformat(),
                                    f"a date on or after the decision's date {taken.isoformat()}")


TREATMENT = Obj([
    F("decision", Enum(TREATMENT_DECISIONS), doc="mitigate, transfer, accept or avoid"),
    F("approver", Str(multiline=False), False, "who took the decision (a role or a body, e.g. the "
      "risk committee)"),
    F("date", Date(), False, "date the decision was taken"),
    F("rationale", Str(), False, "why this treatment"),
    F("review_date", Date(), False,
      "date the decision is to be reviewed by; past it (relative to the date assessed: the quarter "
      "reviewed, else the register's as_of) the decision is listed by `climaterisk gaps`"),
    F("source", Str(), False, "where the decision is recorded (minutes, report section)"),
], checks=[_review_after_decision])

RISK = Obj([
    F("id", Id()), F("title", Str(multiline=False)),
    F("category", Enum(RISK_CATEGORIES)),
    F("ifrs_s2_type", Enum(IFRS_TYPES)),
    F("impact", Str(), doc="impact narrative"),
    F("rating", _rating(), doc="qualitative inherent rating, 1-5 each"),
    F("residual_rating", _rating(), False,
      "qualitative residual rating (with the controls in force), 1-5 each, on the scale of `rating`; "
      "shown beside the inherent rating and the simulated ranking by residual EAL"),
    F("treatment", TREATMENT, False, "the committee's treatment decision for the risk"),
    F("controls", ListOf(Id()), False, "ids of the controls that mitigate the risk"),
    *_COMMON_RISK_FIELDS,
])

OPPORTUNITY = Obj([
    F("id", Id()), F("title", Str(multiline=False)),
    F("category", Enum(OPPORTUNITY_CATEGORIES)),
    F("ifrs_s2_type", Enum(IFRS_TYPES)),
    F("description", Str()),
    *_COMMON_RISK_FIELDS,
])

CONTROL = Obj([
    F("id", Id()), F("title", Str(multiline=False)),
    F("description", Str(), False),
    F("type", Enum(CONTROL_TYPES)),
    F("status", Enum(CONTROL_STATUSES)),
    F("effective_year", Num(lo=1900, hi=2200, integer=True), False,
      "year the control takes effect (required when planned)"),
    F("retired_year", Num(lo=1900, hi=2200, integer=True), False, "year the control stopped"),
    F("planned_on", Date(), False,
      "date the control was decided or planned; effective_year cannot be before its year"),
    F("sites", Selector(), False,
      "limit the control to these sites (default: all); a site-scoped control does not act on "
      "company-level components"),
    F("components", ListOf(Enum(MODEL_TYPES), min_items=1), False,
      "model types the control acts on (default: every component of the risks it mitigates)"),
    F("effect", Obj([
        F("frequency", fraction("fractional reduction of event frequency"), False),
        F("severity", fraction("fractional reduction of loss per event or of cost"), False),
        F("downtime", fraction("fractional reduction of downtime days"), False),
        F("deductible", money("transfer: retained loss per event"), False),
        F("limit", money("transfer: largest recovery per event"), False),
    ]), False),
    F("iso22301_clauses", ListOf(Enum(iso22301_clause_ids)), False,
      "ISO 22301 clause-8 elements the control evidences"),
    F("owner", Nullable(Str(multiline=False)), False),
    F("last_tested", Nullable(SourcedDate()), False,
      "date of the last test or exercise of the control (ISO 22301 8.5); with a source, "
      "`assumption:` marks the date as assumed"),
    F("last_incident_review", Nullable(SourcedDate()), False,
      "date of the last post-incident review of the control after a real disruption (ISO 22301 "
      "8.6), distinct from an exercise"),
    F("annual_cost", money("annual cost of the control", "currency/yr"), False),
    F("source", Str(), False),
])

METRIC = Obj([
    F("id", Id()), F("name", Str(multiline=False)),
    F("category", Enum(METRIC_CATEGORIES)),
    F("scope", Num(lo=1, hi=3, integer=True), False, "GHG scope (ghg metrics only)"),
    F("unit", Str()),
    F("year", Num(lo=1900, hi=2200, integer=True)),
    F("value", Quantity(lo=0.0)),
    F("period", Enum(METRIC_PERIODS), False,
      "what the value covers (default annual: the year's total or average); cumulative: to date, "
      "not the year's; lowest / highest: an extreme within the year, not its average; point: at a date"),
    F("description", Str(), False),
])

_POINT = Obj([F("year", Num(lo=1900, hi=2200, integer=True)), F("value", Quantity())])

TARGET = Obj([
    F("id", Id()), F("title", Str(multiline=False)),
    F("metric", Id(), False, "metric id the target tracks"),
    F("unit", Str()),
    F("baseline", _POINT), F("target", _POINT), F("latest", _POINT, False),
    F("direction", Enum(("reduce_to", "raise_to", "at_most", "at_least")), False,
      "reduce_to / raise_to: move from baseline to target (progress is the share of the way "
      "covered); at_most / at_least: a limit to stay within (met or not). Default: inferred "
      "from baseline and target"),
    F("source", Str(), False),
    *TARGET_FIELDS,
])

BIA_ACTIVITY = Obj([
    F("id", Id()), F("name", Str(multiline=False)),
    F("description", Str(), False),
    F("priority", Num(lo=1, hi=5, integer=True), False, "1 (most urgent) to 5"),
    F("mtpd_days", Quantity(unit="days", lo=0.0, lo_open=True),
      doc="maximum tolerable period of disruption of the activity"),
    F("rto_days", Quantity(unit="days", lo=0.0), doc="recovery time objective; at most the MTPD"),
    F("rpo_hours", Quantity(unit="hours", lo=0.0),
      doc="recovery point objective: the data loss tolerated; at most the MTPD"),
    F("mbco", Str(), doc="minimum business continuity objective: the reduced level of service "
      "acceptable until recovery"),
    F("depends_on", Obj([
        F("sites", ListOf(Id()), False, "site ids the activity runs at or needs"),
        F("activities", ListOf(Id()), False, "ids of other activities of this file it needs"),
    ]), False, "the resources the activity depends on"),
    F("source", Str(), False),
], doc="A prioritised activity of the business impact analysis (ISO 22301 8.2.2).")

REGISTER_FILES: dict[str, Obj] = {
    "register.yaml": REGISTER_META,
    "sites.yaml": Obj([
        F("regions", ListOf(REGION, entities=True), False),
        F("sites", ListOf(SITE, entities=True, min_items=1)),
    ]),
    "risks.yaml": Obj([F("risks", ListOf(RISK, entities=True, min_items=1))]),
    "opportunities.yaml": Obj([F("opportunities", ListOf(OPPORTUNITY, entities=True))]),
    "controls.yaml": Obj([F("controls", ListOf(CONTROL, entities=True))]),
    "metrics.yaml": Obj([
        F("metrics", ListOf(METRIC, entities=True), False),
        F("targets", ListOf(TARGET, entities=True), False),
    ]),
    "bia.yaml": Obj([F("activities", ListOf(BIA_ACTIVITY, entities=True), False,
                       "prioritised activities of the business impact analysis (ISO 22301 8.2.2)")]),
    "ghg.yaml": GHG_FILE,
    "plan.yaml": PLAN_FILE,
}
REQUIRED_FILES = ("register.yaml", "sites.yaml", "risks.yaml")

# --------------------------------------------------------------------------- outputs


def json_schema() -> dict:
    """The JSON Schema of a register folder: one sub-schema per file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "climaterisk register",
        "description": "A register is a folder of YAML files; each property is one file.",
        "type": "object",
        "properties": {name: spec.json_schema() for name, spec in REGISTER_FILES.items()},
        "required": list(REQUIRED_FILES),
        "$defs": {"scenario": SCENARIO.json_schema()},
    }


def markdown_reference() -> str:
    """Markdown field tables for every register file and for scenario files."""
    out = []
    specs = [*REGISTER_FILES.items(), ("scenarios/<id>.yaml", SCENARIO)]
    for name, spec in specs:
        out.append(f"### `{name}`\n")
        out.append("| field | type | unit | required | meaning |")
        out.append("|---|---|---|---|---|")
        for path, kind, unit, required, doc in field_rows(spec):
            cells = [f"`{path}`", kind, unit, required, doc]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    return "\n".join(out)
