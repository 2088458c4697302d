"""The register graph and the gap rules, on hand-checkable fixtures."""

from __future__ import annotations

import io
import json

import networkx as nx

from climaterisk import load_register
from climaterisk.analysis.graph import build_graph, find_gaps, to_dot, to_graphml, to_json, to_mermaid
from tests.conftest import write_register


def test_graph_nodes_and_edges(mini_register_path):
    g = build_graph(load_register(mini_register_path))
    assert g.nodes["site:a"]["kind"] == "site"
    assert g.edges["risk:R1", "site:c"]["relation"] == "exposes"
    assert g.edges["control:C1", "risk:R1"]["relation"] == "mitigates"
    assert g.has_edge("control:C1", "site:a") and not g.has_edge("control:C1", "site:c")  # north only
    assert g.edges["control:C2", "clause:8.5"]["relation"] == "evidences"
    # O1 names no sites in the mini register: an opportunity node, but no "benefits" edge at all
    assert g.nodes["opportunity:O1"]["kind"] == "opportunity"
    assert list(g.out_edges("opportunity:O1")) == []


def test_opportunity_edges_of_the_shipped_register():
    register = load_register()
    g = build_graph(register)
    benefits = {(u, v) for u, v, d in g.edges(data=True) if d["relation"] == "benefits"}
    # the edges the assertions below are about exist (O1 and O3 list the Ulanqab park; O2 selects
    # every data centre by kind), so the relation checks cannot pass vacuously
    assert g.has_edge("opportunity:O1", "site:ulanqab-dc")
    assert g.has_edge("opportunity:O2", "site:leased-dc-4")
    assert g.edges["opportunity:O1", "site:ulanqab-dc"]["relation"] == "benefits"
    data_centres = {s.id for s in register.sites if s.kind in ("self_built_dc", "leased_dc")}
    assert {"ulanqab-dc", "leased-dc-1", "leased-dc-7"} <= data_centres and "beijing-hq" not in data_centres
    assert benefits == {
        ("opportunity:O1", "site:ulanqab-dc"),
        ("opportunity:O3", "site:ulanqab-dc"),
        *{("opportunity:O2", f"site:{sid}") for sid in data_centres},
    }
    assert not g.has_edge("opportunity:O2", "site:beijing-hq")  # offices are not selected
    # every edge out of an opportunity is a "benefits" edge, and only opportunities have them
    assert all(d["relation"] == "benefits" for _, _, d in g.out_edges(
        [n for n, k in g.nodes(data="kind") if k == "opportunity"], data=True))
    assert {g.nodes[u]["kind"] for u, _ in benefits} == {"opportunity"}


def gap_set(register):
    return {(g.rule, g.entity) for g in find_gaps(register)}


def test_every_gap_rule(tmp_path, mini_files):
    controls = mini_files["controls.yaml"]["controls"]
    controls.append({"id": "C9", "title": "Orphan", "type": "detective", "status": "implemented",
                     "last_tested": "2020-12-01"})
    controls[2]["effective_year"] = 2019  # C3 still planned after its year
    mini_files["risks.yaml"]["risks"][0]["controls"] = ["C1", "C3"]  # R1 at c: nothing in force
    mini_files["sites.yaml"]["sites"][1]["iso22301"] = {"certified": False}  # b: known uncertified
    mini_files["risks.yaml"]["risks"].append({  # a second acute risk whose control cites no clause
        "id": "R4", "title": "Storm", "category": "physical_acute", "ifrs_s2_type": "physical",
        "impact": "Wind.", "time_horizons": ["short"], "owner": "Ops",
        "rating": {"likelihood": 2, "impact": 2}, "sites": ["c"], "controls": ["C4"],
        "models": [{"type": "site_event", "hazard": "storm", "damage": {"p5": 0.01, "p95": 0.1}}]})
    reg = load_register(write_register(tmp_path / "g", mini_files))
    assert gap_set(reg) == {
        ("uncontrolled link", "R1 @ c"),                 # C1 acts in the north only
        ("acute site without ISO 22301", "b"),           # a holds a valid certificate; c: unknown
        ("control not tested", "C2"),                    # tested 2019-01-01, as_of 2020-12-31
        ("control not tested", "C4"),
        ("control not tested", "C5"),
        ("control linked to no risk", "C2"),
        ("control linked to no risk", "C9"),
        ("planned control past due", "C3"),
        ("risk without owner", "R3"),
        ("no ISO 22301 clause 8", "R4"),                 # acute; C4 cites no clause (R2 chronic and
    }                                                    # R3 policy: clause 8 does not apply)


