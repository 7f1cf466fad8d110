"""The survey pages a customer opens from an invitation (/s/<token>/): no login, one question per screen, plain
HTML forms, in the customer's language; answers stored on POST only; unknown, closed and not-yet-sent links get
a friendly page; a detractor opens one follow-up for the Service team; the customer can stop surveys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from ruamchat.contacts.models import Consent
from ruamchat.contacts.selectors import consents
from ruamchat.inbox.models import Conversation, Message
from ruamchat.inbox.selectors import QueueFilter, queue_conversations
from ruamchat.surveys import actions, views
from ruamchat.surveys.models import FollowUp, Invitation, Response
from tests.surveys.factories import customer, sent_invitation

pytestmark = pytest.mark.django_db

NPS_TH = "คุณมีแนวโน้มจะแนะนำเราให้เพื่อนหรือคนรู้จักมากน้อยแค่ไหน"
NPS_EN = "How likely are you to recommend us to a friend or colleague?"


class Page(HTMLParser):
    """The elements of a page with their attributes, and the text of each button and of the whole page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.button_texts: list[str] = []
        self._in_button = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        if tag == "button":
            self._in_button = True
            self.button_texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._in_button = False

    def handle_data(self, data: str) -> None:
        if self._in_button:
            self.button_texts[-1] += data.strip()

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def score_buttons(self) -> list[dict[str, str]]:
        return [a for a in self.all("button", name="score") if a.get("type") == "submit"]


def page_of(response: Any) -> Page:
    return Page(response.content.decode())


def text_of(response: Any) -> str:
    """The page's text with the tags removed and white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def translated(text: str, language: str) -> str:
    """``text`` as the page shows it in ``language`` (the catalogue's translation, when there is one)."""
    with translation.override(language):
        return gettext(text)


def url(invitation: Invitation, step: str = "") -> str:
    name = {"": "surveys:answer", "why": "surveys:why", "thanks": "surveys:thanks", "stop": "surveys:opt_out"}
    return reverse(name[step], args=[invitation.token])


@pytest.fixture
def thai(website: Any) -> Invitation:
    """An NPS invitation sent to a Thai customer (no conversation: a campaign's)."""
    contact, identity = customer(website, language="th")
    return sent_invitation(contact, "nps", identity=identity)


@pytest.fixture
def english(website: Any) -> Invitation:
    contact, identity = customer(website, name="Jane Miller", language="en",
                                 external_id="visitor-survey-english-aaaaaaaaaa")
    return sent_invitation(contact, "nps", identity=identity)


# ---------------------------------------------------------------- the score screen


def test_the_score_page_asks_in_thai_by_default_with_eleven_buttons_and_the_end_labels(
        client: Client, thai: Invitation) -> None:
    response = client.get(url(thai))

    assert response.status_code == 200
    page = page_of(response)
    assert page.all("html")[0]["lang"] == "th"
    assert response["Content-Language"] == "th"
    assert NPS_TH in text_of(response) and NPS_EN not in text_of(response)
    buttons = page.score_buttons()
    assert [b["value"] for b in buttons] == [str(n) for n in range(11)]
    assert [t for t in page.button_texts if t.isdigit()] == [str(n) for n in range(11)]
    assert all(b["aria-pressed"] == "false" for b in buttons)  # nothing chosen yet
    assert "0 = ไม่แนะนำเลย" in text_of(response) and "10 = แนะนำแน่นอน" in text_of(response)
    # the way to English, in English
    switch = page.all("a", hreflang="en")
    assert len(switch) == 1 and switch[0]["lang"] == "en"


def test_an_english_customer_and_lang_en_get_the_page_in_english(
        client: Client, english: Invitation, thai: Invitation) -> None:
    for response in (client.get(url(english)), client.get(url(thai) + "?lang=en")):
        assert response.status_code == 200
        page = page_of(response)
        assert page.all("html")[0]["lang"] == "en"
        assert NPS_EN in text_of(response) and NPS_TH not in text_of(response)
        assert "0 = Not at all likely" in text_of(response) and "10 = Extremely likely" in text_of(response)
    # and an English customer can switch to Thai
    response = client.get(url(english) + "?lang=th")
    assert page_of(response).all("html")[0]["lang"] == "th" and NPS_TH in text_of(response)


@pytest.mark.parametrize(("kind", "low", "high"), [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)])
def test_each_kind_offers_its_own_scale_and_refuses_a_score_beyond_it(
        client: Client, website: Any, kind: str, low: int, high: int) -> None:
    contact, identity = customer(website)
    invitation = sent_invitation(contact, kind, identity=identity)

    buttons = page_of(client.get(url(invitation))).score_buttons()
    assert [int(b["value"]) for b in buttons] == list(range(low, high + 1))

    for beyond in (low - 1, high + 1):
        response = client.post(url(invitation), {"score": str(beyond)})
        assert response.status_code == 400
    assert not Response.objects.exists()
    assert client.post(url(invitation), {"score": str(high)}).status_code == 302
    assert Response.objects.get().score == high


