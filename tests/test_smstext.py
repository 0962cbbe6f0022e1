from __future__ import annotations

import pytest

from hub.smstext import count_segments, estimate_recipient_text


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments", "per_segment"),
    [
        ("", "GSM-7", 0, 0, 160),
        ("a" * 160, "GSM-7", 160, 1, 160),
        ("a" * 161, "GSM-7", 161, 2, 153),
        ("a" * 306, "GSM-7", 306, 2, 153),
        ("a" * 307, "GSM-7", 307, 3, 153),
        ("€" * 80, "GSM-7", 160, 1, 160),  # extension-table characters count two
        ("€" + "a" * 159, "GSM-7", 161, 2, 153),
        ("Ü ö ä ñ é è à Ç Ø Å Æ ß are GSM-7", "GSM-7", 33, 1, 160),
        ("é" * 70 + "ł", "UCS-2", 71, 2, 67),
        ("ł" * 70, "UCS-2", 70, 1, 70),
        ("ł" * 71, "UCS-2", 71, 2, 67),
        ("ł" * 134, "UCS-2", 134, 2, 67),
        ("ł" * 135, "UCS-2", 135, 3, 67),
        ("😀" * 35, "UCS-2", 70, 1, 70),  # an emoji is a surrogate pair: 2 UTF-16 units
        ("😀" * 36, "UCS-2", 72, 2, 67),
    ],
)
def test_known_counts(text: str, encoding: str, units: int, segments: int, per_segment: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments, count.per_segment) == (encoding, units, segments,
                                                                                per_segment)


def test_reports_which_characters_forced_ucs2() -> None:
    count = count_segments("It’s here 😀 — it’s great")
    assert count.encoding == "UCS-2"
    assert count.ucs2_chars == ["’", "😀", "—"]


def test_extension_character_is_not_split_across_segments() -> None:
    # 152 plain characters then '€' (2 septets): the escape pair does not fit in 153, so it moves on
    text = "a" * 152 + "€" + "a" * 152
    count = count_segments(text)
    assert count.units == 306
    assert count.segments == 3


def test_surrogate_pair_is_not_split_across_segments() -> None:
    text = "ł" * 66 + "😀" + "ł" * 66  # 134 units, but the emoji cannot straddle segment 1 and 2
    count = count_segments(text)
    assert count.units == 134
    assert count.segments == 3


def test_recipient_variables_are_estimated_at_a_typical_length() -> None:
    assert estimate_recipient_text("Hi {{ first_name }}!") == "Hi " + "x" * 10 + "!"
    assert estimate_recipient_text('Hi {{ first_name | default("friend") }}!') == "Hi friendxxxx!"
    long_default = 'Hi {{ first_name | default("dear valued customer") }}'
    assert estimate_recipient_text(long_default) == "Hi dear valued customer"
    assert estimate_recipient_text("{{ fields.birthday }}", {"birthday": "date"}) == "x" * 10
