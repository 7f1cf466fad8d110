"""Topics of a survey comment, from keyword lists admins edit ("delivery": ส่งช้า, ขนส่ง, courier …).

No database: ``TopicMatcher(rules).match(text)`` is pure; build one matcher per set of rules and keep it.

Matching is on tokens, never on substrings. Text and keywords are read alike: normalised
(``core.text.normalise``: lower case, Thai normalised, "ช้าาาา" → "ช้า"), Thai segmented with the triage
engine's tokenizer (PyThaiNLP newmm over the default dictionary) with every Thai keyword added to the
dictionary, so "ค่าส่ง" or "คืนเงิน" is one token; English words lower-cased and lightly stemmed with the
triage engine's stemmer ("ship" matches "shipping" and "shipped"). Punctuation is left out. A keyword of
several tokens ("credit card", "ส่ง ช้า") matches the same tokens in a row. So "ส่ง" does not match
"ค่าส่ง" when "ค่าส่ง" is a keyword of any rule of the matcher: the text then has the token "ค่าส่ง", not
"ส่ง".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pythainlp.tokenize.newmm import segment

from ruamchat.core.text import normalise
from ruamchat.triage.engine import KeywordTrie, _is_punctuation, _pieces, _stem

MAX_KEYWORDS = 200
MAX_KEYWORD_LENGTH = 100
_SEPARATORS = re.compile(r"[\n\r,，、;]+")


@dataclass(frozen=True)
class TopicRule:
    key: str
    keywords: tuple[str, ...]


def parse_keywords(text: str) -> tuple[str, ...]:
    """Keywords as an admin types them: one a line or comma-separated; trimmed (inner runs of spaces made
    one), empty ones dropped, duplicates (ignoring case) dropped, at most ``MAX_KEYWORDS`` kept."""
    keywords: list[str] = []
    seen: set[str] = set()
    for part in _SEPARATORS.split(text or ""):
        keyword = " ".join(part.split())[:MAX_KEYWORD_LENGTH].strip()
        if not keyword or keyword.casefold() in seen:
            continue
        seen.add(keyword.casefold())
        keywords.append(keyword)
        if len(keywords) == MAX_KEYWORDS:
            break
    return tuple(keywords)


class TopicMatcher:
    """Tags a comment with the keys of the rules one of whose keywords it contains, in rule order."""

    def __init__(self, rules: Iterable[TopicRule]) -> None:
        self.rules = tuple(rules)
        thai = {
            piece
            for rule in self.rules
            for keyword in rule.keywords
            for kind, piece in _pieces(normalise(keyword))
            if kind == "thai"
        }
        self._trie = KeywordTrie(thai)
        # first token of a keyword → (its tokens, rule position)
        self._index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for position, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                keys = tuple(self.keys(keyword))
                if keys and (keys, position) not in self._index.get(keys[0], []):
                    self._index.setdefault(keys[0], []).append((keys, position))

    def keys(self, text: str) -> list[str]:
        """The tokens matched on: Thai segmented with the keywords, English stemmed, punctuation and
        whitespace left out."""
        out: list[str] = []
        for kind, piece in _pieces(normalise(text or "")):
            if kind == "space":
                continue
            if kind == "thai":
                out.extend(segment(piece, self._trie))
            elif kind == "word":
                out.append(_stem(piece))
            elif not _is_punctuation(piece) and not piece.isspace():
                out.append(piece)
        return out

    def match(self, text: str) -> list[str]:
        tokens = self.keys(text)
        found: set[int] = set()
        for start, token in enumerate(tokens):
            for keys, position in self._index.get(token, ()):
                if position not in found and tuple(tokens[start : start + len(keys)]) == keys:
                    found.add(position)
        matched: list[str] = []
        for position in sorted(found):
            if self.rules[position].key not in matched:
                matched.append(self.rules[position].key)
        return matched


def rules_from(topics: Iterable[dict]) -> list[TopicRule]:
    """``TopicRule``s from dicts with "key" and "keywords" (a list, or text for ``parse_keywords``)."""
    rules = []
    for topic in topics:
        keywords = topic.get("keywords") or ()
        if isinstance(keywords, str):
            keywords = parse_keywords(keywords)
        rules.append(TopicRule(key=str(topic["key"]), keywords=tuple(keywords)))
    return rules


# The demo shop's topics. Names are data shown as written (admins rename them), not gettext strings.
DEFAULT_TOPICS: list[dict] = [
    {
        "key": "delivery",
        "name_th": "การจัดส่ง",
        "name_en": "Delivery",
        "keywords": [
            "ส่งของ", "ส่งช้า", "ส่งไว", "ส่งเร็ว", "ส่งผิด", "ส่งฟรี", "จัดส่ง", "ขนส่ง", "พัสดุ", "เลขพัสดุ",
            "ได้รับของ", "ได้ของ", "ของถึง", "ของมา", "มาถึง", "กล่อง", "แพ็ค", "แพ็คของ", "ห่อ", "ที่อยู่",
            "ค่าส่ง", "Kerry", "Flash", "ไปรษณีย์", "ไรเดอร์", "คนส่งของ", "รอของ",
            "delivery", "deliver", "shipping", "ship", "courier", "parcel", "package", "tracking",
            "arrive", "box", "address", "shipping fee", "Thailand Post",
        ],
    },
    {
        "key": "staff",
        "name_th": "พนักงาน",
        "name_en": "Staff",
        "keywords": [
            "พนักงาน", "แอดมิน", "เจ้าหน้าที่", "เซลล์", "พนักงานขาย", "คอลเซ็นเตอร์", "คนตอบ", "พูดจา",
            "มารยาท", "สุภาพ", "หยาบคาย",
            "staff", "agent", "admin", "employee", "representative", "customer service", "support team",
            "operator", "salesperson", "rude", "polite", "impolite", "friendly",
        ],
    },
    {
        "key": "response_time",
        "name_th": "ความเร็วในการตอบ",
        "name_en": "Response time",
        "keywords": [
            "ตอบช้า", "ตอบเร็ว", "ตอบไว", "ตอบนาน", "ตอบกลับ", "รอนาน", "รอสาย", "รอตอบ", "ไม่ตอบ", "ไม่ได้ตอบ",
            "ไม่มีใครตอบ", "อ่านไม่ตอบ", "ตอบแชท", "รอคิว", "ต้องรอ",
            "reply", "response", "respond", "wait", "on hold", "took long", "took forever", "nobody answer",
            "no answer", "no one answer",
        ],
    },
    {
        "key": "product",
        "name_th": "คุณภาพสินค้า",
        "name_en": "Product quality",
        "keywords": [
            "สินค้า", "คุณภาพ", "ชำรุด", "พัง", "เครื่อง", "เครื่องเสีย", "ไม่ทำงาน", "ใช้ไม่ได้", "ตรงปก",
            "ของแท้", "ของปลอม", "รอยขีดข่วน", "สนิม", "ประกัน", "รับประกัน", "แบต", "จอ", "ผิดรุ่น", "ผิดสี",
            "ผิดไซส์", "หูฟัง", "ตู้เย็น", "พัดลม", "หม้อทอด", "โทรศัพท์", "มือถือ", "ทีวี", "โน้ตบุ๊ก",
            "หม้อหุงข้าว", "กาต้มน้ำ",
            "product", "item", "quality", "broken", "damaged", "faulty", "defective", "stopped working",
            "battery", "kettle", "fan", "headphones", "phone", "wrong color",
            "wrong colour", "wrong size", "out of stock", "warranty",
        ],
    },
    {
        "key": "price",
        "name_th": "ราคา",
        "name_en": "Price",
        "keywords": [
            "ราคา", "แพง", "ค่าส่ง", "ส่งฟรี", "ส่วนลด", "โค้ด", "โค้ดส่วนลด", "โปร", "โปรโมชั่น", "คุ้ม",
            "คุ้มค่า", "คุ้มราคา", "ลดราคา",
            "price", "expensive", "cheap", "cost", "fee", "discount", "promo", "promotion", "coupon",
            "overpriced", "pricey", "value for money", "worth",
        ],
    },
    {
        "key": "refund",
        "name_th": "คืนเงินและคืนสินค้า",
        "name_en": "Refunds and returns",
        "keywords": [
            "คืนเงิน", "เงินคืน", "ขอคืน", "ได้คืน", "คืนสินค้า", "คืนของ", "ส่งคืน", "เปลี่ยนสินค้า",
            "เปลี่ยนของ", "ขอเปลี่ยน", "เปลี่ยนให้", "เคลม", "รีฟันด์",
            "refund", "return", "exchange", "replacement", "money back", "send back",
        ],
    },
    {
        "key": "website",
        "name_th": "เว็บไซต์และแอป",
        "name_en": "Website and app",
        "keywords": [
            "เว็บ", "เว็บไซต์", "หน้าเว็บ", "แอป", "แอพ", "แอปพลิเคชัน", "ระบบ", "ล็อกอิน", "เข้าสู่ระบบ",
            "ตะกร้า", "กดสั่งซื้อ",
            "website", "site", "app", "application", "checkout", "login", "log in", "page", "browser",
        ],
    },
    {
        "key": "payment",
        "name_th": "การชำระเงิน",
        "name_en": "Payment",
        "keywords": [
            "จ่ายเงิน", "ชำระเงิน", "ชำระ", "โอนเงิน", "บัตรเครดิต", "ผ่อน", "ผ่อนบัตร", "พร้อมเพย์",
            "เก็บเงินปลายทาง", "ตัดเงิน", "ใบกำกับภาษี", "ใบเสร็จ", "คิวอาร์", "จ่ายผ่าน",
            "payment", "pay", "card", "credit card", "charge", "installment", "invoice", "receipt", "PromptPay",
            "bank transfer", "cash on delivery",
        ],
    },
]


def default_rules() -> list[TopicRule]:
    return rules_from(DEFAULT_TOPICS)


__all__ = [
    "DEFAULT_TOPICS", "MAX_KEYWORDS", "TopicMatcher", "TopicRule", "default_rules", "parse_keywords", "rules_from",
]
