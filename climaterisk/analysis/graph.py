"""The register as a linked graph (the only module that imports networkx), its gaps and exports.

Nodes are keyed ``"<kind>:<id>"`` with kind one of ``site``, ``risk``, ``opportunity``,
``control``, ``clause``. Edges:

- ``risk -> site`` (``exposes``): the risk applies to the site;
- ``opportunity -> site`` (``benefits``);
- ``control -> risk`` (``mitigates``): the register links the control to the risk;
- ``control -> site`` (``scope``): the control acts at the site for at least one risk it mitigates;
- ``control -> clause`` (``evidences``): the control evidences an ISO 22301 clause.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from climaterisk.escape import dot_escape, mermaid_escape
from climaterisk.refdata import iso22301
from climaterisk.register import Register, Risk
from climaterisk.register.certification import status_in

if TYPE_CHECKING:  # networkx is imported when a graph is built, not with the CLI
    import networkx as nx


def node(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


def _decision_attributes(risk: Risk) -> dict[str, object]:
    """The committee's ratings and treatment decision of a risk as node attributes (only those
    given: GraphML holds no empty values)."""
    out: dict[str, object] = {}
    for name in ("likelihood", "impact", "residual_likelihood", "residual_impact"):
        value = getattr(risk, name, None)
        if value is not None:
            out[name] = value
    t = getattr(risk, "treatment", None)
    if t is not None:
        out["treatment"] = t.decision
        for name in ("approver", "date", "review_date"):
            value = getattr(t, name)
            if value is not None:
                out[f"treatment_{name}"] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def build_graph(register: Register) -> nx.DiGraph:
    """The register's entities and their links as a directed graph."""
    import networkx as nx

    g = nx.DiGraph(register=register.id, organisation=register.organisation)
    for clause in iso22301()["clauses"]:
        g.add_node(node("clause", clause["id"]), kind="clause", ident=clause["id"], label=clause["title"])
    for site in register.sites:
        g.add_node(node("site", site.id), kind="site", ident=site.id, label=site.name,
                   site_kind=site.kind, region=site.region, certified=site.iso_certified,
                   iso22301=site.iso_status)
    for risk in (*register.risks, *register.opportunities):
        kind = "opportunity" if risk.is_opportunity else "risk"
        g.add_node(node(kind, risk.id), kind=kind, ident=risk.id, label=risk.title,
                   category=risk.category, ifrs_s2_type=risk.ifrs_s2_type, owner=risk.owner or "",
                   **_decision_attributes(risk))
        for sid in risk.site_ids:
            g.add_edge(node(kind, risk.id), node("site", sid),
                       relation="benefits" if risk.is_opportunity else "exposes")
    for ctrl in register.controls:
        g.add_node(node("control", ctrl.id), kind="control", ident=ctrl.id, label=ctrl.title,
                   control_type=ctrl.type, status=ctrl.status, owner=ctrl.owner or "")
        for clause in ctrl.clauses:
            g.add_edge(node("control", ctrl.id), node("clause", clause), relation="evidences")
    for risk in register.risks:
        for cid in risk.control_ids:
            ctrl = register.control(cid)
            g.add_edge(node("control", cid), node("risk", risk.id), relation="mitigates")
            for sid in risk.site_ids:
                if ctrl.applies_to(sid):
                    g.add_edge(node("control", cid), node("site", sid), relation="scope")
    return g


def _neighbours(g: nx.DiGraph, key: str, relation: str, reverse: bool = False) -> list[str]:
    edges = g.in_edges(key, data=True) if reverse else g.out_edges(key, data=True)
    return sorted((u if reverse else v) for u, v, d in edges if d["relation"] == relation)


def controls_of(g: nx.DiGraph, risk_id: str) -> list[str]:
    """Ids of the controls linked to a risk."""
    return [k.split(":", 1)[1] for k in _neighbours(g, node("risk", risk_id), "mitigates", True)]


def links_covered(g: nx.DiGraph, control_id: str) -> list[tuple[str, str]]:
    """(risk, site) links a control acts on."""
    key = node("control", control_id)
    sites = set(_neighbours(g, key, "scope"))
    out = []
    for rkey in _neighbours(g, key, "mitigates"):
        for skey in _neighbours(g, rkey, "exposes"):
            if skey in sites:
                out.append((rkey.split(":", 1)[1], skey.split(":", 1)[1]))
    return out


