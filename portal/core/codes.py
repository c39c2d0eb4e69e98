"""Normalisation of outfall codes typed by hand or read from a signboard."""

import re
import unicodedata

# Characters people put between code segments: spaces of every width, dashes of every
# kind, dots, slashes and underscores. None of them is part of an HJ 1235 code.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−﹣－_./·・]+")
_VALID = re.compile(r"^[A-Z0-9]{4,40}$")


def normalise_code(raw: str) -> str:
    """Canonical form of an outfall code: NFKC, upper case, separators removed."""
    text = unicodedata.normalize("NFKC", raw or "")
    return _SEPARATORS.sub("", text).upper()


def is_plausible_code(code: str) -> bool:
    """Whether a normalised code could be an outfall code at all (before any lookup)."""
    return bool(_VALID.match(code))
