"""The two ways out: an SMTP server and an SMS provider's HTTP API."""

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
import httpx

from rencontres_notify.rendering import Email


class EmailSender:
    def __init__(
        self,
        host: str,
        port: int,
        mail_from: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
    ) -> None:
        self._host, self._port, self._from = host, port, mail_from
        self._username, self._password, self._starttls = username, password, starttls

    async def send(self, to: str, email: Email, delivery_id: str) -> str:
        """Send one message; its Message-ID is derived from the delivery id, so a resend is
        recognisable as the same message by the receiving side."""
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = to
        message["Subject"] = email.subject
        message["Message-ID"] = make_msgid(
            idstring=delivery_id.replace(":", "."), domain="rencontres.example"
        )
        message["X-Rencontres-Delivery"] = delivery_id
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")
        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            start_tls=self._starttls,
            timeout=15,
        )
        return str(message["Message-ID"])


class SmsSender:
    """Posts `{to, from, text, reference}` as JSON to the provider; 2xx means accepted."""

    def __init__(self, url: str, sender: str, client: httpx.AsyncClient) -> None:
        self._url, self._sender, self._client = url, sender, client

    async def send(self, to: str, text: str, delivery_id: str) -> None:
        response = await self._client.post(
            self._url,
            json={"to": to, "from": self._sender, "text": text, "reference": delivery_id},
            timeout=10,
        )
        response.raise_for_status()
