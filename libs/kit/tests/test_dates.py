"""Day-month dates for people: the French first of the month is « 1er », in both languages."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from rencontres_kit.dates import first_of_month, format_day, format_moment

PARIS = ZoneInfo("Europe/Paris")


def test_french_writes_the_first_of_a_month_as_an_ordinal() -> None:
    assert format_day(date(2027, 11, 1), "fr_FR") == "1er novembre 2027"
    assert format_day(date(2027, 11, 2), "fr_FR") == "2 novembre 2027"
    assert format_day(date(2027, 11, 11), "fr_FR") == "11 novembre 2027"
    assert format_day(date(2027, 11, 21), "fr_FR") == "21 novembre 2027"
    assert format_day(date(2027, 11, 1), "fr_FR", "full") == "lundi 1er novembre 2027"
    assert format_day(date(2027, 11, 1), "fr_FR", "d MMMM") == "1er novembre"
    assert format_day(date(2027, 11, 1), "fr_FR", "dd/MM/y") == "01/11/2027"  # digits: as is


def test_english_keeps_cldr_s_form() -> None:
    assert format_day(date(2027, 11, 1), "en_GB") == "1 November 2027"
    assert format_day(date(2027, 11, 1), "en_US") == "November 1, 2027"
    assert format_day(date(2027, 11, 17), "en_GB") == "17 November 2027"


def test_a_moment_takes_the_day_it_is_in_paris() -> None:
    pattern_fr = "d MMMM y 'à' H 'h' mm"
    # 31 October 23:30 UTC is already 1 November in Paris (UTC+1 in winter)
    late = datetime(2027, 10, 31, 23, 30, tzinfo=UTC)
    assert format_moment(late, pattern_fr, "fr_FR", PARIS) == "1er novembre 2027 à 0 h 30"
    assert format_moment(late, "d MMMM y 'at' HH:mm", "en_GB", PARIS) == (
        "1 November 2027 at 00:30"
    )
    # 1 November 00:30 UTC is still the 1st in Paris; 23:30 UTC on the 1st is the 2nd
    assert (
        format_moment(datetime(2027, 11, 1, 23, 30, tzinfo=UTC), pattern_fr, "fr_FR", PARIS)
        == "2 novembre 2027 à 0 h 30"
    )


def test_quoted_text_and_other_fields_are_untouched() -> None:
    assert format_day(date(2027, 11, 1), "fr_FR", "'le d' d MMMM") == "le d 1er novembre"
    assert format_day(date(2027, 11, 1), "fr_FR", "EEEE d") == "lundi 1er"
    assert first_of_month("d MMMM y", "fr_FR", 2) == "d MMMM y"
    assert first_of_month("d MMMM y", "en_GB", 1) == "d MMMM y"
