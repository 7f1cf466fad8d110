"""Word matching: Thai by segmented tokens (never raw substrings), English by stemmed words, negation, clean-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pythainlp.corpus import thai_words
from pythainlp.tokenize import word_tokenize
from pythainlp.tokenize.newmm import segment
from pythainlp.util import dict_trie

from ruamchat.triage import BUILTIN_KEYWORDS, HIGH, NORMAL, URGENT, KeywordTrie, Triage, normalise, tokens


def priority_keywords(engine: Triage, text: str) -> set[str]:
    return {r.keyword for r in engine.suggest(text).reasons if r.field == "priority"}


@pytest.fixture(scope="module")
def admin_engine() -> Triage:
    """Admin-added short Thai words that are letters of longer, unrelated words."""
    return Triage(extra={"category:technical": ["ไฟ"], "angry": ["ตา"], "fraud": ["โกง"]})


def test_burnt_matches_as_a_word_in_a_thai_sentence(engine: Triage) -> None:
    assert "ไหม้" in tokens("เครื่องไหม้ค่ะ")
    assert engine.suggest("เครื่องไหม้ค่ะ").priority == URGENT
    assert "ไหม้" in priority_keywords(engine, "เครื่องไหม้ค่ะ")
    # "กลิ่นไหม้" is a keyword of its own, so it is one token; "ไหม้" still matches inside it
    assert tokens("เครื่องมีกลิ่นไหม้ค่ะ") == ["เครื่อง", "มี", "กลิ่นไหม้", "ค่ะ"]
    assert engine.suggest("เครื่องมีกลิ่นไหม้ค่ะ").priority == URGENT


def test_question_particle_is_not_burnt(engine: Triage) -> None:
    # ไหม (question particle) differs from ไหม้ (burnt) by one tone mark
    assert engine.suggest("เครื่องนี้ใช้ได้นานไหมคะ").priority != URGENT


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("ส่งไฟล์ตารางให้หน่อยค่ะ", "ไฟ"),  # ไฟ (fire/light) inside ไฟล์ (file)
        ("ขอตารางผ่อนชำระค่ะ", "ตา"),  # ตา (eye) inside ตาราง (table)
        ("ปลูกต้นโกงกางริมทะเล", "โกง"),  # โกง (cheat) inside โกงกาง (mangrove)
    ],
)
def test_keyword_letters_inside_another_word_do_not_match(admin_engine: Triage, text: str, keyword: str) -> None:
    assert keyword in text  # a raw substring search would have matched
    suggestion = admin_engine.suggest(text, angry_before=1)  # so an angry match would show as a reason
    assert keyword not in {r.keyword for r in suggestion.reasons}
    assert not suggestion.angry
    assert keyword not in admin_engine.tokens(text)


def test_the_same_short_keywords_match_where_they_are_words(admin_engine: Triage) -> None:
    assert admin_engine.suggest("ไฟที่เครื่องไม่ติดค่ะ").category == "technical"
    assert admin_engine.suggest("ร้านโกงค่ะ").priority == URGENT
    assert admin_engine.suggest("ตาค่ะ", angry_before=1).priority == HIGH


def test_builtin_broken_is_not_matched_inside_slang(engine: Triage) -> None:
    # แตก (broken) inside ห่วยแตก (crap) and ระเบิด (explode) inside ระเบิดเวลา (time bomb)
    assert engine.suggest("ห่วยแตกมาก ของไม่ตรงปก").priority == NORMAL
    assert "ระเบิด" not in priority_keywords(engine, "เหมือนระเบิดเวลาเลย")


def test_several_word_keywords_are_added_to_the_dictionary_and_segment_as_one_token() -> None:
    assert word_tokenize("ไฟดูดค่ะ", engine="newmm", keep_whitespace=False) == ["ไฟ", "ดูด", "ค่ะ"]
    assert tokens("ไฟดูดค่ะ") == ["ไฟดูด", "ค่ะ"]
    assert tokens("ถูกตัดเงินซ้ำค่ะ") == ["ถูกตัดเงินซ้ำ", "ค่ะ"]
    assert tokens("ของไม่ถึงค่ะ")[0] == "ของไม่ถึง"


def test_a_several_word_keyword_matches_across_a_space(engine: Triage) -> None:
    assert engine.suggest("โดนไฟ ดูด ค่ะ").priority == URGENT


def test_a_longer_keyword_does_not_hide_a_shorter_one_of_another_rule(engine: Triage) -> None:
    # "ไม่ได้รับของ" (order_status) is one token; the late-order rule "จัดส่งสำเร็จ + ไม่ได้รับ" still sees ไม่ได้รับ
    assert "ไม่ได้รับของ" in tokens("สถานะขึ้นว่าจัดส่งสำเร็จ แต่ไม่ได้รับของค่ะ")
    assert engine.suggest("สถานะขึ้นว่าจัดส่งสำเร็จ แต่ไม่ได้รับของค่ะ").priority == HIGH


@pytest.mark.parametrize(
    "text",
    [
        "มีควันนนนน ออกมาจากเครื่อง",  # a letter repeated
        "มีควันขึ้นค่าาาา",  # a vowel repeated
        "ไฟ\u200bดูดค่ะ",  # a zero-width space inside the word
        "โดนตัดเงินซำ้ค่ะ",  # tone mark and vowel typed in the wrong order
        "ไฟดูด ๒ ครั้งแล้ว",  # Thai digits
    ],
)
def test_thai_is_normalised_before_matching(engine: Triage, text: str) -> None:
    assert engine.suggest(text).priority == URGENT


def test_elongated_slang_and_double_sara_e(engine: Triage) -> None:
    assert tokens("ของยังไม่มาเลยยย")[-1] == "เลย"
    assert engine.suggest("ของเเตกมาค่ะ").priority == HIGH  # เเ (two sara e) is แ


@pytest.mark.parametrize(
    "text",
    [
        "I was charged twice",
        "you charge twice for every order",
        "I got double charged",
        "charges appeared twice on my card",
        "The motor is burning",
        "the cable is burnt",
        "it burned my hand",
        "SPARKING socket",
    ],
)
def test_english_variants_match_after_stemming(engine: Triage, text: str) -> None:
    assert engine.suggest(text).priority == URGENT


@pytest.mark.parametrize(
    "text",
    ["The firewall blocks the app", "Sparkling water is out of stock?", "I love the smokey grey colour"],
)
def test_english_matches_whole_words_only(engine: Triage, text: str) -> None:
    assert engine.suggest(text).priority != URGENT


@pytest.mark.parametrize(
    "text",
    [
        "ไม่ได้มีควันนะคะ แค่สอบถาม",
        "ไม่มีกลิ่นไหม้หรืออะไรนะคะ แต่เครื่องเสียงดัง",
        "ไม่ได้มีไฟช็อตนะคะ แค่ไฟที่ปลั๊กไม่ติด",
        "No smoke or anything, just a rattling noise",
        "I didn't see any sparks, it just stopped",
    ],
)
def test_a_negated_hazard_is_not_urgent(engine: Triage, text: str) -> None:
    assert engine.suggest(text).priority != URGENT


def test_negation_does_not_reach_into_the_next_clause(engine: Triage) -> None:
    assert engine.suggest("ไม่รู้เป็นอะไรค่ะ ตอนนี้มีควันออกมา").priority == URGENT
    assert engine.suggest("Not sure why. Smoke is coming out").priority == URGENT


def test_category_keywords_ignore_negation(engine: Triage) -> None:
    # "ยังไม่คืนเงิน" is still about a refund
    assert engine.suggest("ทำไมยังไม่คืนเงินให้สักที").category == "refund"


def test_combined_keywords_need_their_parts_close_together(engine: Triage) -> None:
    assert engine.suggest("ตัดเงินในบัตรสองรอบค่ะ").priority == URGENT
    far = "ทักมาสองรอบแล้วนะคะ เรื่องสินค้าที่สั่งไป สีไม่ตรงกับรูปที่ลงไว้ในเพจ อยากทราบวิธีการตัดเงิน"
    assert engine.suggest(far).priority != URGENT


def test_product_names_hide_the_hazard_words_inside_them(engine: Triage) -> None:
    suggestion = engine.suggest("Our smoke detector arrived broken")
    assert (suggestion.priority, suggestion.category) == (HIGH, "return")


def test_tokens_drop_whitespace_and_keep_punctuation() -> None:
    assert tokens("ขอบคุณค่ะ  Thanks!") == ["ขอบคุณ", "ค่ะ", "thanks", "!"]


def test_the_keyword_trie_segments_like_a_full_dict_trie_of_default_words_and_keywords() -> None:
    """KeywordTrie shares PyThaiNLP's default trie instead of copying it; the segmentation is the same."""
    thai = [piece for words in BUILTIN_KEYWORDS.values() for word in words for piece in normalise(word).split()]
    thai = [piece for piece in thai if any("\u0e01" <= ch <= "\u0e4f" for ch in piece)]
    full = dict_trie(set(thai_words()) | set(thai))
    shared = KeywordTrie(thai)
    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "triage"
    texts = [
        normalise(json.loads(line)["text"])
        for name in ("labelled.jsonl", "heldout.jsonl")
        for line in (fixtures / name).read_text(encoding="utf-8").splitlines()
    ]
    assert len(texts) > 300
    for text in texts:
        assert segment(text, shared) == segment(text, full), text
