"""The SMS sink's page: every SMS newest first, laid out like Mailpit's list of emails.

Pure rendering (no I/O): each SMS shows the number it went to, when, its text as the phone
shows it, and what it costs: GSM-7 or UCS-2 and the number of segments (smsutil splits it the
way networks do: 160/153 GSM-7 septets, 70/67 UCS-2 characters).
"""

from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import smsutil

PAGE_SIZE = 500
PARIS = ZoneInfo("Europe/Paris")  # the clock of SMS quiet hours (21:00-08:00)
_ENCODINGS = {"gsm0338": "GSM-7", "utf_16_be": "UCS-2"}


def cost(text: str) -> tuple[str, int]:
    """The encoding the text needs and how many segments it takes."""
    split = smsutil.split(text)
    return _ENCODINGS.get(split.encoding, split.encoding), len(split.parts)


def _when(iso: str) -> str:
    """When the sink received it, on the Paris clock that quiet hours follow."""
    try:
        return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S %Z")
    except ValueError:
        return iso


def _item(sms: dict[str, Any]) -> str:
    text = str(sms.get("text", ""))
    encoding, parts = cost(text)
    plural = "s" if parts > 1 else ""
    warn = " warn" if parts > 2 else ""
    sender = str(sms.get("from") or "")
    ref = str(sms.get("reference") or sms.get("id", ""))
    to = str(sms.get("to", ""))
    who = f"<a class='to' href='?to={quote(to)}'>{escape(to)}</a>"
    if sender:
        who += f"<span class='from'>from {escape(sender)}</span>"
    when = escape(_when(str(sms.get("received_at", ""))))
    return (
        f"<li class='sms'><div class='who'>{who}</div><p class='text'>{escape(text)}</p>"
        f"<div class='meta'><time>{when}</time>"
        f"<span class='cost{warn}'>{parts} segment{plural} · {encoding} · {len(text)} chars</span>"
        f"<span class='ref' title='{escape(ref, quote=True)}'>"
        f"{escape(str(sms.get('provider', 'sink')))} · {escape(ref[:18])}</span></div></li>"
    )


_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f5f6f8;color:#212529}
header{background:#2c3e50;color:#fff;padding:.7rem 1.5rem;display:flex;gap:1.5rem;
align-items:center}
header h1{font-size:1.15rem;margin:0}header a{color:#cfe2ff}
header form{margin-left:auto}header input{padding:.3rem .5rem;border-radius:4px;border:0}
main{max-width:64rem;margin:1rem auto;padding:0 1rem}
ul{list-style:none;padding:0;margin:0;background:#fff;border:1px solid #dee2e6;border-radius:6px}
li.sms{display:grid;grid-template-columns:11rem minmax(0,1fr) 16rem;gap:1.2rem;
padding:.75rem 1rem;
border-bottom:1px solid #dee2e6}
li.sms:last-child{border-bottom:0}
.who{display:flex;flex-direction:column}.to{font-weight:600;color:#0d6efd;text-decoration:none}
.from,.ref{color:#6c757d;font-size:.85rem}
.text{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.4}
.meta{display:flex;flex-direction:column;align-items:flex-end;gap:.2rem;font-size:.85rem;
min-width:0}.ref{max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.cost{background:#e7f1ff;color:#084298;border-radius:1rem;padding:.05rem .6rem}
.cost.warn{background:#f8d7da;color:#842029}
.empty{padding:2rem;text-align:center;color:#6c757d}
"""


def render_page(items: list[dict[str, Any]], to: str | None = None) -> str:
    """The whole page for `items` (oldest first, as stored); `to` is the number filtered on."""
    shown = list(reversed(items))[:PAGE_SIZE]
    rows = "".join(_item(s) for s in shown) or "<li class='empty'>No SMS yet.</li>"
    title = f"SMS to {escape(to)}" if to else "SMS"
    back = " <a href='/'>all numbers</a>" if to else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width'><title>{title} · Rencontres</title>"
        f"<style>{_STYLE}</style></head><body><header><h1>{title} ({len(items)})</h1>{back}"
        "<a href='/'>refresh</a><form method='get'><input name='to' placeholder='+33612345678' "
        f"aria-label='Filter by number' value='{escape(to or '', quote=True)}'></form></header>"
        f"<main><ul>{rows}</ul></main></body></html>"
    )
