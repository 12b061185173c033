"""Sessions: signed, expiring, refused when forged; dev secrets refused in production."""

import time

import pytest
from pydantic import ValidationError
from rencontres_ops.auth import Sessions
from rencontres_ops.settings import Settings


def test_a_session_names_its_staff_until_it_expires() -> None:
    sessions = Sessions(Settings(session_max_age_seconds=1, staff_accounts={"marie": "pw"}))
    cookie = sessions.issue("marie")
    assert sessions.staff(cookie) == "marie"
    assert sessions.staff(cookie[:-2] + "xx") is None
    assert sessions.staff(None) is None
    assert sessions.check_password("marie", "pw") and not sessions.check_password("marie", "x")
    assert not sessions.check_password("nobody", "pw")
    time.sleep(2.1)
    assert sessions.staff(cookie) is None


def test_production_refuses_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_ENV", "production")
    with pytest.raises(ValidationError, match="OPS_SESSION_SECRET"):
        Settings()
    with pytest.raises(ValidationError, match="OPS_STAFF_ACCOUNTS"):
        Settings(session_secret="s" * 40)
    Settings(session_secret="s" * 40, staff_accounts={"marie": "a-longer-passphrase"})
