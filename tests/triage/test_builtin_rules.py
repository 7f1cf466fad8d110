"""The built-in Thai and English rules: what a customer writes → the team, category and priority agents see."""

from __future__ import annotations

import pytest

from ruamchat.triage import HIGH, LOW, NORMAL, URGENT, Suggestion, Triage

# text, angry_before, priority, category, team, (rule, keyword) expected among the priority reasons or None
CASES = [
    # urgent: safety
    ("เครื่องมีกลิ่นไหม้ค่ะ", 0, URGENT, "technical", "support", ("safety", "กลิ่นไหม้")),
    ("มีควันออกมาจากพัดลมค่ะ", 0, URGENT, "technical", "support", ("safety", "มีควัน")),
    ("จับเครื่องแล้วโดนไฟดูด", 0, URGENT, "technical", "support", ("safety", "โดนไฟดูด")),
    ("ไฟช็อตตอนเสียบปลั๊ก", 0, URGENT, "technical", "support", ("safety", "ไฟช็อต")),
    ("แบตพาวเวอร์แบงค์บวมมาก", 0, URGENT, "technical", "support", ("safety", "แบต + บวม")),
    ("The kettle is smoking", 0, URGENT, "technical", "support", ("safety", "smoke")),
    ("I got an electric shock from the door", 0, URGENT, "technical", "support", ("safety", "electric shock")),
    ("Sparks came out of the socket", 0, URGENT, "technical", "support", ("safety", "sparks")),
    # urgent: fraud and double charges
    ("ถูกตัดเงินซ้ำค่ะ", 0, URGENT, "payment", "support", ("fraud", "ถูกตัดเงินซ้ำ")),
    ("โอนเงินไปสองรอบค่ะ", 0, URGENT, "payment", "support", ("fraud", "โอนเงิน + สองรอบ")),
    ("โดนตัดเบิ้ลค่ะ", 0, URGENT, "payment", "support", ("fraud", "ตัด + เบิ้ล")),
    ("โดนโกงค่ะ มีคนแอบอ้างเป็นร้าน", 0, URGENT, "payment", "support", ("fraud", "โดนโกง")),  # fraud → payment
    ("I was charged twice for one order", 0, URGENT, "payment", "support", ("fraud", "charged twice")),
    ("There is an unauthorized charge on my card", 0, URGENT, "payment", "support", ("fraud", "unauthorized")),
    ("Someone hacked my account", 0, URGENT, "account", "support", ("fraud", "hacked")),
    # urgent: legal threats
    ("จะไปแจ้ง สคบ. นะคะ ถ้าไม่คืนเงิน", 0, URGENT, "refund", "support", ("legal", "สคบ")),
    ("ผมจะฟ้องร้องบริษัท", 0, URGENT, "other", "service", ("legal", "ฟ้องร้อง")),
    ("จะไปแจ้งความค่ะ", 0, URGENT, "other", "service", ("legal", "แจ้งความ")),
    ("My lawyer will contact you", 0, URGENT, "other", "service", ("legal", "lawyer")),
    ("I am going to sue you", 0, URGENT, "other", "service", ("legal", "sue")),
    # high: lost or very late orders
    ("พัสดุหายค่ะ", 0, HIGH, "order_status", "service", ("late_order", "พัสดุหาย")),
    ("ของยังไม่มาเลยยย สั่งไปสองอาทิตย์แล้ว", 0, HIGH, "order_status", "service", ("late_order", "สองอาทิตย์")),
    ("เลยกำหนดส่งมาสามวันแล้ว", 0, HIGH, "order_status", "service", ("late_order", "เลยกำหนดส่ง")),
    ("It's been three weeks and my order still hasn't arrived", 0, HIGH, "order_status", "service",
     ("late_order", "three weeks")),
    ("Tracking says delivered but I never received it", 0, HIGH, "order_status", "service",
     ("late_order", "never received")),
    # high: broken on arrival
    ("ได้รับของแล้วแต่แก้วแตกมาค่ะ", 0, HIGH, "return", "support", ("broken", "แตกมา")),
    ("จานแตกหมดเลย ขอเปลี่ยนใหม่ได้ไหมคะ", 0, HIGH, "exchange", "support", ("broken", "แตก")),
    ("The vase arrived broken", 0, HIGH, "return", "support", ("broken", "arrived broken")),
    # high: repeated angry complaints
    ("ตอบช้ามาก ไม่พอใจจริงๆ", 1, HIGH, "other", "service", ("angry", "ไม่พอใจ")),
    ("THIS IS THE THIRD TIME I AM WRITING", 2, HIGH, "other", "service", ("angry", "ALL CAPS")),
    ("ยังไม่มีใครตอบอีกเหรอ!!!", 1, HIGH, "other", "service", ("angry", "!!!")),
    ("ตอบช้ามาก ไม่พอใจจริงๆ", 0, NORMAL, "other", "service", None),  # angry once is not repeated
    # low: thanks and general information, only when nothing else matched
    ("ขอบคุณมากค่ะ", 0, LOW, "other", "service", ("thanks", "ขอบคุณ")),
    ("สอบถามเวลาเปิดค่ะ", 0, LOW, "other", "service", ("info", "เวลาเปิด")),
    ("สอบถามเวลาเปิดร้านค่ะ", 0, LOW, "other", "service", ("info", "เวลาเปิดร้าน")),
    ("What are your opening hours?", 0, LOW, "other", "service", ("info", "opening hours")),
    ("ได้รับเงินคืนแล้วค่ะ ขอบคุณมากๆ", 0, LOW, "refund", "support", ("resolved", "ได้รับ + แล้ว")),
    ("ขอบคุณค่ะ แต่ของยังไม่มาเลยนะคะ", 0, NORMAL, "order_status", "service", None),
    ("Thanks, but my order still hasn't shipped", 0, NORMAL, "order_status", "service", None),
    ("ขอบคุณค่ะ แต่มีควันออกมาจากเครื่อง", 0, URGENT, "technical", "support", ("safety", "มีควัน")),
    # normal, by category
    ("ขอคืนสินค้าได้ไหมคะ", 0, NORMAL, "return", "support", None),
    ("ขอเปลี่ยนไซส์ได้ไหมคะ", 0, NORMAL, "exchange", "support", None),
    ("ขอคืนเงินค่ะ", 0, NORMAL, "refund", "support", None),
    ("พัสดุถึงไหนแล้วคะ", 0, NORMAL, "order_status", "service", None),
    ("แนบสลิปการโอนเงินค่ะ", 0, NORMAL, "payment", "support", None),
    ("ลืมรหัสผ่านค่ะ", 0, NORMAL, "account", "support", None),
    ("แอปเด้งออกตลอด", 0, NORMAL, "technical", "support", None),
    ("I forgot my password", 0, NORMAL, "account", "support", None),
    ("สวัสดีค่ะ", 0, NORMAL, "other", "service", None),
]


