"""Report fixtures: the hand-computed week of conversations (see test_metrics.py's docstring for the story)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ruamchat.inbox import actions as inbox
from ruamchat.inbox.models import Conversation
from ruamchat.reports import actions, selectors
from ruamchat.sla import actions as sla
from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy
from tests.bot.conftest import bot_on  # noqa: F401  (the chatbot fixtures)
from tests.kb.conftest import kb_category, make_article  # noqa: F401  (the knowledge base's fixtures)

BKK = ZoneInfo("Asia/Bangkok")
P1 = selectors.Period("custom", date(2026, 5, 12), date(2026, 5, 18))
P2 = selectors.Period("custom", date(2026, 5, 25), date(2026, 5, 31))
P3 = selectors.Period("custom", date(2026, 6, 1), date(2026, 6, 7))


def bkk(mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, mo, d, h, mi, tzinfo=BKK)


class Clock:
    """Travel to a moment and do something there, as if it happened then."""

    def __call__(self, moment: datetime) -> Any:
        return time_machine.travel(moment, tick=False)


@pytest.fixture
def world(team: Any, support_team: Any, make_agent: Callable[..., Any], website: Any, bot_on: Callable[..., Any],  # noqa: F811
          make_article: Callable[..., Any], visitor_says: Callable[..., Any], run_jobs: Callable[[], int]  # noqa: F811
          ) -> Iterator[dict[str, Any]]:
    from ruamchat.connectors.actions import create_channel

    office = Calendar.objects.create(name="office", time_zone="Asia/Bangkok", holiday_country="TH", is_default=True)
    for day in range(5):
        OpeningPeriod.objects.create(calendar=office, weekday=day, opens=time(9), closes=time(18))
    office.teams.add(team, support_team)
    SlaPolicy.objects.create(team=team, priority=None, first_response_minutes=60, resolution_minutes=8 * 60)
    SlaPolicy.objects.create(team=support_team, priority=None, resolution_minutes=16 * 60)
    s1 = make_agent(teams=[team], username="s1")
    t1 = make_agent(teams=[support_team], username="t1")
    botsite = create_channel(actor=None, kind="website", name="bot site", default_team=team)
    make_article(title="ผ่อน 0% นานสูงสุด 10 เดือน", keywords="ผ่อน แบ่งจ่าย",
                 summary="ผ่อนชำระ 0% ด้วยบัตรเครดิตที่ร่วมรายการ นานสูงสุด 10 เดือน",
                 body="ผ่อนชำระ 0% นานสูงสุด 10 เดือน ด้วยบัตรเครดิตที่ร่วมรายการ เมื่อซื้อครบ 3,000 บาท")
    bot_on(botsite)
    at = Clock()
    made: dict[str, Conversation] = {}

    def says(name: str, moment: datetime, text: str, channel: Any = None) -> Conversation:
        with at(moment):
            message = visitor_says(text, visitor=f"visitor-{name}-aaaaaaaaaaaaaaaa", channel=channel)
            run_jobs()
        made[name] = Conversation.objects.get(pk=message.conversation_id)
        return made[name]

    def reply(name: str, moment: datetime, who: Any, text: str = "ได้เลยค่ะ") -> None:
        with at(moment):
            inbox.send_reply(conversation=Conversation.objects.get(pk=made[name].pk), actor=who, text=text)
            run_jobs()

    def status(name: str, moment: datetime, who: Any, value: str) -> None:
        with at(moment):
            inbox.change_status(conversation=Conversation.objects.get(pk=made[name].pk), actor=who, status=value)
            run_jobs()

    def sweep(moment: datetime) -> None:
        with at(moment):
            sla.sweep_all(moment)

    says("A", bkk(5, 12, 10), "สั่งของแล้วยังไม่ได้เลขพัสดุค่ะ")
    reply("A", bkk(5, 12, 10, 5), s1)
    status("A", bkk(5, 12, 10, 20), s1, "resolved")

    says("B", bkk(5, 12, 11), "ขอเปลี่ยนที่อยู่จัดส่งค่ะ")
    reply("B", bkk(5, 12, 11, 30), s1)
    status("B", bkk(5, 12, 12), s1, "resolved")
    says("B", bkk(5, 12, 13), "ยังไม่เปลี่ยนเลยค่ะ")  # reopens B
    reply("B", bkk(5, 12, 13, 10), s1)
    status("B", bkk(5, 12, 14), s1, "resolved")

    says("C", bkk(5, 12, 15), "เครื่องเปิดไม่ติดค่ะ")
    reply("C", bkk(5, 12, 15, 10), s1)
    with at(bkk(5, 12, 15, 15)):
        inbox.transfer(conversation=Conversation.objects.get(pk=made["C"].pk), actor=s1, team=support_team,
                       reason="เครื่องเสีย ส่งซ่อม")
    reply("C", bkk(5, 12, 15, 45), t1)
    status("C", bkk(5, 13, 10), t1, "resolved")

    says("E", bkk(5, 13, 9), "ขอคุยกับพนักงานค่ะ", channel=botsite)
    reply("E", bkk(5, 13, 9, 20), s1)
    status("E", bkk(5, 13, 9, 30), s1, "resolved")

    says("F", bkk(5, 13, 9, 5), "ผ่อน 0% ได้กี่เดือนคะ", channel=botsite)
    with at(bkk(5, 13, 12)):
        from ruamchat.bot.actions import sweep_quiet

        sweep_quiet()
        run_jobs()

    says("G", bkk(5, 14, 10), "ขอใบกำกับภาษีค่ะ")
    reply("G", bkk(5, 14, 10, 10), s1)
    status("G", bkk(5, 14, 10, 15), s1, "pending")
    says("H", bkk(5, 14, 11), "สินค้าชำรุดค่ะ")
    reply("H", bkk(5, 14, 11, 5), s1)
    says("K", bkk(5, 15, 10), "มีของรุ่นนี้ไหมคะ")
    sweep(bkk(5, 15, 11, 59))
    status("K", bkk(5, 15, 12), s1, "closed")
    says("G", bkk(5, 18, 10), "ได้รับแล้วค่ะ ขอบคุณค่ะ")  # pending → open, the pause ends
    status("G", bkk(5, 18, 10, 30), s1, "resolved")
    status("H", bkk(5, 18, 10), s1, "resolved")

    says("J", bkk(5, 29, 10), "ของหายระหว่างส่งค่ะ")
    reply("J", bkk(5, 29, 10, 10), s1)
    says("I", bkk(5, 29, 17, 30), "สั่งของผิดสีค่ะ")
    reply("I", bkk(6, 2, 9, 30), s1)
    status("I", bkk(6, 2, 10), s1, "resolved")
    status("J", bkk(6, 2, 11), s1, "resolved")

    with at(bkk(6, 2, 12)):
        actions.catch_up()
    yield {"made": made, "team": team, "support": support_team, "s1": s1, "t1": t1, "website": website,
           "botsite": botsite}