def test_expired_certificate_and_clean_register(tmp_path, mini_files):
    mini_files["sites.yaml"]["sites"][0]["iso22301"]["valid_until"] = "2020-06-30"
    reg = load_register(write_register(tmp_path / "e", mini_files))
    reasons = {g.entity: g.reason for g in find_gaps(reg) if g.rule == "acute site without ISO 22301"}
    assert "certificate expired 2020-06-30" in reasons["a"]


def test_exports_parse(mini_register_path):
    g = build_graph(load_register(mini_register_path))
    assert to_dot(g).startswith('digraph "mini" {') and '"control:C1" -> "risk:R1"' in to_dot(g)
    assert "control_C1 -->|mitigates| risk_R1" in to_mermaid(g)
    back = nx.read_graphml(io.BytesIO(to_graphml(g).encode()))
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    data = json.loads(to_json(g))
    assert len(data["nodes"]) == g.number_of_nodes() and len(data["links"]) == g.number_of_edges()


def test_shipped_register_gaps_name_the_uncertified_leased_centres():
    gaps = gap_set(load_register())
    assert ("acute site without ISO 22301", "leased-dc-4") in gaps
    assert ("acute site without ISO 22301", "leased-dc-7") in gaps
    assert not any(e.startswith("leased-dc-1") for _, e in gaps)


HOSTILE = 'Flood "x" --> B[evil] | <script>alert(1)</script> #35; (a) {b} `c` \\N \\n & 台风'


def _hostile_graph(tmp_path, mini_files):
    mini_files["risks.yaml"]["risks"][0]["title"] = HOSTILE
    mini_files["controls.yaml"]["controls"][0]["title"] = '"]; B["x'
    mini_files["sites.yaml"]["sites"][0]["name"] = "<img src=x onerror=alert(1)>\u53f0"
    return build_graph(load_register(write_register(tmp_path / "h", mini_files)))


def test_mermaid_labels_escape_hostile_titles(tmp_path, mini_files):
    """Every label is one quoted string of entity codes and safe characters, and decodes back to
    the register's text; edges join declared nodes only."""
    import re

    g = _hostile_graph(tmp_path, mini_files)
    lines = to_mermaid(g).splitlines()
    assert lines[0] == "flowchart LR"
    nodes = [re.fullmatch(r'  ([A-Za-z0-9_]+)\["([^"<>\[\]|(){}`\\]*)"\]', line) for line in lines[1:]
             if "-->" not in line or '["' in line]
    assert all(nodes), [line for line, m in zip(lines[1:], nodes, strict=False) if not m]
    labels = {m.group(1): re.sub(r"#(\d+);", lambda d: chr(int(d.group(1))), m.group(2)) for m in nodes}
    assert len(labels) == g.number_of_nodes()
    assert labels["risk_R1"] == f"R1: {HOSTILE}"
    assert labels["control_C1"] == 'C1: "]; B["x'
    assert labels["site_a"] == "a: <img src=x onerror=alert(1)>\u53f0"
    edges = [re.fullmatch(r"  ([A-Za-z0-9_]+) -->\|(\w+)\| ([A-Za-z0-9_]+)", line)
             for line in lines[1 + len(nodes):]]
    assert all(edges) and len(edges) == g.number_of_edges()
    assert {m.group(1) for m in edges} | {m.group(3) for m in edges} <= set(labels)


def test_mermaid_ids_never_collide():
    from climaterisk.analysis.graph import _mermaid_id

    keys = ["site:a-b", "site:a_b", "site:a.b", "site:a_hb", "site:a__b", "site:ab", "risk:a-b",
            "site:a\u53f0"]
    ids = [_mermaid_id(k) for k in keys]
    assert len(set(ids)) == len(keys)
    assert all(i.isascii() and i.replace("_", "").isalnum() for i in ids)
    assert _mermaid_id("control:C1") == "control_C1"


def test_dot_labels_escape_hostile_titles(tmp_path, mini_files):
    """Every node line is two well-formed quoted DOT strings; the label decodes back to the id
    and the register's text (a backslash in a title stays a backslash, not a DOT escape)."""
    import re

    g = _hostile_graph(tmp_path, mini_files)
    quoted = r'"((?:[^"\\]|\\.)*)"'
    labels = {}
    for line in to_dot(g).splitlines()[2:-1]:
        node = re.fullmatch(rf"  {quoted} \[label={quoted}, shape=\w+\];", line)
        edge = re.fullmatch(rf"  {quoted} -> {quoted} \[label=\"\w+\"\];", line)
        assert node or edge, line
        if node:
            labels[node.group(1)] = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1),
                                           node.group(2))
    assert len(labels) == g.number_of_nodes()
    assert labels["risk:R1"] == f"R1\n{HOSTILE}"
    assert labels["control:C1"] == 'C1\n"]; B["x'
