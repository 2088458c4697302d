"""Layer 4, the analysis: what the committee asks of the model, as one pipeline.

Owns the assessment pipeline (:mod:`.assess`, driven by :class:`.options.AssessOptions`, with
its results in :mod:`.results`), the value of each control (:mod:`.control_value`), ISO 22301
certification and clause coverage (:mod:`.coverage`), the register as a graph and its gaps
(:mod:`.graph`, the only module that imports networkx), the IFRS S2 metrics computed from the
register (:mod:`.disclosures`), and runs across scenarios (:mod:`.compare`).

May import: the model, scenarios and register layers and the base layer. New analyses
(sensitivity, GHG accounting, pathways) go here.
"""
