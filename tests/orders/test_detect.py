"""Order numbers found in what customers write, by the patterns administrators set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ruamchat.orders.lookup import detect_order_numbers
from ruamchat.orders.patterns import validate_pattern

pytestmark = pytest.mark.django_db

PATTERN = r"\b(?:CS|cs)-?\d{5,8}\b"


@pytest.fixture
def shop_source(make_source: Callable[..., Any]) -> Any:
    return make_source(number_pattern=PATTERN)


@pytest.mark.parametrize(("text", "numbers"), [
    ("เช็คออเดอร์ CS-10023 ให้หน่อยค่ะ", ["CS-10023"]),
    ("เช็คออเดอร์ CS-๑๐๐๒๓ ให้หน่อยค่ะ", ["CS-10023"]),  # Thai digits
    ("ออเดอร์CS-10023ยังไม่ได้ของเลยค่ะ", ["CS-10023"]),  # Thai letters right against the number
    ("สั่ง cs-10023 กับ cs10024 ค่ะ", ["CS-10023", "CS10024"]),  # written in capitals to look up
    ("CS-10023 แล้วก็ CS-10023 อีกที", ["CS-10023"]),
    ("โทร 081-234-5678 นะคะ ABCS-10023 ไม่ใช่เลขออเดอร์", []),
    ("CS-１００２３", ["CS-10023"]),  # full-width digits from a Japanese keyboard
])
def test_numbers_are_found_in_thai_text(shop_source: Any, text: str, numbers: list[str]) -> None:
    assert detect_order_numbers(text) == numbers


def test_capitals_are_kept_as_written_when_the_source_says_so(make_source: Callable[..., Any]) -> None:
    make_source(number_pattern=PATTERN, uppercase_numbers=False)
    assert detect_order_numbers("สั่ง cs-10023 ค่ะ") == ["cs-10023"]


def test_only_active_sources_patterns_count_and_each_source_adds_its_own(make_source: Callable[..., Any]) -> None:
    make_source(number_pattern=PATTERN)
    make_source(name="Marketplace", number_pattern=r"\bMP\d{6}\b")
    make_source(name="Old shop", number_pattern=r"\bOLD\d{3}\b", active=False)
    assert detect_order_numbers("CS-10023, MP123456 and OLD123") == ["CS-10023", "MP123456"]


@pytest.mark.parametrize(("pattern", "words"), [
    (r"(\d+)+", "repeats something that itself repeats"),
    (r"(?:CS-\d+)*X", "repeats something that itself repeats"),
    (r"CS-\d*|", "matches empty text"),
    (r"CS-[0-9", "not a valid regular expression"),
    ("CS-" + r"\d" * 120, "too long"),
])
def test_patterns_that_could_hang_or_match_anything_are_refused(pattern: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_pattern(pattern)
    assert words in " ".join(refused.value.messages)


def test_a_usual_pattern_is_accepted() -> None:
    validate_pattern(PATTERN)
    validate_pattern(r"(?<![A-Z0-9])ORD-\d{4}-\d{6}(?:-\d{2})?")