@pytest.mark.parametrize(("text", "angry_before", "priority", "category", "team", "reason"), CASES)
def test_builtin_rules_suggest_priority_category_and_team(
    engine: Triage, text: str, angry_before: int, priority: int, category: str, team: str,
    reason: tuple[str, str] | None,
) -> None:
    suggestion = engine.suggest(text, angry_before=angry_before)
    assert (suggestion.priority, suggestion.category, suggestion.team_kind) == (priority, category, team)
    priority_reasons = {(r.rule, r.keyword) for r in suggestion.reasons if r.field == "priority"}
    if reason is None:
        assert all(r.value == str(priority) for r in suggestion.reasons if r.field == "priority")
    else:
        assert reason in priority_reasons


def test_every_suggestion_explains_each_field(engine: Triage) -> None:
    suggestion = engine.suggest("ถูกตัดเงินซ้ำค่ะ")
    assert {r.field for r in suggestion.reasons} == {"priority", "category", "team"}
    team = next(r for r in suggestion.reasons if r.field == "team")
    assert (team.value, team.rule) == ("support", "team_of_category:payment")


def test_nothing_matched_gives_normal_other_service_with_default_reasons(engine: Triage) -> None:
    suggestion = engine.suggest("สวัสดีครับ")
    assert suggestion == Suggestion(
        team_kind="service", category="other", priority=NORMAL, language="th", angry=False,
        reasons=suggestion.reasons,
    )
    assert [(r.field, r.rule, r.keyword) for r in suggestion.reasons] == [
        ("priority", "default", ""), ("category", "default", ""), ("team", "team_of_category:other", ""),
    ]


def test_safety_outweighs_return_and_exchange_words_in_a_long_message(engine: Triage) -> None:
    text = (
        "สวัสดีค่ะ ได้รับหม้อทอดเมื่อวาน ลองใช้ครั้งแรกประมาณ 10 นาทีมีกลิ่นไหม้ออกมาจากด้านหลังเครื่อง "
        "และมีควันนิดหน่อย รีบถอดปลั๊กแล้วค่ะ อยากทราบว่าส่งคืนหรือเปลี่ยนเครื่องได้ไหมคะ ขอบคุณค่ะ"
    )
    suggestion = engine.suggest(text)
    assert (suggestion.priority, suggestion.category) == (URGENT, "technical")


def test_a_wait_without_an_order_is_not_a_late_order(engine: Triage) -> None:
    assert engine.suggest("เครื่องเปิดไม่ติดค่ะ ใช้มาได้ 3 เดือน").priority == NORMAL
    assert engine.suggest("ของยังไม่มาค่ะ รอมา 3 เดือนแล้ว").priority == HIGH
    assert engine.suggest("ของยังไม่มาค่ะ สั่งเมื่อวาน").priority == NORMAL


def test_angry_flag_is_reported_for_the_callers_count(engine: Triage) -> None:
    assert engine.suggest("บริการแย่มาก").angry is True
    assert engine.suggest("ไม่ได้โมโหนะคะ แค่ถามเฉยๆ").angry is False
    assert engine.suggest("This is RIDICULOUS!!!").angry is True
    assert engine.suggest("Please send the invoice, ASAP").angry is False


@pytest.mark.parametrize(
    ("text", "language"),
    [("ขอบคุณค่ะ", "th"), ("Thanks", "en"), ("ขอ refund ค่ะ", "th"), ("order 123 ??", "en"), ("🙏", "en")],
)
def test_language_is_thai_when_the_text_has_thai_letters(engine: Triage, text: str, language: str) -> None:
    assert engine.suggest(text).language == language