# ---------------------------------------------------------------- answering


def test_score_then_comment_then_thanks_stores_the_answer_made_on_the_page(client: Client, thai: Invitation) -> None:
    response = client.post(url(thai), {"score": "8"})
    assert response.status_code == 302 and response["Location"] == url(thai, "why")

    why = client.get(response["Location"])
    assert why.status_code == 200
    assert "เหตุผลหลักที่ให้คะแนนนี้คืออะไรคะ" in text_of(why)  # the survey's follow-up question, in Thai
    assert page_of(why).all("textarea", name="comment")

    comment = "ส่งของเร็วมาก พนักงานสุภาพ ประทับใจค่ะ"
    response = client.post(url(thai, "why"), {"comment": comment})
    assert response.status_code == 302 and response["Location"] == url(thai, "thanks")

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "ขอบคุณที่สละเวลาตอบแบบสอบถามค่ะ" in text_of(thanks)
    assert comment in text_of(thanks)

    stored = Response.objects.get()
    assert (stored.invitation_id, stored.kind, stored.score, stored.comment, stored.via) == (
        thai.pk, "nps", 8, comment, "page")
    assert stored.contact_id == thai.contact_id and stored.language == "th"
    assert stored.sentiment == "positive" and {"delivery", "staff"} <= set(stored.topics)
    assert not FollowUp.objects.exists()  # a passive opens no follow-up


def test_the_language_chosen_in_the_address_stays_through_the_steps(client: Client, thai: Invitation) -> None:
    response = client.post(url(thai) + "?lang=en", {"score": "9"})
    assert response["Location"] == url(thai, "why") + "?lang=en"
    assert "What is the main reason for your score?" in text_of(client.get(response["Location"]))
    response = client.post(url(thai, "why") + "?lang=en", {"comment": "Great service"})
    assert response["Location"] == url(thai, "thanks") + "?lang=en"
    thanks = client.get(response["Location"])
    assert page_of(thanks).all("html")[0]["lang"] == "en"
    assert "Thank you for taking the time to answer." in text_of(thanks)


def test_skipping_the_comment_keeps_the_score_and_stores_no_comment(client: Client, thai: Invitation) -> None:
    client.post(url(thai), {"score": "10"})
    response = client.post(url(thai, "why"), {"comment": "ไม่ควรถูกเก็บ", "skip": "1"})
    assert response.status_code == 302 and response["Location"] == url(thai, "thanks")
    stored = Response.objects.get()
    assert (stored.score, stored.comment) == (10, "")


def test_a_second_answer_changes_the_first(client: Client, thai: Invitation) -> None:
    client.post(url(thai), {"score": "4"})
    client.post(url(thai, "why"), {"comment": "รอของนาน"})

    again = client.get(url(thai))
    page = page_of(again)
    assert [b["value"] for b in page.score_buttons() if b["aria-pressed"] == "true"] == ["4"]
    assert translated("You answered already. Choose again to change your answer.", "th") in text_of(again)

    assert client.post(url(thai), {"score": "9"}).status_code == 302
    stored = Response.objects.get()
    assert (stored.score, stored.comment) == (9, "รอของนาน")  # the comment stays until changed
    assert Response.objects.filter(invitation=thai).count() == 1


