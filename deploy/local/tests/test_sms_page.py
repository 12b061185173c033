"""The SMS sink's page: newest first, each SMS with its number, time, text and cost."""

from rencontres_infra.sms_page import cost, render_page


def sms(to: str, text: str, at: str) -> dict[str, str]:
    return {"to": to, "from": "Rencontres", "text": text, "received_at": at, "provider": "sink"}


def test_segments_follow_the_encoding_the_text_needs() -> None:
    assert cost("a" * 160) == ("GSM-7", 1)
    assert cost("a" * 161) == ("GSM-7", 2)  # 153 septets per part once split
    assert cost("€" * 80) == ("GSM-7", 1)  # the extension table: two septets each
    assert cost("jusqu’au " + "a" * 61) == ("UCS-2", 1)  # 70 UCS-2 characters fit in one
    assert cost("jusqu’au " + "a" * 62) == ("UCS-2", 2)


def test_the_page_lists_newest_first_with_cost_and_escapes_the_text() -> None:
    page = render_page(
        [
            sms("+33612345678", "Premier <b>message</b>", "2027-11-02T08:00:00+00:00"),
            sms("+33698765432", "Second : " + "é" * 200, "2027-11-02T09:30:00+00:00"),
        ]
    )
    listed = page[page.index("<ul>") :]
    assert listed.index("+33698765432") < listed.index("+33612345678")
    assert "Premier &lt;b&gt;message&lt;/b&gt;" in page and "<b>message" not in page
    assert (
        "2027-11-02 10:30:00 CET" in page
    )  # Paris time, the quiet hours clock and "from Rencontres" in page
    assert "1 segment · GSM-7 · 22 chars" in page
    assert "2 segments · GSM-7 · 209 chars" in page
    assert "SMS (2)" in page and "href='?to=%2B33612345678'" in page


def test_an_empty_sink_says_so_and_a_filter_names_the_number() -> None:
    assert "No SMS yet." in render_page([])
    assert "SMS to +33612345678 (0)" in render_page([], "+33612345678")
