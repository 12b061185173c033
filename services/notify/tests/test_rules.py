"""Pure rules, no I/O: the retry schedule and failure kinds, Message-IDs, masks, SMS segments,
numbers, quiet hours and STOP, and the message table against the topic catalog."""

import random
from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from rencontres_contracts.topics import consumed_by
from rencontres_notify import sms
from rencontres_notify.deliveries import delivery_id, mask_email, mask_phone, message_id
from rencontres_notify.handlers import router
from rencontres_notify.messages import MESSAGES
from rencontres_notify.retry import Backoff, http_kind, smtp_kind

T0 = datetime(2027, 10, 4, 10, 0, tzinfo=UTC)


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(base=timedelta(seconds=30), cap=timedelta(minutes=30))
    rng = random.Random(7)
    for attempt, full in [(1, 30), (2, 60), (3, 120), (6, 960), (7, 1800), (20, 1800)]:
        delays = [backoff.delay(attempt, rng).total_seconds() for _ in range(200)]
        assert full / 2 <= min(delays) and max(delays) <= full
        assert len({round(d, 3) for d in delays}) > 100  # jittered, not a fixed schedule


def test_retries_stop_when_the_window_is_spent() -> None:
    backoff = Backoff(base=timedelta(minutes=1), cap=timedelta(hours=1), window=timedelta(hours=6))
    now, attempt, tries = T0, 0, []
    while (at := backoff.next_attempt(attempt + 1, T0, now, random.Random(attempt))) is not None:
        attempt, now = attempt + 1, at
        tries.append(at)
    assert tries and tries[-1] <= T0 + timedelta(hours=6)
    assert tries[-1] >= T0 + timedelta(hours=4)  # hours of retries, not seconds
    assert 8 <= len(tries) <= 14


@pytest.mark.parametrize(
    ("code", "kind"),
    [(421, "transient"), (451, "transient"), (550, "permanent"), (554, "permanent")],
)
def test_smtp_4xx_is_transient_and_5xx_permanent(code: int, kind: str) -> None:
    assert smtp_kind(code) == kind


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (500, "transient"),
        (503, "transient"),
        (429, "transient"),
        (400, "permanent"),
        (401, "permanent"),
    ],
)
def test_provider_5xx_and_429_are_transient_other_4xx_permanent(status: int, kind: str) -> None:
    assert http_kind(status) == kind


def test_the_message_id_is_the_delivery_id_alone() -> None:
    ident = delivery_id("0193a1c2-7f10-7abc-8def-0123456789ab", "email", "r:1")
    assert message_id(ident, "rencontres.example") == message_id(ident, "rencontres.example")
    assert (
        message_id(ident, "rencontres.example")
        == "<0193a1c2-7f10-7abc-8def-0123456789ab.r.1.email@rencontres.example>"
    )


def test_masks_keep_too_little_to_write_to() -> None:
    assert mask_email("claire.martin@example.fr") == "c***@example.fr"
    assert mask_phone("+33612345678") == "+33*******78"


def test_segments_count_gsm7_and_ucs2() -> None:
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("a" * 306) == 2 and sms.segments("a" * 307) == 3
    assert sms.segments("€" * 80) == 1 and sms.segments("€" * 81) == 2  # two septets each
    assert sms.encoding("Réf. à Alès") == "gsm7"
    assert sms.encoding("Référence — ô") == "ucs2"
    assert sms.segments("ô" * 70) == 1 and sms.segments("ô" * 71) == 2
    assert sms.segments("ô" * 134) == 2 and sms.segments("ô" * 135) == 3


def test_numbers_are_normalised_to_e164_or_refused() -> None:
    assert sms.e164("06 12 34 56 78") == "+33612345678"
    assert sms.e164("+33 6 12 34 56 78") == "+33612345678"
    assert sms.e164("0044 7911 123456") == "+447911123456"
    assert sms.e164("12") is None and sms.e164("not a number") is None


