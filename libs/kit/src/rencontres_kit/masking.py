"""Personal data out of logs and dead-letter headers: emails, phone numbers, private-link tokens.

Pure functions, no I/O. Masking keeps enough to recognise a value when debugging (the first
letter of an email, the last two digits of a phone) and nothing that identifies a person.
"""

import re
from typing import Any

EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
"""Also URL-encoded (`%40`), as in a query string an access log line quotes."""
PHONE = re.compile(r"(?<![\w.:/-])(?:\+|%2B|00)?\d(?:[ .\-]?\d){7,13}(?![\w-])")
"""Nine to fifteen digits, separators allowed: French (06 12 34 56 78) and E.164 numbers."""
TOKEN = re.compile(r"(?i)([?&;]\s*(?:t|k|token|key|secret|password|signature|sig)=)[^&\s\"'<>]+")
"""Query parameters that open something: private links (`t`, `k`), signed PDF links."""
BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
SECRET_FIELD = re.compile(r"(?i)(\"(?:token|owner_token|password|secret)\"\s*:\s*\")[^\"]*")


def mask(text: str) -> str:
    """`text` with every email, phone number and token replaced by a masked form."""
    text = EMAIL.sub(lambda m: f"{m.group(1)}***@***", text)
    text = TOKEN.sub(r"\1***", text)
    text = BEARER.sub(r"\1***", text)
    text = SECRET_FIELD.sub(r"\1***", text)
    return PHONE.sub(lambda m: "***" + m.group(0)[-2:], text)


def mask_value(value: Any) -> Any:
    """Mask strings inside dicts, lists and tuples too; other values are left as they are."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    return value
