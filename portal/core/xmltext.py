"""Text as an XML 1.0 document may hold it, for the writers that build XML as text
(core.xlsx, the Open311 XML answers): characters XML forbids dropped, markup escaped.

Most values are plain, so each is looked at before it is rewritten.
"""

import re
from xml.sax.saxutils import escape

# Characters XML 1.0 does not allow (controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MARKUP = re.compile("[&<>]")
# Either: a value without one is written as it is, after a single search.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` with forbidden characters dropped and &, < and > escaped."""
    if _SPECIAL.search(value) is None:
        return value
    if FORBIDDEN.search(value):
        value = FORBIDDEN.sub("", value)
    if _MARKUP.search(value):
        value = escape(value)
    return value
