"""Layer 6, the outputs: everything a reader gets, built from results, never recomputed.

Owns the report model and its sections (:mod:`.report`), writing it as Markdown, HTML, LaTeX,
CSV and Excel (:mod:`.publish`), the terminal and Markdown tables of the commands
(:mod:`.render`, the only module that imports tabulate), the charts (:mod:`.figures`, the only
module that imports matplotlib), pandas frames of results (:mod:`.frames`), and the register
as an Excel workbook and back (:mod:`.spreadsheet`).

May import: the history and analysis layers and everything below them. A new output format
goes here, beside :mod:`.publish`.
"""
