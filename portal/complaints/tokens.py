"""Private-link tokens and tracking numbers (pure: no Flask, no database)."""

import base64
import hashlib
import hmac
from datetime import datetime

from ..core.clock import LOCAL_TZ
from ..core.codes import normalise_code


def make_token(nonce: str, secret: str) -> str:
    """The private link's token: unguessable, rebuilt only with the secret key."""
    mac = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def salted(value: str, secret: str) -> str:
    """A keyed hash of a personal value (an address, a fingerprint): comparable, not readable."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def tracking_number(complaint_id: int, created_at: datetime) -> str:
    """A number people can read aloud: TS-<year>-<six digits>."""
    return f"TS-{created_at.astimezone(LOCAL_TZ).year}-{complaint_id:06d}"


def normalise_tracking_no(raw: str) -> str:
    """TS-2026-004217 however it was typed (case, full-width, spaces, missing dashes)."""
    text = normalise_code(raw)
    # Six digits at least: past a million reports the number grows (TS-2027-1000007).
    if text.startswith("TS") and 12 <= len(text) <= 16 and text[2:].isdigit():
        return f"TS-{text[2:6]}-{text[6:]}"
    return text


FORM_KEY_BYTES = 18


def make_form_key(nonce: str, secret: str) -> str:
    """A report form's key: `nonce.mac`, so only keys this portal issued are accepted.

    It ties the form's staged photos to it and is the form's idempotency key; like the
    private link it is a bearer secret of the citizen's page.
    """
    mac = hmac.new(secret.encode(), b"form-key:" + nonce.encode(), hashlib.sha256).digest()
    return f"{nonce}.{base64.urlsafe_b64encode(mac[:12]).decode()}"


def form_key_valid(key: str, secret: str) -> bool:
    """Whether `key` is a form key made by `make_form_key` with this secret."""
    nonce, dot, _mac = (key or "").partition(".")
    if not dot or not 16 <= len(nonce) <= 32 or len(key) > 64:
        return False
    return hmac.compare_digest(make_form_key(nonce, secret), key)