# --------------------------------------------------------------------------- gaps


@dataclass(frozen=True)
class Gap:
    """One finding of the gap analysis. ``assumed`` is the basis of the assumed input the finding
    rests on (empty when it rests on sourced facts or on the register's structure only); the
    reason then says so too, e.g. "(assumed date: <basis>)"."""

    rule: str
    entity: str  # e.g. "R1 @ leased-dc-4", "C3"
    reason: str
    assumed: str = ""


def certificate_valid(register: Register, site_id: str, on: dt.date) -> bool:
    """Whether the site holds a certificate (the company's or the lessor's) valid on ``on``."""
    site = register.site(site_id)
    return site.iso_certified and site.iso_valid_until is not None and site.iso_valid_until >= on


def assumed_basis(register: Register, file: str, entry: str, field: str) -> str:
    """The basis of the input ``field`` of ``entry`` in register file ``file`` (a name such as
    ``controls.yaml``) if its source is ``assumption: <basis>``; empty otherwise."""
    for p in register.assumptions:
        if Path(p.file).name == file and p.entry == entry and p.field == field:
            return p.source.split(":", 1)[1].strip()
    return ""


def _with_basis(reason: str, what: str, basis: str) -> str:
    """``reason`` followed by "(assumed <what>: <basis>)" when ``basis`` is not empty."""
    return f"{reason} (assumed {what}: {basis})" if basis else reason


DECISION_DUE_RULE = "treatment decision past review date"
"""The gap rule of a risk's treatment decision whose review date has passed."""


def find_gaps(register: Register, as_of: dt.date | None = None) -> list[Gap]:
    """Every gap of the register as of ``as_of`` (the date assessed, e.g. the end of the quarter
    reviewed; default: the register's ``as_of``), rule by rule."""
    from climaterisk.analysis.decisions import decisions_due

    g = build_graph(register)
    as_of = as_of or register.as_of
    year = as_of.year
    gaps: list[Gap] = []
    for risk in sorted(register.risks, key=lambda r: r.id):
        in_force = [register.control(c) for c in controls_of(g, risk.id)]
        in_force = [c for c in in_force if c.status == "implemented" and c.in_force(year)]
        for sid in risk.site_ids:
            if not any(c.applies_to(sid) for c in in_force):
                gaps.append(Gap("uncontrolled link", f"{risk.id} @ {sid}",
                                f"{risk.title} at {register.site(sid).name}: no control in force in {year}"))
        if not risk.site_ids and not in_force:
            gaps.append(Gap("uncontrolled risk", risk.id, f"{risk.title}: no control in force in {year}"))
    # a site with no information (status unknown) is not a gap, and a lessor's certificate counts
    acute_sites = sorted({s for r in register.risks if r.is_disruption for s in r.site_ids})
    for sid in acute_sites:
        site = register.site(sid)
        if status_in(register, site) == "not_certified":
            why = (f"certificate expired {site.iso_valid_until.isoformat()}" if site.iso_certified
                   and site.iso_valid_until else "not ISO 22301 certified")
            basis = assumed_basis(register, "sites.yaml", sid, "iso22301")
            gaps.append(Gap("acute site without ISO 22301", sid, _with_basis(
                f"{site.name} ({site.kind}) faces acute physical risk; {why}", "status", basis), basis))
    cutoff = as_of - dt.timedelta(days=365)
    linked = {c for r in register.risks for c in r.control_ids}
    for ctrl in sorted(register.controls, key=lambda c: c.id):
        if ctrl.status == "implemented" and ctrl.in_force(year):
            if ctrl.last_tested is None:
                gaps.append(Gap("control not tested", ctrl.id, f"{ctrl.title}: never tested"))
            elif ctrl.last_tested < cutoff:
                basis = assumed_basis(register, "controls.yaml", ctrl.id, "last_tested")
                tested = _with_basis(f"last tested {ctrl.last_tested.isoformat()}", "date", basis)
                gaps.append(Gap("control not tested", ctrl.id,
                                f"{ctrl.title}: {tested}, more than 12 months before {as_of.isoformat()}",
                                basis))
        if ctrl.id not in linked:
            gaps.append(Gap("control linked to no risk", ctrl.id, f"{ctrl.title} mitigates no risk"))
        if ctrl.status == "planned" and ctrl.effective_year is not None and ctrl.effective_year < year:
            gaps.append(Gap("planned control past due", ctrl.id,
                            f"{ctrl.title}: planned for {ctrl.effective_year}, still planned in {year}"))
    clause8 = {c["id"] for c in iso22301()["clauses"] if c["id"].startswith("8.")}
    for risk in sorted(register.risks, key=lambda r: r.id):
        if not (risk.owner or "").strip():
            gaps.append(Gap("risk without owner", risk.id, f"{risk.title} has no owner"))
        clauses = {cl for cid in risk.control_ids for cl in register.control(cid).clauses} & clause8
        if risk.is_disruption and not clauses:  # clause 8 applies to disruption risks only
            gaps.append(Gap("no ISO 22301 clause 8", risk.id,
                            f"{risk.title} ({risk.category}): no control evidences any clause-8 element"))
    for due in decisions_due(register, as_of):
        by = f" by {due['approver']}" if due["approver"] else ""
        taken = f" of {due['date']}" if due["date"] else ""
        gaps.append(Gap(DECISION_DUE_RULE, due["risk"],
                        f"{due['title']}: '{due['decision']}' decision{taken}{by} was due for review on "
                        f"{due['review_date']}, {due['days_overdue']} days before {as_of.isoformat()}"))
    return gaps


