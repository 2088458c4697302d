"""Target values of the previous period, from the history store, for the report's progress
against the previous period's plan (IFRS S2 14(c), 35).

:func:`previous_targets` reads the latest snapshot of the register in a store (the ``metrics.yaml``
the snapshot kept) and returns each target's latest value then;
:func:`climaterisk.analysis.transition_plan.progress_since` compares them with the current values.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from climaterisk.analysis.transition_plan import latest_value
from climaterisk.history.store import Location, last_snapshot
from climaterisk.io import read_yaml
from climaterisk.register import Register


def snapshot_targets(register_files: Mapping[str, str]) -> dict[str, float | None]:
    """{target id: latest value (else baseline) in the target's unit} of a snapshot's files."""
    text = register_files.get("metrics.yaml")
    if not text:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "metrics.yaml"
        file.write_text(text, encoding="utf-8")
        data = read_yaml(file) or {}
    targets = data.get("targets", []) if isinstance(data, Mapping) else []
    return {t["id"]: latest_value(t) for t in targets if isinstance(t, Mapping) and "id" in t}


def previous_targets(location: Location, register: Register) -> tuple[str, dict[str, float | None]] | None:
    """(label, {target id: value}) of the latest snapshot of ``register`` (same id, same folder) in
    the store at ``location``, or None when the store or such a snapshot is absent."""
    last = last_snapshot(location, register)
    if last is None:
        return None
    return (f"{last.quarter} revision {last.revision}", snapshot_targets(last.register_files))


__all__ = ["previous_targets", "snapshot_targets"]
