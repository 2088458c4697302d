"""Regenerate the field reference in docs/register-format.md from the validator's specification.

Run after changing climaterisk/register/schema.py or climaterisk/register/fields/:  python docs/regenerate.py
(tests/test_docs.py fails while the document is stale).
"""

import re
from pathlib import Path

from climaterisk.register import schema

path = Path(__file__).with_name("register-format.md")
text = path.read_text(encoding="utf-8")
text = re.sub(
    r"(<!-- BEGIN GENERATED FIELD REFERENCE -->\n).*(<!-- END GENERATED)",
    lambda m: m.group(1) + schema.markdown_reference() + "\n" + m.group(2),
    text,
    flags=re.S,
)
path.write_text(text, encoding="utf-8")
print(f"updated {path}")