def gaps_as_dicts(gaps: list[Gap]) -> list[dict]:
    return [asdict(x) for x in gaps]


# --------------------------------------------------------------------------- exports

_SHAPES = {"site": "box", "risk": "ellipse", "opportunity": "ellipse", "control": "diamond",
           "clause": "note"}


def _esc(text: str) -> str:
    return dot_escape(text)


def to_dot(g: nx.DiGraph) -> str:
    """Graphviz DOT text (render with ``dot -Tsvg``)."""
    lines = [f'digraph "{_esc(g.graph.get("register", "register"))}" {{', "  rankdir=LR;"]
    for key, data in sorted(g.nodes(data=True)):
        parts = [f"ISO 22301 {data['ident']}"] if data["kind"] == "clause" else [data["ident"], data["label"]]
        label = "\\n".join(_esc(p) for p in parts)
        lines.append(f'  "{_esc(key)}" [label="{label}", shape={_SHAPES[data["kind"]]}];')
    for u, v, data in sorted(g.edges(data=True)):
        lines.append(f'  "{_esc(u)}" -> "{_esc(v)}" [label="{data["relation"]}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


_MERMAID_ID = {":": "_", "_": "__", "-": "_h", ".": "_d"}


def _mermaid_id(key: str) -> str:
    """A Mermaid node id for ``kind:ident``: ASCII letters and digits, ``:`` as ``_`` (the kind
    has letters only), ``_ - .`` as ``__ _h _d`` and any other character as ``_u<hex>_``, so
    that two keys never share an id (``a-b`` and ``a_b`` stay apart)."""
    return "".join(ch if ch.isascii() and ch.isalnum() else _MERMAID_ID.get(ch, f"_u{ord(ch):x}_")
                   for ch in key)


def to_mermaid(g: nx.DiGraph) -> str:
    """Mermaid flowchart text (renders in GitHub and many Markdown viewers)."""
    lines = ["flowchart LR"]
    for key, data in sorted(g.nodes(data=True)):
        text = mermaid_escape(f"{data['ident']}: {data['label']}")
        lines.append(f'  {_mermaid_id(key)}["{text}"]')
    for u, v, data in sorted(g.edges(data=True)):
        lines.append(f"  {_mermaid_id(u)} -->|{data['relation']}| {_mermaid_id(v)}")
    return "\n".join(lines) + "\n"


def to_graphml(g: nx.DiGraph) -> str:
    """GraphML (for Gephi, yEd, Cytoscape)."""
    import networkx as nx

    clean = nx.DiGraph(**{k: str(v) for k, v in g.graph.items()})
    for key, data in g.nodes(data=True):
        clean.add_node(key, **{k: v if isinstance(v, (bool, int, float)) else str(v)
                               for k, v in data.items()})
    clean.add_edges_from(g.edges(data=True))
    return "\n".join(nx.generate_graphml(clean)) + "\n"


def to_json(g: nx.DiGraph) -> str:
    """Node-link JSON (``networkx.node_link_data``)."""
    import networkx as nx

    return json.dumps(nx.node_link_data(g, edges="links"), indent=2, ensure_ascii=False) + "\n"
