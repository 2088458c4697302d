"""Layer 5, the history: snapshots of past assessments and the quarterly review.

Owns the snapshot store (:mod:`.store`: append-only, in SQLite or PostgreSQL, with migrations) and
the review between two snapshots or two registers (:mod:`.review`: what changed in the
register, how the exposure moved, and why).

May import: the analysis layer and everything below it. It never renders: the review returns
data that :mod:`climaterisk.outputs` formats.
"""
