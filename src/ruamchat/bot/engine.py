"""What the chatbot does with a customer's message: a decision, made without writing anything.

The order of the questions it asks:

1. a button the bot offered was pressed (``bot:yes``, ``bot:no``, ``bot:pick:<article>``, ``bot:none``,
   ``bot:human``): do what it says;
2. the message is urgent (a safety, fraud or legal matter), angry, or asks for a person — by the triage
   engine's keywords, matched on segmented words with negation: hand off;
3. a short "yes" / "no" / "thanks" / "2" after the bot asked something: resolve, hand off, or answer the
   chosen article;
4. only a greeting ("สวัสดีค่ะ", "hi"): greet and ask what the customer needs;
5. otherwise search the public knowledge base in the customer's language. Confidence is the best article's
   score as a share of the most the question could score (every word of it, in the title, many times):
   below the channel's threshold the bot hands off; when other articles score close to the best one it
   offers up to three as choices; else it answers.

Short replies are recognised on the words of the segmented message (PyThaiNLP newmm through the triage
engine), never by substring: "ไม่" inside "ไม่ค่อยเข้าใจเรื่องผ่อน" is a new question, not a "no".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamchat.core.text import normalise

#: a second article scoring at least this share of the best one's score is a close candidate
CLOSE = 0.8
#: the most articles offered as choices
MAX_CHOICES = 3

ANSWER, CHOICES, HANDOFF, RESOLVE, GREET, NOTHING = "answer", "choices", "handoff", "resolve", "greet", "nothing"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Politeness and filler that never change what a short reply means.
FILLER = _words("""
ครับ ครับผม คับ ค่ะ คะ ค่า คร้า ค้า ค่ะๆ จ้า จ้ะ จ๊ะ นะ นะคะ นะครับ ฮะ ฮับ งับ เลย แล้ว ก็ จ้ะ ด้วย มากๆ มาก
แอดมิน แอด admin ad please pls plz thx so very much it that this one the a 555 5555 55555 ๆ
""")
YES = _words("""
ใช่ ช่าย ชัย ใช่แล้ว ถูก ถูกต้อง ได้ ได้แล้ว โอเค โอเคร โอเค้ ตอบ ตรง ครบ เข้าใจ ชัดเจน หายสงสัย เคลียร์
ขอบคุณ ขอบคุน ขอบใจ แต๊งกิ้ว เรียบร้อย ดี ดีมาก เยี่ยม ช่วย ช่วยได้ 👍 🙏 ❤️ 😊
yes yeah yep yup ok okay k sure right correct thanks thank you ty great perfect helpful helped did got answered
""")
# a "yes" needs one of these (filler such as "ได้" alone is not an answer)
YES_CORE = _words("""
ใช่ ช่าย ชัย ใช่แล้ว ถูกต้อง ได้แล้ว โอเค โอเคร โอเค้ ตรง ครบ เข้าใจ ชัดเจน หายสงสัย เคลียร์ ขอบคุณ ขอบคุน ขอบใจ
แต๊งกิ้ว เรียบร้อย ดีมาก เยี่ยม ช่วยได้ 👍
yes yeah yep yup ok okay sure correct thanks thank ty great perfect helpful helped
""")
NO = _words("""
ไม่ ไม่ใช่ ไม่ได้ ไม่ตรง ยังไม่ ยังไม่ได้ ยัง ไม่ค่อย ไม่เลย ไม่ช่วย ช่วย ตอบ คำตอบ คำถาม ที่ ถาม ได้ เข้าใจ
ไม่เข้าใจ ผิด
no nope nah not didn't doesn't don't wrong really help helpful answer question my it did that
""")
NO_CORE = _words("""
ไม่ ไม่ใช่ ไม่ได้ ไม่ตรง ยังไม่ ยังไม่ได้ ไม่ค่อย ไม่เลย ไม่ช่วย ไม่เข้าใจ ผิด no nope nah not didn't doesn't wrong
""")
GREETINGS = _words("""
สวัสดี หวัดดี ดีจ้า ดีค่ะ ดีครับ ฮัลโหล ฮาโหล สอบถาม ขอ สอบถามหน่อย หน่อย เรื่อง มี ค่ะ อยาก ถาม ต้องการ
hello hi hey hiya good morning afternoon evening question ask have i a there
""")
GREETING_CORE = _words("สวัสดี หวัดดี ดีจ้า ฮัลโหล ฮาโหล hello hi hey hiya morning afternoon evening")
THANKS_CORE = _words("ขอบคุณ ขอบคุน ขอบใจ แต๊งกิ้ว thanks thank ty")
NUMBERS = {"1": 0, "2": 1, "3": 2, "๑": 0, "๒": 1, "๓": 2, "one": 0, "two": 1, "three": 2, "แรก": 0, "หนึ่ง": 0,
           "สอง": 1, "สาม": 2, "first": 0, "second": 1, "third": 2}
CHOICE_FILLER = _words("ข้อ อัน เรื่อง ที่ ลำดับ เบอร์ number no option choice #")

_SYMBOLS = re.compile(r"^[\W_]+$")


@dataclass(frozen=True)
class Candidate:
    """An article the bot may offer."""

    article_id: int
    title: str
    snippet: str  # plain text, no markup
    score: float
    confidence: float  # 0..1: the search score as a share of the most the question could score
    article: Any = None


@dataclass(frozen=True)
class Signals:
    """What the triage engine read in the message."""

    urgent: bool = False
    angry: bool = False
    wants_person: bool = False


@dataclass(frozen=True)
class Decision:
    action: str  # answer | choices | handoff | resolve | greet | nothing
    reason: str = ""  # for a hand-off: a BotConversation.Reason value; for resolve: an outcome
    candidates: tuple[Candidate, ...] = ()
    confidence: float = 0.0
    #: the customer's answer to "did it help?": True / False, or None when the message did not say
    helped: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def words(text: str, tokenize: Callable[[str], list[str]]) -> list[str]:
    """The message's words, lower-cased, without punctuation, symbols or spaces."""
    out = []
    for token in tokenize(normalise(text).lower()):
        token = token.strip()
        if not token or (_SYMBOLS.match(token) and token not in YES_CORE and not _is_emoji(token)):
            continue
        out.append(token)
    return out


