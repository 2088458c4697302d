"""The cross-file checks of ``register.yaml`` and ``sites.yaml``: horizons and reporting period in
order, sites in declared regions with an RTO within their MTPD and a certified site's expiry date,
regional tariffs of declared regions, and a common event's per-site footprints within its region.
"""

from __future__ import annotations

from climaterisk.errors import Problem
from climaterisk.register.crosscheck.common import Entries, Ids, ref

CERTIFIED = ("company", "lessor")
"""The ISO 22301 statuses of a site that hold a certificate."""


def check_metadata(reg: Entries, problems: list[Problem]) -> None:
    """Horizons [years] follow the baseline year in order; the reporting period ends after it starts."""
    meta, file = reg.meta, reg.files.reg
    h = meta["horizons"]
    if not (meta["baseline_year"] <= h["short"] <= h["medium"] <= h["long"]):
        problems.append(Problem(
            file, "", "horizons", h, f"baseline_year ({meta['baseline_year']}) <= short <= medium <= long"
        ))
    start, end = meta["reporting_period"]["start"], meta["reporting_period"]["end"]
    if start > end:
        problems.append(Problem(
            file, "", "reporting_period.end", str(end), f"a date on or after start ({start})"
        ))


def check_sites(reg: Entries, ids: Ids, problems: list[Problem]) -> None:
    """Sites name a declared region, have an RTO no longer than their MTPD [days], and a
    certified site's ISO 22301 certificate has an expiry date."""
    file = reg.files.sites
    for site in reg.sites:
        ref(ids.regions, site["region"], file, site["id"], "region", "region", problems)
        rto, mtpd = site.get("rto_days"), site.get("mtpd_days")
        if rto is not None and mtpd is not None and rto > mtpd:
            problems.append(Problem(
                file, site["id"], "rto_days", rto, f"an RTO no longer than the MTPD ({mtpd:g} days)"
            ))
        iso = site.get("iso22301") or {}
        status = iso.get("status")
        if status is not None and "certified" in iso and iso["certified"] != (status in CERTIFIED):
            problems.append(Problem(
                file, site["id"], "iso22301.certified", iso["certified"],
                f"{str(status in CERTIFIED).lower()} for status {status} (or leave certified out)",
            ))
        elif (status in CERTIFIED or (status is None and iso.get("certified"))) \
                and iso.get("valid_until") is None:
            problems.append(Problem(
                file, site["id"], "iso22301.valid_until", None, "the certificate's expiry date"
            ))


def check_tariffs(reg: Entries, ids: Ids, problems: list[Problem]) -> None:
    """The regional tariff tables of ``parameters`` (electricity [currency/MWh], water
    [currency/m³]) name declared regions."""
    params = reg.meta.get("parameters", {})
    for table in ("electricity_price_by_region", "water_price_by_region"):
        for region in params.get(table, {}):
            ref(ids.regions, region, reg.files.reg, "", f"parameters.{table}", "region", problems)


def check_footprints(reg: Entries, problems: list[Problem]) -> None:
    """A common event's per-site footprints name sites of its own region."""
    in_region: dict[str, set[str]] = {}
    for site in reg.sites:
        in_region.setdefault(site["region"], set()).add(site["id"])
    for region in reg.regions:
        members = in_region.get(region["id"], set())
        for i, event in enumerate(region.get("common_events", [])):
            for site_id in event.get("footprints", {}):
                if site_id not in members:
                    problems.append(Problem(
                        reg.files.sites, region["id"], f"common_events[{i}].footprints", site_id,
                        f"a site of region {region['id']} ({', '.join(sorted(members)) or 'none'})"))
