"""A site's ISO 22301 status on a date or in a year: whose certificate covers it, if any.

Four statuses (:data:`climaterisk.register.schema.ISO_STATUSES`): ``company`` (a certificate of the
company's own BCMS), ``lessor`` (the lessor's or operator's certificate: it evidences the
facility's continuity management, not the company's BCMS), ``not_certified`` (known to hold no
valid certificate, including one that has expired) and ``unknown`` (the register has no
information: neither certified nor a certification gap).
"""

from __future__ import annotations

import datetime as dt

from climaterisk.register.entities import Register, Site

CERTIFIED_STATUSES = ("company", "lessor")
STATUS_LABELS = {
    "company": "company BCMS certified",
    "lessor": "lessor / operator certified",
    "not_certified": "not certified",
    "unknown": "unknown (no information)",
}
"""How reports name each status."""


def status_in(register: Register, site: Site, year: int | None = None) -> str:
    """The site's status on the as-of date (``year`` None) or in ``year`` under the register's
    renewal assumption: a recorded certificate that has expired (or, under ``lapse``, expires
    before the end of ``year``) makes the site ``not_certified``."""
    status = site.iso_status
    if status not in CERTIFIED_STATUSES:
        return status
    until = site.iso_valid_until
    if until is None or until < register.as_of:
        return "not_certified"
    if year is None or register.renewal == "renew" or until >= dt.date(year, 12, 31):
        return status
    return "not_certified"


def certified_in(register: Register, site: Site, year: int | None = None, holder: str | None = None) -> bool:
    """Whether ``site`` holds a valid certificate on the as-of date (``year`` None) or in
    ``year`` under the register's renewal assumption; ``holder`` (``company`` or ``lessor``)
    counts only that holder's certificates."""
    status = status_in(register, site, year)
    return status == holder if holder is not None else status in CERTIFIED_STATUSES