@pytest.mark.parametrize(
    ("utc", "until"),
    [
        (datetime(2027, 1, 10, 19, 59, tzinfo=UTC), None),  # 20:59 in Paris
        (datetime(2027, 1, 10, 20, 0, tzinfo=UTC), datetime(2027, 1, 11, 7, 0, tzinfo=UTC)),
        (datetime(2027, 1, 11, 3, 0, tzinfo=UTC), datetime(2027, 1, 11, 7, 0, tzinfo=UTC)),
        (datetime(2027, 1, 11, 7, 0, tzinfo=UTC), None),  # 08:00 in Paris
        (datetime(2027, 7, 10, 19, 30, tzinfo=UTC), datetime(2027, 7, 11, 6, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_follow_the_paris_wall_clock(utc: datetime, until: datetime | None) -> None:
    assert sms.quiet_until(utc) == until
    assert sms.quiet_until(utc, time(0), time(0)) is None


def test_stop_words() -> None:
    assert sms.is_stop("STOP") and sms.is_stop(" stop ") and sms.is_stop("Arrêt merci")
    assert not sms.is_stop("Stopover in Lyon?") and not sms.is_stop("")


def test_every_event_type_routed_to_notify_has_a_row_in_the_message_table() -> None:
    speaks = consumed_by("notify") - {"registration.erased.v1"}
    assert set(MESSAGES) == speaks
    assert router.event_types == consumed_by("notify")


def test_twilio_webhooks_are_refused_unless_signed_with_the_auth_token() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from rencontres_notify.routes import webhooks
    from rencontres_notify.senders import twilio_signature
    from rencontres_notify.settings import Settings

    settings = Settings(
        sms_provider="twilio",
        twilio_account_sid="AC1",
        twilio_auth_token="tok",
        public_base_url="https://notify.example",
    )
    app = FastAPI()
    app.state.settings = settings
    app.state.deliveries = None  # a refused request never reaches the store
    app.include_router(webhooks)
    client = TestClient(app)
    form = {"From": "+33612345678", "Body": "STOP"}
    url = "https://notify.example/webhooks/sms/inbound"
    assert client.post("/webhooks/sms/inbound", data=form).status_code == 403
    forged = {"X-Twilio-Signature": twilio_signature("not-the-token", url, form)}
    assert client.post("/webhooks/sms/inbound", data=form, headers=forged).status_code == 403
    assert twilio_signature("tok", url, form) != twilio_signature("tok", url + "?x=1", form)
    assert twilio_signature("tok", url, form) != twilio_signature(
        "tok", url, {**form, "Body": "GO"}
    )


def test_a_subject_or_name_with_line_breaks_adds_no_header() -> None:
    from rencontres_notify.senders import Email, OutgoingEmail, build_message

    out = OutgoingEmail(
        to="lea@example.fr",
        name='Léa "Boss"\r\nBcc: evil@example.com',
        email=Email("Inscription\r\nBcc: evil@example.com", "text", "<p>html</p>"),
        message_id="<d.email@rencontres.example>",
        delivery_id="d:email",
        date=T0,
    )
    raw = build_message("Rencontres <forum@rencontres.example>", out)
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in headers and headers.count(b"\r\nTo:") == 1
    assert b"Date: Mon, 04 Oct 2027 10:00:00 +0000" in headers
    assert b"Message-ID: <d.email@rencontres.example>" in headers
    assert b"List-Unsubscribe" not in headers
    # what a receiver reads back: one recipient, the name whole, the subject on one line
    parsed = message_from_bytes(raw, policy=default)
    [to] = parsed["To"].addresses
    assert to.addr_spec == "lea@example.fr"
    assert to.display_name == 'Léa "Boss" Bcc: evil@example.com'
    assert parsed["Subject"] == "Inscription Bcc: evil@example.com"
    assert parsed["Bcc"] is None and parsed["From"].addresses[0].username == "forum"
    text, html = (part.get_content() for part in parsed.iter_parts())
    assert (text, html) == ("text", "<p>html</p>")