def _is_emoji(token: str) -> bool:
    return all(unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") for ch in token)


def _only(tokens: Sequence[str], allowed: frozenset[str], core: frozenset[str]) -> bool:
    return bool(tokens) and all(t in allowed or t in FILLER for t in tokens) and any(t in core for t in tokens)


# two words that mean one thing in a short reply ("ได้" alone is not a yes; "ได้แล้ว" is)
PHRASES = {("ได้", "แล้ว"): "ได้แล้ว", ("ไม่", "ใช่"): "ไม่ใช่", ("ไม่", "ตรง"): "ไม่ตรง", ("ไม่", "ได้"): "ไม่ได้",
           ("ไม่", "ช่วย"): "ไม่ช่วย", ("thank", "you"): "thanks", ("not", "really"): "not"}


def _phrases(tokens: Sequence[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        joined = PHRASES.get((out[-1], token)) if out else None
        if joined:
            out[-1] = joined
        else:
            out.append(token)
    return out


def short_reply(tokens: Sequence[str]) -> str:
    """"yes", "no", "thanks", "greeting" or "" for a short reply made only of such words."""
    tokens = _phrases(tokens)
    if not tokens or len(tokens) > 8:
        return ""
    if _only(tokens, NO, NO_CORE):
        return "no"
    if _only(tokens, YES, YES_CORE):
        return "thanks" if any(t in THANKS_CORE for t in tokens) else "yes"
    if _only(tokens, GREETINGS, GREETING_CORE):
        return "greeting"
    return ""


def choice_number(tokens: Sequence[str]) -> int | None:
    """0, 1 or 2 for "1", "ข้อ 2", "อันที่สาม", "the first one"; None otherwise."""
    numbers = [NUMBERS[t] for t in tokens if t in NUMBERS]
    if len(numbers) > 1 and "one" in tokens:  # "the second one"
        numbers = [NUMBERS[t] for t in tokens if t in NUMBERS and t != "one"]
    rest = [t for t in tokens if t not in NUMBERS and t not in CHOICE_FILLER and t not in FILLER]
    if len(numbers) == 1 and not rest:
        return numbers[0]
    return None


def parse_postback(data: str) -> tuple[str, str]:
    """("yes" | "no" | "pick" | "none" | "human", argument) for the bot's own button data, else ("", "")."""
    if not data.startswith("bot:"):
        return "", ""
    _prefix, _sep, rest = data.partition(":")
    kind, _sep, argument = rest.partition(":")
    if kind in ("yes", "no", "none", "human") or (kind == "pick" and argument.isdigit()):
        return kind, argument
    return "", ""


def decide(
    *,
    text: str,
    postback: str,
    awaiting: str,
    choices: Sequence[int],
    threshold: float,
    signals: Signals,
    tokenize: Callable[[str], list[str]],
    search: Callable[[str], list[Candidate]],
    pick: Callable[[int], Candidate | None],
) -> Decision:
    """The bot's decision for one customer message (``text``: what the customer wrote since the bot last spoke).

    ``search(query)`` returns the knowledge base's best public articles in the customer's language, best first;
    ``pick(article_id)`` finds one article the bot offered. Nothing is written here."""
    kind, argument = parse_postback(postback or "")
    if kind == "yes":
        return Decision(RESOLVE, reason="confirmed", helped=True)
    if kind in ("no", "none"):
        return Decision(HANDOFF, reason="declined", helped=False)
    if kind == "human":
        return Decision(HANDOFF, reason="person")
    if kind == "pick":
        chosen = pick(int(argument))
        if chosen is not None:
            return Decision(ANSWER, candidates=(chosen,), confidence=1.0)

    if signals.urgent:
        return Decision(HANDOFF, reason="urgent")
    if signals.angry:
        return Decision(HANDOFF, reason="angry")
    if signals.wants_person:
        return Decision(HANDOFF, reason="person")

    tokens = words(text, tokenize)
    reply = short_reply(tokens)
    if awaiting == "choice":
        number = choice_number(tokens)
        if number is not None and number < len(choices):
            chosen = pick(choices[number])
            if chosen is not None:
                return Decision(ANSWER, candidates=(chosen,), confidence=1.0)
    if awaiting == "feedback" and reply in ("yes", "thanks"):
        return Decision(RESOLVE, reason="confirmed", helped=True)
    if awaiting in ("feedback", "choice") and reply == "no":
        return Decision(HANDOFF, reason="declined", helped=False)
    if reply == "greeting":
        return Decision(GREET)
    if reply in ("yes", "thanks", "no"):
        return Decision(NOTHING)  # "ok" / "ขอบคุณ" with nothing asked: no answer needed
    if not tokens:
        return Decision(NOTHING)

    hits = search(text)
    if not hits or hits[0].confidence < threshold:
        return Decision(HANDOFF, reason="low_confidence", candidates=tuple(hits[:MAX_CHOICES]),
                        confidence=hits[0].confidence if hits else 0.0)
    best = hits[0]
    close = [hit for hit in hits[:MAX_CHOICES] if hit.confidence >= threshold and hit.score >= CLOSE * best.score]
    if len(close) >= 2:
        return Decision(CHOICES, candidates=tuple(close), confidence=best.confidence)
    return Decision(ANSWER, candidates=(best,), confidence=best.confidence)