def test_the_score_in_the_link_is_preselected_but_only_a_post_records_it(client: Client, thai: Invitation) -> None:
    response = client.get(url(thai) + "?score=7")

    assert response.status_code == 200
    pressed = [b["value"] for b in page_of(response).score_buttons() if b["aria-pressed"] == "true"]
    assert pressed == ["7"]
    assert not Response.objects.exists()  # opening a link (a mail scanner, a preview) never answers
    thai.refresh_from_db()
    assert thai.opened_at is not None
    # the other steps do not record on GET either
    assert client.get(url(thai, "why")).status_code == 302  # no score yet: back to the question
    assert client.get(url(thai, "thanks")).status_code == 200
    assert not Response.objects.exists()


@pytest.mark.parametrize("raw", ["11", "-1", "abc", "", "7.5", " 7x", "--5", "²", "9" * 5000])
def test_a_score_that_is_not_on_the_scale_is_refused_with_the_error_shown(
        client: Client, thai: Invitation, raw: str) -> None:
    response = client.post(url(thai), {"score": raw})

    assert response.status_code == 400
    alert = re.search(r'<p class="error" role="alert">([^<]+)</p>', response.content.decode())
    assert alert is not None and "0" in alert.group(1) and "10" in alert.group(1)
    assert len(page_of(response).score_buttons()) == 11  # the question again, to choose
    assert not Response.objects.exists()


@pytest.mark.parametrize("raw", ["99", "abc", "²", "9" * 5000])
def test_a_score_in_the_link_that_is_not_on_the_scale_preselects_nothing(
        client: Client, thai: Invitation, raw: str) -> None:
    response = client.get(url(thai), {"score": raw})
    assert response.status_code == 200
    assert not [b for b in page_of(response).score_buttons() if b["aria-pressed"] == "true"]


