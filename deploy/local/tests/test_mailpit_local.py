"""The local Mailpit: it builds from its Go module with its web interface embedded, catches
what an SMTP client sends, shows it through its API, and fails on purpose when chaos says so."""

import json
import shutil
import smtplib
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from rencontres_infra import mailpit
from rencontres_infra.errors import InfraError
from rencontres_infra.stack import default_cache_dir


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _put(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), method="PUT", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """Provision (a stat once built), start and always stop a Mailpit on free ports."""
    try:
        binary = mailpit.provision(default_cache_dir())
    except InfraError as exc:
        if shutil.which("go") is None or shutil.which("npm") is None:
            pytest.skip(str(exc))
        raise
    smtp, web = _free_port(), _free_port()
    log = tmp_path / "mailpit.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(mailpit.argv(binary, tmp_path, smtp, web), stdout=out, stderr=out)
    url = f"http://127.0.0.1:{web}"
    try:
        mailpit.wait_ready(url, lambda: proc.poll() is None, log)
        yield smtp, url
    finally:
        proc.terminate()
        proc.wait(10)


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Rencontres Entreprises <forum@rencontres.example>"
    message["To"] = f"Léa Dubois <{to}>"
    message["Subject"] = "Inscription enregistrée"
    message["Message-ID"] = "<d1.email@rencontres.example>"
    message["X-Rencontres-Delivery"] = "d1:email"
    message.set_content("Bonjour Léa")
    message.add_alternative("<p>Bonjour <strong>Léa</strong></p>", subtype="html")
    return message


def test_the_build_is_cached_and_embeds_the_web_interface(catcher: tuple[int, str]) -> None:
    _, url = catcher
    cache = default_cache_dir() / "mailpit"
    assert (cache / f"src-{mailpit.MAILPIT_VERSION}" / "server/ui/dist/app.js").is_file()
    assert mailpit.provision(default_cache_dir()).parent == cache  # a stat, no rebuild
    with urllib.request.urlopen(f"{url}/", timeout=5) as page:
        assert "Mailpit" in page.read().decode()
    with urllib.request.urlopen(f"{url}/dist/app.js", timeout=5) as script:
        assert script.status == 200 and len(script.read()) > 100_000  # the built interface


def test_a_sent_email_reads_back_whole_through_the_api(catcher: tuple[int, str]) -> None:
    smtp, url = catcher
    with smtplib.SMTP("127.0.0.1", smtp, timeout=5) as client:
        client.send_message(_message("lea@example.fr"))
    found = _get(f"{url}/api/v1/search?query=to:lea@example.fr")
    [summary] = found["messages"]
    assert summary["MessageID"] == "d1.email@rencontres.example"
    message = _get(f"{url}/api/v1/message/{summary['ID']}")
    assert message["Subject"] == "Inscription enregistrée"
    assert "Bonjour Léa" in message["Text"] and "<strong>Léa</strong>" in message["HTML"]
    headers = _get(f"{url}/api/v1/message/{summary['ID']}/headers")
    assert headers["X-Rencontres-Delivery"] == ["d1:email"]


@pytest.mark.parametrize("code", [451, 550])
def test_chaos_refuses_recipients_with_the_code_asked_then_stops(
    catcher: tuple[int, str], code: int
) -> None:
    smtp, url = catcher
    _put(f"{url}/api/v1/chaos", {"Recipient": {"ErrorCode": code, "Probability": 100}})
    with (
        smtplib.SMTP("127.0.0.1", smtp, timeout=5) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.send_message(_message("gone@example.fr"))
    assert refused.value.recipients["gone@example.fr"][0] == code
    _put(f"{url}/api/v1/chaos", {"Recipient": {"ErrorCode": code, "Probability": 0}})
    with smtplib.SMTP("127.0.0.1", smtp, timeout=5) as client:
        client.send_message(_message("back@example.fr"))
    assert _get(f"{url}/api/v1/search?query=to:gone@example.fr")["messages_count"] == 0
    assert _get(f"{url}/api/v1/search?query=to:back@example.fr")["messages_count"] == 1
