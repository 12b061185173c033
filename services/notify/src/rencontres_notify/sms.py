"""SMS that respect people: pure rules (segments, numbers, quiet hours, STOP), no I/O."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers

PARIS = ZoneInfo("Europe/Paris")
MAX_SEGMENTS = 2

# GSM 03.38: the basic set counts one septet, the extension table two (escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def encoding(text: str) -> str:
    """`gsm7` when every character is in the GSM 7-bit alphabet, else `ucs2`."""
    return "gsm7" if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text) else "ucs2"


def segments(text: str) -> int:
    """How many SMS the text takes: GSM-7 160 (153 per part when concatenated), UCS-2 70 (67)."""
    if encoding(text) == "gsm7":
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, part = 160, 153
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)


STOP_WORDS = frozenset({"STOP", "STOPSMS", "ARRET", "ARRÊT", "UNSUBSCRIBE", "END", "QUIT"})


def is_stop(body: str) -> bool:
    """An inbound SMS that asks to stop: its first word is a stop keyword (any case)."""
    words = body.strip().split()
    return bool(words) and words[0].upper().strip(".!") in STOP_WORDS


def e164(number: str, region: str = "FR") -> str | None:
    """The number in E.164 (`+33612345678`), or None when it is not a valid phone number.
    National numbers are read as French."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def quiet_until(
    now: datetime, start: time = time(21, 0), end: time = time(8, 0)
) -> datetime | None:
    """When quiet hours end if `now` falls in them (Europe/Paris wall clock), else None.
    `start == end` means no quiet hours."""
    if start == end:
        return None
    local = now.astimezone(PARIS)
    clock = local.time()
    if end <= clock < start:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=PARIS)


def paris_day(now: datetime) -> str:
    """The Paris calendar day an SMS counts against for the daily cap."""
    return now.astimezone(PARIS).date().isoformat()
