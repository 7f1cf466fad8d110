"""Admin keywords through ``extra``, the team mapping, and the sentences agents read."""

from __future__ import annotations

import pytest
from django.utils import translation

from ruamchat.triage import HIGH, NORMAL, URGENT, Reason, Suggestion, Triage, default_triage


@pytest.fixture(scope="module")
def extended() -> Triage:
    return Triage(
        extra={
            "safety": ["เปลวไฟ", "jolt"],
            "legal": ["กรมการค้าภายใน"],
            "category:refund": ["โอนเงินคืน"],
            "info": ["ที่จอดรถ"],
        },
        team_of_category={"order_status": "support"},
    )


def test_extra_keywords_extend_the_builtin_rules(extended: Triage) -> None:
    builtin = default_triage()
    assert builtin.suggest("หม้อทอดมีเปลวไฟออกมาด้านหลัง").priority == NORMAL
    suggestion = extended.suggest("หม้อทอดมีเปลวไฟออกมาด้านหลัง")
    assert suggestion.priority == URGENT
    assert Reason("priority", "0", "เปลวไฟ", "safety") in suggestion.reasons
    assert extended.suggest("จะร้องเรียนกรมการค้าภายในด้วย").priority == URGENT
    assert extended.suggest("ร้านมีที่จอดรถไหมคะ").priority == 3


def test_extra_english_keywords_are_stemmed_like_the_builtin_ones(extended: Triage) -> None:
    assert extended.suggest("The kettle jolted me when I touched it").priority == URGENT


def test_extra_thai_keywords_join_the_dictionary(extended: Triage) -> None:
    assert "โอนเงินคืน" in extended.tokens("รบกวนโอนเงินคืนด้วยค่ะ")
    assert extended.suggest("รบกวนโอนเงินคืนด้วยค่ะ").category == "refund"


def test_the_builtin_keywords_still_work_next_to_extra_ones(extended: Triage) -> None:
    assert extended.suggest("เครื่องมีกลิ่นไหม้ค่ะ").priority == URGENT
    assert extended.suggest("พัสดุหายค่ะ").priority == HIGH


def test_team_of_category_overrides_the_default_mapping(extended: Triage) -> None:
    assert default_triage().suggest("พัสดุถึงไหนแล้วคะ").team_kind == "service"
    suggestion = extended.suggest("พัสดุถึงไหนแล้วคะ")
    assert (suggestion.category, suggestion.team_kind) == ("order_status", "support")
    assert extended.suggest("ลืมรหัสผ่านค่ะ").team_kind == "support"  # untouched entries keep the default


def test_unknown_rules_and_teams_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown triage rule"):
        Triage(extra={"urgent": ["ไฟไหม้"]})
    with pytest.raises(ValueError, match="team_of_category"):
        Triage(team_of_category={"refund": "billing"})
    with pytest.raises(ValueError, match="team_of_category"):
        Triage(team_of_category={"shipping": "service"})


def test_explain_says_which_word_decided_each_field(engine: Triage) -> None:
    with translation.override("en"):
        sentences = engine.suggest("เครื่องไหม้ค่ะ").explain()
    assert sentences == [
        "contains “ไหม้” (safety hazard) → Urgent",
        "contains “ไหม้” (safety hazard) → category technical",
        "category technical → Customer support",
    ]


def test_explain_category_and_default_sentences(engine: Triage) -> None:
    with translation.override("en"):
        assert engine.suggest("ขอคืนเงินค่ะ").explain() == [
            "no priority keyword matched → Normal",
            "contains “ขอคืนเงิน” → category refund",
            "category refund → Customer support",
        ]
        assert engine.suggest("สวัสดีค่ะ").explain()[1] == "no category keyword matched → other"


def test_explain_angry_and_late_order(engine: Triage) -> None:
    with translation.override("en"):
        assert engine.suggest("บริการแย่มาก", angry_before=2).explain()[0] == (
            "angry (“แย่มาก”) and angry before → High"
        )
        assert engine.suggest("ของยังไม่มา สั่งไปสองอาทิตย์แล้ว").explain()[0] == (
            "contains “สองอาทิตย์” (lost or very late order) → High"
        )


def test_suggestion_is_immutable(engine: Triage) -> None:
    suggestion = engine.suggest("ขอบคุณค่ะ")
    assert isinstance(suggestion, Suggestion)
    with pytest.raises(AttributeError):
        suggestion.priority = 0  # type: ignore[misc]