@pytest.fixture
def thai_catalogue_with() -> Iterator[Any]:
    """``thai_catalogue_with({msgid: text})``: Thai translations for the test (the catalogue is regenerated
    separately; the survey strings may not be translated yet)."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("th")._catalog
    missing = object()
    saved: dict[str, Any] = {}

    def add(texts: dict[str, str]) -> None:
        for msgid, text in texts.items():
            saved.setdefault(msgid, catalog.get(msgid, missing))
            catalog[msgid] = text

    yield add
    for msgid, before in saved.items():
        if before is missing:
            catalog._catalogs[0].pop(msgid, None)
        else:
            catalog[msgid] = before


def test_the_error_is_in_the_language_of_the_page_not_of_the_site(
        client: Client, english: Invitation, thai: Invitation, settings: Any, thai_catalogue_with: Any) -> None:
    settings.LANGUAGE_CODE = "th"  # the site's language; the customer reads English
    thai_catalogue_with({"Choose a score from %(low)s to %(high)s.": "เลือกคะแนน %(low)s ถึง %(high)s ค่ะ",
                         "Please keep it under %(n)s characters.": "กรุณาเขียนไม่เกิน %(n)s ตัวอักษรค่ะ"})

    response = client.post(url(english), {"score": "42"})
    assert response.status_code == 400
    assert "Choose a score from 0 to 10." in text_of(response) and "เลือกคะแนน" not in text_of(response)
    client.post(url(english), {"score": "5"})
    response = client.post(url(english, "why"), {"comment": "x" * (actions.MAX_COMMENT + 1)})
    assert f"Please keep it under {actions.MAX_COMMENT} characters." in text_of(response)

    response = client.post(url(thai), {"score": "42"})
    assert "เลือกคะแนน 0 ถึง 10 ค่ะ" in text_of(response)


def test_a_comment_over_the_limit_is_refused_and_the_score_kept(client: Client, thai: Invitation) -> None:
    client.post(url(thai), {"score": "6"})
    too_long = "ก" * (actions.MAX_COMMENT + 1)

    response = client.post(url(thai, "why"), {"comment": too_long})

    assert response.status_code == 400
    alert = re.search(r'<p class="error" role="alert">([^<]+)</p>', response.content.decode())
    assert alert is not None and str(actions.MAX_COMMENT) in alert.group(1).replace(",", "")
    assert page_of(response).all("textarea", name="comment")[0]["maxlength"] == str(actions.MAX_COMMENT)
    stored = Response.objects.get()
    assert (stored.score, stored.comment) == (6, "")


def test_a_comment_at_the_limit_with_line_breaks_as_a_browser_sends_them_is_accepted(
        client: Client, thai: Invitation) -> None:
    # the textarea allows MAX_COMMENT characters counting a line break as one; the form sends it as CR LF
    lines = ["ก" * 199] * 10
    typed = "\n".join(lines)
    typed += "ข" * (actions.MAX_COMMENT - len(typed))
    assert len(typed) == actions.MAX_COMMENT
    client.post(url(thai), {"score": "6"})

    response = client.post(url(thai, "why"), {"comment": typed.replace("\n", "\r\n")})

    assert response.status_code == 302
    assert Response.objects.get().comment == typed


def test_a_browser_that_sends_no_referrer_can_answer(thai: Invitation) -> None:
    """The pages ask for no Referer (the token must not leak), so browsers post their forms with "Origin: null"
    over HTTP and without a Referer over HTTPS: the answer is taken all the same, the token being the
    credential. No cookie is set either."""
    browser = Client(enforce_csrf_checks=True)
    assert not browser.get(url(thai)).cookies

    assert browser.post(url(thai), {"score": "9"}, HTTP_ORIGIN="null").status_code == 302
    assert browser.post(url(thai, "why"), {"comment": "ดีมากค่ะ"}, secure=True).status_code == 302

    stored = Response.objects.get()
    assert (stored.score, stored.comment) == (9, "ดีมากค่ะ")


# ---------------------------------------------------------------- links that cannot be answered


def test_an_unknown_link_gets_a_friendly_404_without_the_token(client: Client, thai: Invitation) -> None:
    token = "NoSuchToken-" + "x" * 20
    for address in (f"/s/{token}/", f"/s/{token}/why/", f"/s/{token}/thanks/", f"/s/{token}/stop/"):
        response = client.get(address)
        assert response.status_code == 404, address
        body = response.content.decode()
        assert translated("We could not find this survey", "th") in body
        assert token not in body and "Traceback" not in body
        assert page_of(response).all("html")[0]["lang"] == "th"
    assert client.post(f"/s/{token}/", {"score": "5"}).status_code == 404
    assert not Response.objects.exists()


def test_an_expired_link_gets_a_friendly_410_and_answers_nothing(client: Client, website: Any) -> None:
    contact, identity = customer(website, language="en")
    invitation = sent_invitation(contact, "nps", identity=identity)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    for response in (client.get(url(invitation)), client.post(url(invitation), {"score": "3"}),
                     client.post(url(invitation, "why"), {"comment": "late"})):
        assert response.status_code == 410
        assert "This survey has closed" in text_of(response)  # in the customer's language (English)
    assert not Response.objects.exists() and not FollowUp.objects.exists()


def test_the_link_of_an_invitation_not_sent_yet_is_unknown(client: Client, website: Any) -> None:
    contact, identity = customer(website)
    scheduled = sent_invitation(contact, "nps", identity=identity, status=Invitation.Status.SCHEDULED)

    for step in ("", "why", "thanks", "stop"):
        assert client.get(url(scheduled, step)).status_code == 404
    assert client.post(url(scheduled), {"score": "9"}).status_code == 404
    assert not Response.objects.exists()


def test_too_many_requests_from_one_address_get_429_and_other_addresses_are_served(
        client: Client, thai: Invitation, monkeypatch: pytest.MonkeyPatch) -> None:
    from django_ratelimit import core

    # the limit counts in fixed windows: pin its clock so a window cannot end half-way through the test
    frozen = core.time.time()
    monkeypatch.setattr(core, "time", SimpleNamespace(time=lambda: frozen))
    allowed = int(views.RATE.split("/")[0])

    statuses = [client.get(url(thai), REMOTE_ADDR="203.0.113.7").status_code for _ in range(allowed)]
    assert statuses == [200] * allowed
    limited = client.post(url(thai), {"score": "9"}, REMOTE_ADDR="203.0.113.7")

    assert limited.status_code == 429
    assert translated("Please wait a moment", "th") in limited.content.decode()
    assert "no-cache" in limited["Cache-Control"]
    assert not Response.objects.exists()
    assert client.get(url(thai, "stop"), REMOTE_ADDR="203.0.113.7").status_code == 429
    assert client.get(url(thai), REMOTE_ADDR="198.51.100.20").status_code == 200


# ---------------------------------------------------------------- opting out


def test_opting_out_without_a_csrf_token_works_and_later_invitations_are_skipped(thai: Invitation) -> None:
    browserless = Client(enforce_csrf_checks=True)  # a mail program's one-click unsubscribe: no cookie, no token
    page = browserless.get(url(thai, "stop"))
    assert page.status_code == 200
    assert not Consent.objects.exists()  # showing the question records nothing

    response = browserless.post(url(thai, "stop"), {"agree": "0"})

    assert response.status_code == 200
    assert translated("You will not receive surveys from us any more.", "th") in response.content.decode()
    consent = Consent.objects.get()
    assert (consent.contact_id, consent.purpose, consent.granted, consent.source) == (
        thai.contact_id, "surveys", False, "survey_page")

    later = sent_invitation(thai.contact, "csat", status=Invitation.Status.SCHEDULED)
    actions.deliver(invitation_id=later.pk)
    later.refresh_from_db()
    assert (later.status, later.skip_reason) == ("skipped", "opted_out")


def test_opting_back_in(thai: Invitation) -> None:
    browserless = Client(enforce_csrf_checks=True)
    browserless.post(url(thai, "stop"), {"agree": "0"})

    response = browserless.post(url(thai, "stop"), {"agree": "1"})

    assert response.status_code == 200
    assert translated("Thank you. We may ask for your feedback again.", "th") in response.content.decode()
    assert consents(thai.contact_id, "surveys") is True
    assert list(Consent.objects.order_by("id").values_list("granted", "source")) == [
        (False, "survey_page"), (True, "survey_page")]
    later = sent_invitation(thai.contact, "csat", status=Invitation.Status.SCHEDULED)
    actions.deliver(invitation_id=later.pk)
    later.refresh_from_db()
    assert later.skip_reason != "opted_out"


def test_opting_out_still_works_after_the_survey_closed(client: Client, thai: Invitation) -> None:
    Invitation.objects.filter(pk=thai.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert client.post(url(thai, "stop"), {"agree": "0"}).status_code == 200
    assert consents(thai.contact_id, "surveys") is False


# ---------------------------------------------------------------- the closed loop


def test_a_detractor_opens_one_follow_up_for_the_service_team_and_later_comments_add_notes(
        client: Client, thai: Invitation, team: Any, agent: Any) -> None:
    assert team.kind == "service"

    client.post(url(thai), {"score": "3"})

    follow_up = FollowUp.objects.select_related("conversation").get()
    conversation = follow_up.conversation
    assert follow_up.response.score == 3 and follow_up.team_id == team.pk
    assert (conversation.team_id, conversation.status, conversation.contact_id, conversation.identity_id) == (
        team.pk, Conversation.Status.OPEN, thai.contact_id, thai.identity_id)
    assert conversation.handover["kind"] == "follow_up"
    in_queue = queue_conversations(agent, QueueFilter(queue=f"team:{team.pk}", status="open"))
    assert list(in_queue.values_list("pk", flat=True)) == [conversation.pk]

    def notes() -> list[str]:
        return list(Message.objects.filter(conversation=conversation, is_private=True).order_by("id")
                    .values_list("text", flat=True))

    assert len(notes()) == 1 and re.search(r"\b3\b", notes()[0]) and "0–10" in notes()[0]

    client.post(url(thai, "why"), {"comment": "ของมาช้ามาก กล่องบุบด้วย"})
    assert FollowUp.objects.count() == 1
    assert len(notes()) == 2 and "ของมาช้ามาก กล่องบุบด้วย" in notes()[1]

    client.post(url(thai), {"score": "2"})  # changed again: still the same follow-up
    client.post(url(thai, "why"), {"comment": "ยังไม่ได้รับการติดต่อกลับเลย"})
    assert FollowUp.objects.count() == 1
    assert Conversation.objects.filter(contact_id=thai.contact_id).count() == 1
    assert len(notes()) == 3 and "ยังไม่ได้รับการติดต่อกลับเลย" in notes()[2]
    everything = "\n".join(notes())
    assert re.search(r"\b3\b", everything) and "ของมาช้ามาก" in everything


def test_a_happy_score_opens_no_follow_up(client: Client, thai: Invitation, team: Any) -> None:
    client.post(url(thai), {"score": "7"})
    client.post(url(thai, "why"), {"comment": "โอเคค่ะ"})
    assert not FollowUp.objects.exists()
    assert not Conversation.objects.filter(contact_id=thai.contact_id).exists()


def test_an_unhappy_csat_about_a_conversation_follows_up_there(client: Client, conversation: Any,
                                                              team: Any) -> None:
    invitation = sent_invitation(conversation.contact, "csat", conversation=conversation)

    assert client.post(url(invitation), {"score": "1"}).status_code == 302

    follow_up = FollowUp.objects.get()
    assert follow_up.about_id == conversation.pk and follow_up.response.conversation_id == conversation.pk
    assert follow_up.conversation.handover["kind"] == "follow_up"
    assert follow_up.conversation.team_id == team.pk


# ---------------------------------------------------------------- every page


@pytest.fixture
def every_page(client: Client, thai: Invitation, website: Any) -> dict[str, Any]:
    """One response of each kind of survey page."""
    pages = {"score": client.get(url(thai)), "score-error": client.post(url(thai), {"score": "x"})}
    client.post(url(thai), {"score": "9"})
    pages["why"] = client.get(url(thai, "why"))
    pages["why-error"] = client.post(url(thai, "why"), {"comment": "x" * (actions.MAX_COMMENT + 1)})
    pages["thanks"] = client.get(url(thai, "thanks"))
    pages["stop"] = client.get(url(thai, "stop"))
    pages["stopped"] = client.post(url(thai, "stop"), {"agree": "0"})
    pages["unknown"] = client.get("/s/unknown-token/")
    contact, identity = customer(website, external_id="visitor-survey-expired-aaaaaaaa")
    expired = sent_invitation(contact, "ces", identity=identity, expires_in=timedelta(seconds=-1))
    pages["expired"] = client.get(url(expired))
    return pages


def test_every_page_works_without_javascript_suits_a_phone_and_leaves_no_trace(
        every_page: dict[str, Any]) -> None:
    expected = {"score": 200, "score-error": 400, "why": 200, "why-error": 400, "thanks": 200, "stop": 200,
                "stopped": 200, "unknown": 404, "expired": 410}
    assert {name: r.status_code for name, r in every_page.items()} == expected
    for name, response in every_page.items():
        body = response.content.decode().lower()
        page = page_of(response)
        assert "<script" not in body, name
        assert not [k for _, attrs in page.elements for k in attrs if k.startswith("on")], name  # no handlers
        assert any("width=device-width" in m.get("content", "") for m in page.all("meta", name="viewport")), name
        assert response["Referrer-Policy"] == "no-referrer", name
        cache = response["Cache-Control"]
        assert "no-cache" in cache and "no-store" in cache and "max-age=0" in cache, name
        assert "noindex" in page.all("meta", name="robots")[0]["content"], name
        assert not response.cookies, name  # nothing kept on the customer's device


def test_the_forms_post_to_the_page_itself_with_real_buttons(every_page: dict[str, Any]) -> None:
    for name in ("score", "why", "stop"):
        page = page_of(every_page[name])
        forms = page.all("form")
        assert forms and all(f["method"] == "post" for f in forms), name
        assert all(b.get("type") == "submit" for b in page.all("button")), name
    why = page_of(every_page["why"])
    assert [b.get("name", "") for b in why.all("button")] == ["", "skip"]  # Send, then Skip
