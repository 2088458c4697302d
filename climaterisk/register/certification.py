"""Whether a site holds a valid ISO 22301 certificate on a date or in a year."""

from __future__ import annotations

import datetime as dt

from climaterisk.register.entities import Register, Site


def certified_in(register: Register, site: Site, year: int | None = None) -> bool:
    """Whether ``site`` holds a valid certificate on the as-of date (``year`` None) or in
    ``year`` under the register's renewal assumption."""
    if not site.iso_certified or site.iso_valid_until is None:
        return False
    if site.iso_valid_until < register.as_of:
        return False
    if year is None or register.renewal == "renew":
        return True
    return site.iso_valid_until >= dt.date(year, 12, 31)
