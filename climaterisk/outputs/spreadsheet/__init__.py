"""The register as an Excel workbook, and back.

:func:`export_xlsx` writes a register folder as one workbook with a sheet per entity;
:func:`import_xlsx` reads such a workbook back into YAML register files. The sheet layout is
derived from the field specifications of :mod:`climaterisk.register.schema`, so every field of the YAML
format has a column:

- nested fields are flattened with dotted headers (``location.lat``, ``effect.frequency``);
- a number that may carry a source (``{value, source}``) is two columns, ``field`` and
  ``field.source``;
- lists are ``; ``-separated text (``[]`` for an empty list);
- a site selector is ``sites`` (``all`` or a list of site ids) or the ``sites.kind``,
  ``sites.region`` and ``sites.ids`` columns;
- a mapping such as a site's ``hazards`` has a column per key (``hazards.typhoon``,
  ``hazards.typhoon.source``);
- lists of entries inside an entity (a region's common events, a risk's models) have their own
  sheet, keyed by the parent's id and a position;
- headers carry the unit of the field from the schema, e.g. ``replacement_value [currency]``.

``register.yaml`` is the ``metadata`` sheet, one row per field (field, value, source, unit,
required, meaning), with its lists of entries on ``documents``, ``reported_checks`` and
``reliefs``; a mapping there is a row per key (``<map>.<key>``), and a mapping to ``{category,
source}`` (``disclosure.water_stress_by_region``) has the category as value and its source beside
it. A text the format allows empty (``disclosure.statements``) is written ``""`` when empty.

Text that a spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage
return) gets a leading apostrophe on export, as in :func:`climaterisk.outputs.publish.neutralise`; so
does text that already starts with an apostrophe, and the import removes exactly one such
apostrophe, so that the round trip gives back the same text. Carriage returns, the control
characters a cell cannot hold and literal ``_xHHHH_`` sequences are escaped the way Excel does
(``_x000D_``, ``_x001B_``, ``_x005F_``).

The import converts every sheet, writes the YAML files to a temporary folder and validates them
with :func:`climaterisk.register.load_register`; every problem found (in the workbook or by the
validator) is reported at once with its sheet, row and column, and nothing is written unless
there is none. Comments of the YAML files are not kept.

The package is split by direction: :mod:`~climaterisk.outputs.spreadsheet.layout` derives the sheets and
columns from the schema and escapes cell text (shared by both directions);
:mod:`~climaterisk.outputs.spreadsheet.writer` writes the workbook (export);
:mod:`~climaterisk.outputs.spreadsheet.reader` reads its sheets into rows of parsed cells,
:mod:`~climaterisk.outputs.spreadsheet.locator` maps the validator's problems back to sheets, rows and
columns, and :mod:`~climaterisk.outputs.spreadsheet.importer` turns the rows into register files and
writes them (import).
"""

from climaterisk.escape import FORMULA_START
from climaterisk.outputs.spreadsheet.importer import import_register, import_xlsx
from climaterisk.outputs.spreadsheet.layout import SHEET_ORDER, covered_paths
from climaterisk.outputs.spreadsheet.writer import export_xlsx

__all__ = ["FORMULA_START", "SHEET_ORDER", "covered_paths", "export_xlsx", "import_register", "import_xlsx"]
