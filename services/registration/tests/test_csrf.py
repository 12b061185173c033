"""The double-submit CSRF token: made for one nonce, by one secret, for a limited time."""

from rencontres_registration.csrf import MAX_AGE_SECONDS, check_token, make_token, new_nonce

SECRET = "test-secret"
NOW = 1_800_000_000.0


def test_a_token_is_accepted_with_its_own_nonce() -> None:
    nonce = new_nonce()
    assert check_token(SECRET, nonce, make_token(SECRET, nonce, NOW), NOW + 10)


def test_another_nonce_another_secret_or_a_tampered_token_is_refused() -> None:
    nonce = new_nonce()
    token = make_token(SECRET, nonce, NOW)
    assert not check_token(SECRET, new_nonce(), token, NOW)
    assert not check_token("other-secret", nonce, token, NOW)
    stamp, mac = token.split(".")
    assert not check_token(SECRET, nonce, f"{int(stamp) + 1}.{mac}", NOW)
    flipped = mac[:-1] + ("1" if mac[-1] == "0" else "0")
    assert not check_token(SECRET, nonce, f"{stamp}.{flipped}", NOW)


def test_missing_or_malformed_parts_are_refused() -> None:
    nonce = new_nonce()
    token = make_token(SECRET, nonce, NOW)
    for bad_nonce, bad_token in [
        (None, token),
        ("", token),
        (nonce, None),
        (nonce, ""),
        (nonce, "garbage"),
        (nonce, "x." + token.split(".")[1]),
        (nonce, token + "0" * 300),
    ]:
        assert not check_token(SECRET, bad_nonce, bad_token, NOW)


def test_an_old_token_or_one_from_the_future_is_refused() -> None:
    nonce = new_nonce()
    token = make_token(SECRET, nonce, NOW)
    assert check_token(SECRET, nonce, token, NOW + MAX_AGE_SECONDS)
    assert not check_token(SECRET, nonce, token, NOW + MAX_AGE_SECONDS + 1)
    assert not check_token(SECRET, nonce, token, NOW - 3600)


def test_nonces_are_unpredictable() -> None:
    assert len({new_nonce() for _ in range(100)}) == 100
