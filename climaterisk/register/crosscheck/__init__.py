"""Cross-file consistency checks of a register: the rules no single field's spec can state.

:func:`cross_check` runs after every file of a register folder has passed its field specs
(:mod:`climaterisk.register.schema`): ids are unique, references name declared entries (regions, sites,
controls, metrics, documents cited by sources), dates and years are in order, models have the
sites, hazards and parameters they need, and controls and metrics are consistent with their
type. It also resolves the site selectors of risks, opportunities and controls into site ids.

The checks are grouped by the file they mostly concern, one module each: :mod:`.sites`
(``register.yaml`` and ``sites.yaml``), :mod:`.risks` (risks, opportunities and their models),
:mod:`.controls`, :mod:`.metrics` (metrics, targets, disclosure settings, BIA); :mod:`.common`
holds the entries, ids, references and sources they share. :func:`cross_check` runs them in a
fixed order, so the problems of a register are always reported in the same order.
"""

from __future__ import annotations

from pathlib import Path

from climaterisk.errors import Problem
from climaterisk.register import schema
from climaterisk.register.crosscheck.common import Entries, check_sources, unique_ids
from climaterisk.register.crosscheck.controls import check_controls
from climaterisk.register.crosscheck.metrics import check_bia, check_disclosure, check_metrics_and_targets
from climaterisk.register.crosscheck.risks import check_risks
from climaterisk.register.crosscheck.sites import check_footprints, check_metadata, check_sites, check_tariffs


def cross_check(
    folder: Path, data: dict[str, dict], provenance: list[schema.Provenance],
    problems: list[Problem],
) -> None:
    """Rules that span fields or files: unique ids, references, consistency."""
    reg = Entries.of(folder, data)
    ids = unique_ids(reg, problems)
    check_metadata(reg, problems)
    check_sites(reg, ids, problems)
    check_tariffs(reg, ids, problems)
    check_footprints(reg, problems)
    check_risks(reg, ids, problems)
    check_controls(reg, ids, problems)
    check_metrics_and_targets(reg, ids, problems)
    check_disclosure(reg, ids, problems)
    check_bia(reg, ids, problems)
    check_sources(provenance, ids.documents, problems)
