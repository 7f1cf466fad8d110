"""Chatbot fixtures: the bot switched on for a channel, and the knowledge base it answers from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.kb.conftest import demo_kb, kb_category, make_article  # noqa: F401  (the knowledge base's fixtures)


@pytest.fixture
def bot_on(db: None) -> Callable[..., Any]:
    """``bot_on(channel, **fields)``: save the channel's chatbot settings (enabled) as an administrator would."""
    from ruamchat.bot.actions import save_settings

    def switch_on(channel: Any, **fields: Any) -> Any:
        fields.setdefault("enabled", True)
        return save_settings(actor=None, channel=channel, **fields)

    return switch_on


@pytest.fixture
def delivery_article(make_article: Callable[..., Any]) -> Any:  # noqa: F811
    """A public Thai article about tracking a parcel, with a second, unrelated one beside it."""
    make_article(title="วิธีเปลี่ยนรหัสผ่าน", body="ลืมรหัสผ่าน กดลืมรหัสผ่านที่หน้าเข้าสู่ระบบ ระบบจะส่งลิงก์ไปที่อีเมล")
    return make_article(
        title="ติดตามพัสดุและเลขพัสดุ",
        summary="เลขพัสดุจะส่งทาง SMS และอีเมลภายใน 24 ชั่วโมงหลังจัดส่ง",
        body="หลังร้านส่งของแล้ว คุณจะได้รับเลขพัสดุทาง SMS และอีเมลภายใน 24 ชั่วโมง "
             "นำเลขพัสดุไปติดตามพัสดุที่เว็บไซต์ของ Kerry Express หรือ Flash ได้เลย",
    )
