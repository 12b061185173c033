"""The ways out: an SMTP server (connections kept open and reused) and an SMS provider's HTTP
API (the local sink's, or Twilio's). Every failure leaves as a classified `SendError`."""

import asyncio
import base64
import hashlib
import hmac
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol

import aiosmtplib
import httpx

from rencontres_notify.retry import SendError, http_kind, smtp_kind, transient


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    name: str
    email: Email
    message_id: str
    delivery_id: str
    date: datetime
    list_unsubscribe: str | None = None


_POLICY = compat32.clone(linesep="\r\n")
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64  # encoded words in base64: the default tries quoted-printable
# too, measuring it character by character, which cost a millisecond per long French subject


def _one_line(value: str) -> str:
    """Whitespace runs, CR and LF included, made one space: a value cannot start a header."""
    return " ".join(value.split())


def build_message(mail_from: str, out: OutgoingEmail) -> bytes:
    """The MIME message, as the bytes handed to the server (HTML with a plain-text alternative).

    Built with the standard library's `email.mime` classes and the compat32 policy: a quarter of
    the CPU of `EmailMessage` with the SMTP policy, whose header registry parsed every value
    again (1.3 ms per email, and 1.6 ms more to flatten it). Header injection stays impossible:
    every value from outside (name, subject, settings) is made one line first, and the
    recipient's name is a display name that `formataddr` quotes or encodes, never raw header
    text."""
    message = MIMEMultipart("alternative", policy=_POLICY)
    message["From"] = formataddr(parseaddr(mail_from), _UTF8)
    message["To"] = formataddr((_one_line(out.name), out.to), _UTF8)
    subject = _one_line(out.email.subject)
    # a Header is what compat32 folds and encodes (typeshed only knows str values)
    message["Subject"] = Header(subject, "us-ascii" if subject.isascii() else _UTF8)  # type: ignore[assignment]
    message["Date"] = format_datetime(out.date)
    message["Message-ID"] = out.message_id
    message["X-Rencontres-Delivery"] = out.delivery_id
    if out.list_unsubscribe:
        message["List-Unsubscribe"] = _one_line(out.list_unsubscribe)
    message.attach(MIMEText(out.email.text, "plain", "utf-8", policy=_POLICY))
    message.attach(MIMEText(out.email.html, "html", "utf-8", policy=_POLICY))
    return message.as_bytes()


def domain_of(mail_from: str) -> str:
    return parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"


class EmailSender:
    """Sends over at most `connections` SMTP connections kept open between messages."""

    def __init__(
        self,
        host: str,
        port: int,
        mail_from: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        connections: int = 4,
        timeout: float = 15,
    ) -> None:
        self.mail_from = mail_from
        self._host, self._port, self._timeout = host, port, timeout
        self._username, self._password, self._starttls = username, password, starttls
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(self._client())
        self.connects = 0

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            start_tls=self._starttls,
            tls_context=ssl.create_default_context() if self._starttls else None,
        )

    async def send(self, out: OutgoingEmail) -> None:
        message = build_message(self.mail_from, out)
        envelope_from = parseaddr(self.mail_from)[1]
        client = await self._idle.get()
        try:
            if not client.is_connected:
                self.connects += 1
                await client.connect()
                if self._username and self._password:
                    await client.login(self._username, self._password)
            await client.sendmail(envelope_from, [out.to], message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise SendError(smtp_kind(min(codes, default=550)), f"SMTP refused: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            await _reset(client, exc.code)
            raise SendError(smtp_kind(exc.code), f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPConnectError, ConnectionRefusedError) as exc:
            client.close()
            raise transient(f"SMTP {type(exc).__name__}: {exc}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            client.close()  # no clear answer: the server may have taken the message
            raise transient(f"SMTP {type(exc).__name__}: {exc}", maybe_delivered=True) from exc
        finally:
            self._idle.put_nowait(client)

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()


async def _reset(client: aiosmtplib.SMTP, code: int) -> None:
    """After a refused message the connection may be reused: RSET, or drop it if that fails."""
    if code == 421 or not client.is_connected:
        client.close()
        return
    try:
        await client.rset()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    text: str
    delivery_id: str


class SmsProvider(Protocol):
    async def send(self, out: OutgoingSms) -> str | None:
        """Hand the SMS over; the provider's message id if it gives one."""


async def _post(client: httpx.AsyncClient, url: str, **kwargs: object) -> httpx.Response:
    try:
        response = await client.post(url, timeout=10, **kwargs)  # type: ignore[arg-type]
    except httpx.ConnectError as exc:
        raise transient(f"SMS provider {type(exc).__name__}: {exc}") from exc
    except httpx.TransportError as exc:  # sent, no answer: the provider may have taken it
        raise transient(f"SMS provider {type(exc).__name__}: {exc}", maybe_delivered=True) from exc
    if response.is_success:
        return response
    raise SendError(
        http_kind(response.status_code),
        f"SMS provider {response.status_code}: {response.text[:300]}",
    )


class SinkSms:
    """The local sink: `{to, from, text, reference}` as JSON; the reference is the delivery id,
    the provider's idempotency key (a resend carries the same one)."""

    def __init__(
        self, url: str, sender: str, client: httpx.AsyncClient, callback_url: str | None = None
    ) -> None:
        self._url, self._sender, self._client, self._callback = url, sender, client, callback_url

    async def send(self, out: OutgoingSms) -> str | None:
        body = {"to": out.to, "from": self._sender, "text": out.text, "reference": out.delivery_id}
        if self._callback:
            body["status_callback"] = f"{self._callback}?delivery_id={out.delivery_id}"
        response = await _post(self._client, self._url, json=body)
        return str(response.json().get("id") or "") or None


class TwilioSms:
    """Twilio's Programmable Messaging API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`
    with HTTP basic auth (account SID, auth token), a form body `To`, `From`, `Body`,
    `StatusCallback`; 201 with the message `sid`. Error 21211 (invalid number) and 21610
    (recipient unsubscribed) come back as 400: permanent. Twilio offers no idempotency key;
    the delivery id rides in the status callback URL."""

    def __init__(
        self,
        base_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        client: httpx.AsyncClient,
        callback_url: str | None = None,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._auth = (account_sid, auth_token)
        self._sender, self._client, self._callback = sender, client, callback_url

    async def send(self, out: OutgoingSms) -> str | None:
        form = {"To": out.to, "From": self._sender, "Body": out.text}
        if self._callback:
            form["StatusCallback"] = f"{self._callback}?delivery_id={out.delivery_id}"
        response = await _post(self._client, self._url, data=form, auth=self._auth)
        return str(response.json().get("sid") or "") or None


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's `X-Twilio-Signature`: base64 HMAC-SHA1, keyed by the auth token, of the full
    URL followed by every POST parameter's name and value, sorted by name."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
