"""Knowledge-base search at scale: how fast articles are indexed, how big the index is, and how fast the help
center's search answers, on SQLite and PostgreSQL.

    python benchmarks/kb_search.py --db sqlite,postgres --articles 50000 --queries 400

Goal (issue 7): search p95 <= 20 ms at 50k articles.

Each database runs in a child process with a database of its own (SQLite in a temp dir; a fresh
``ruamchat_bench_kb`` on the test PostgreSQL from ``scripts/services start``), dropped at the end unless
``--keep``. Set-up (not timed): ~30 categories (``kb.actions.save_category``) and N published articles,
half Thai, half English (``Article.objects.bulk_create``), generated from a seed: Thai sentences of real
shop and customer-service words (a hand list plus the most frequent words of the Thai National Corpus in
PyThaiNLP's dictionary) written as Thai is written, words joined, sentences separated by spaces; English
sentences from a word list; Zipf-like word frequencies; titles of 4-10 words, bodies of 80-300 words in
Markdown, some with a heading and a list; 5% of the articles agent-only.

Timed:
- **index**: ``index.index_articles(ids, analyzer)`` for every article, 5,000 per call (batches of 200 per
  transaction: what ``ruamchat kb reindex`` and an import do), then 500 of them again one at a time with
  ``index.index_article`` (what the ``kb.index_article`` job does after an edit); the index size afterwards
  (SQLite: the FTS5 tables, ``kb_searchdocument`` and ``kb_searchterm`` with their indexes, from ``dbstat``;
  PostgreSQL: ``pg_total_relation_size`` of ``kb_searchdocument``, GIN index and TOAST included, and of
  ``kb_searchterm``, after ``VACUUM ANALYZE``);
- **search**: ``engine.search(q, languages=..., internal=False, limit=10)`` - the help center's call - for a
  fixed set of queries (Thai and English, 1-4 words, some Thai typed without tone marks, some with two letters
  swapped, some matching nothing; half searching both languages, half the query's own), after a warm-up pass
  over another set of the same kind. A second pass times the phases of ``engine.search``.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

try:
    from benchmarks.common import machine
except ImportError:  # run as a script from benchmarks/
    from common import machine  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("RUAMCHAT_TEST_POSTGRES_URL", "postgres://ruamchat@127.0.0.1:55432/ruamchat")
PG_DATABASE = "ruamchat_bench_kb"
RESULT_PREFIX = "BENCH-RESULT "
GOAL_P95_MS = 20.0

# -- the words --------------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return text.split()


THAI_DOMAIN = _words("""
สั่งซื้อ คำสั่งซื้อ สินค้า ชำระเงิน ผ่อน ผ่อนชำระ บัตรเครดิต บัตรเดบิต โอนเงิน พร้อมเพย์ เก็บเงินปลายทาง คืนเงิน
คืนสินค้า เปลี่ยนสินค้า ประกัน รับประกัน ศูนย์บริการ ซ่อม จัดส่ง ค่าจัดส่ง พัสดุ เลขพัสดุ ติดตาม ขนส่ง ไปรษณีย์
ที่อยู่ ใบกำกับภาษี ใบเสร็จ ส่วนลด คูปอง โค้ด โปรโมชั่น แต้ม สมาชิก บัญชี รหัสผ่าน เข้าสู่ระบบ สมัคร อีเมล เบอร์โทร
แอป เว็บไซต์ ตะกร้า ยกเลิก สถานะ ล่าช้า ชำรุด เสียหาย แตก กล่อง บรรจุภัณฑ์ หูฟัง ลำโพง โทรศัพท์ มือถือ แท็บเล็ต
โน้ตบุ๊ก คอมพิวเตอร์ จอ เมาส์ คีย์บอร์ด สายชาร์จ ที่ชาร์จ แบตเตอรี่ พาวเวอร์แบงก์ นาฬิกา กล้อง ทีวี ตู้เย็น
เครื่องซักผ้า แอร์ พัดลม ไมโครเวฟ หม้อหุงข้าว กาต้มน้ำ เตารีด เครื่องดูดฝุ่น เครื่องฟอกอากาศ หม้อทอด ไดร์เป่าผม
ปลั๊ก ปลั๊กพ่วง หลอดไฟ เราเตอร์ ไวไฟ บลูทูธ รีโมท คู่มือ ติดตั้ง ช่าง นัดหมาย หน้าร้าน สาขา เวลาทำการ วันหยุด แชท
ไลน์ เจ้าหน้าที่ ลูกค้า พนักงาน โทร ติดต่อ ร้องเรียน ปัญหา วิธี ขั้นตอน เงื่อนไข นโยบาย ความเป็นส่วนตัว ข้อมูล
ยืนยัน ตรวจสอบ อัปเดต ซอฟต์แวร์ เฟิร์มแวร์ รุ่น สี ขนาด น้ำหนัก ราคา ภาษี ดอกเบี้ย งวด เดือน สัปดาห์ ชั่วโมง
ธนาคาร กสิกร ไทยพาณิชย์ กรุงเทพ ต่างจังหวัด ด่วน ฟรี ของแถม ลดราคา สต็อก พรีออเดอร์ หมด รอ ได้รับ ส่ง ตีกลับ
ผู้รับ ผู้ส่ง ลายเซ็น ภาพถ่าย หลักฐาน แจ้ง เคลม ซีเรียล สติกเกอร์ ใบรับประกัน เปิดเครื่อง ชาร์จ ร้อน ควัน เสียง
จอดำ ค้าง รีสตาร์ท รีเซ็ต ตั้งค่า เชื่อมต่อ ดาวน์โหลด ความเร็ว ประตู ห้าง ออนไลน์ ร้านค้า ผ้า เปลี่ยน
""")
#: function words and particles, scattered through Thai sentences as in real text (the analyzer drops them)
THAI_FUNCTION = _words("ที่ และ ได้ ไม่ จะ ของ ใน ให้ กับ แล้ว ค่ะ ครับ หรือ ก็ เป็น มี โดย ถ้า ต้อง ควร")
ENGLISH_DOMAIN = _words("""
order orders ordered delivery deliver delivered shipping ship shipped shipment parcel package tracking track
courier carrier kerry flash post office address postcode province district refund refunds return returned
exchange replace replacement warranty guarantee repair service center technician install installation
appointment payment pay paid card credit debit transfer bank promptpay cash instalment installments interest
month months monthly invoice receipt tax vat discount coupon code voucher promotion sale price prices cost fee
fees free gift points member membership account login password reset email phone mobile app website cart
checkout cancel cancellation status delay delayed late damaged broken cracked missing wrong item items product
products stock available preorder restock brand model colour size weight battery charger cable adapter plug
power headphones earbuds speaker laptop notebook computer tablet monitor keyboard mouse router wifi bluetooth
remote camera watch smartwatch television fridge refrigerator washer washing machine dryer conditioner fan
microwave oven kettle rice cooker iron vacuum cleaner purifier fryer hair lamp bulb socket extension software
firmware update setting settings restart connect connection pairing download manual guide instructions steps
policy privacy data consent contact chat line facebook agent support customer team hours holiday branch store
shop showroom pickup collect signature photo proof claim serial sticker box packaging seal unopened opened
condition days business weekend urgent express standard charge charged twice overcharged balance wallet online
counter slip upload verify verified sms otp identity limit approval approved declined rejected schedule
scheduled quality original genuine official authorised counterfeit label barcode voltage watt safety smoke
heat noise display pixel frozen crash reboot storage memory capacity period extended insurance accident liquid
scratch dent button switch indicator blinking
""")
ENGLISH_GENERAL = _words("""
next able after again always amount another answer appear apply arrive back bad before begin best better
between big bring buy call case change check choose clear close come complete confirm correct create current
date day detail different done easy enough error every example fast fill find first follow form full give good
great happen help high hold home hour important include information issue keep kind know last leave less let
light list little long look lose low make many mean message minute more most move much must name need never
new note now number offer old once only open option other own page part people person place plan point
possible problem provide put question quick read ready reason receive record request require right room same
save screen second see select send set short show side sign simple small soon start stay still stop sure system
take tell than thing think through time today together top total try turn under until use usual value very
wait want way week well whole within without work write year yes yet window morning evening noon water drop
handle door dead slow
""")
ENGLISH_FUNCTION = _words("the a to of and for your you is in on with it can be we our if or")
BRANDS = _words("Samsung Xiaomi Apple iPhone Sony Philips Sharp Toshiba Hitachi Panasonic LG Huawei Oppo Lenovo Asus")
CATEGORIES = [
    ("orders", "การสั่งซื้อ", "Orders"), ("payment", "การชำระเงิน", "Payment"),
    ("instalments", "การผ่อนชำระ", "Instalments"), ("shipping", "การจัดส่ง", "Shipping"),
    ("tracking", "การติดตามพัสดุ", "Parcel tracking"), ("returns", "การคืนสินค้า", "Returns"),
    ("refunds", "การคืนเงิน", "Refunds"), ("warranty", "การรับประกัน", "Warranty"),
    ("repairs", "ศูนย์บริการและการซ่อม", "Repairs"), ("account", "บัญชีผู้ใช้", "Your account"),
    ("login", "รหัสผ่านและการเข้าสู่ระบบ", "Passwords and login"), ("promotions", "โปรโมชั่นและคูปอง", "Promotions"),
    ("membership", "สมาชิกและแต้มสะสม", "Membership and points"), ("tax", "ใบกำกับภาษี", "Tax invoices"),
    ("phones", "โทรศัพท์มือถือ", "Phones"), ("computers", "คอมพิวเตอร์และโน้ตบุ๊ก", "Computers"),
    ("audio", "หูฟังและลำโพง", "Headphones and speakers"), ("tv", "ทีวีและจอภาพ", "TVs and monitors"),
    ("kitchen", "เครื่องใช้ไฟฟ้าในครัว", "Kitchen appliances"), ("laundry", "เครื่องซักผ้าและตู้เย็น", "Washers and fridges"),
    ("cooling", "แอร์และพัดลม", "Air conditioners and fans"), ("accessories", "อุปกรณ์เสริม", "Accessories"),
    ("smart-home", "สมาร์ทโฮม", "Smart home"), ("cameras", "กล้องและนาฬิกา", "Cameras and watches"),
    ("installation", "การติดตั้ง", "Installation"), ("stores", "หน้าร้านและสาขา", "Stores"),
    ("contact", "การติดต่อเรา", "Contact us"), ("privacy", "นโยบายความเป็นส่วนตัว", "Privacy"),
    ("preorders", "สินค้าพรีออเดอร์", "Pre-orders"), ("business", "การสั่งซื้อสำหรับองค์กร", "Business orders"),
]
TONE_MARKS = dict.fromkeys(map(ord, "\u0e48\u0e49\u0e4a\u0e4b"))
_THAI_ONLY = re.compile(r"^[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]{2,12}$")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def thai_vocabulary(common: int = 450) -> list[str]:
    """The ``common`` most frequent words of the Thai National Corpus that PyThaiNLP's dictionary holds and the
    hand list does not (stop words, particles and one-letter words left out)."""
    from pythainlp.corpus import thai_stopwords, thai_words, tnc

    from ruamchat.kb.search.analysis import THAI_STOPWORDS

    dictionary = thai_words()
    stop = set(thai_stopwords()) | THAI_STOPWORDS | set(THAI_FUNCTION)
    ranked = sorted(tnc.word_freqs(), key=lambda pair: (-pair[1], pair[0]))
    words: dict[str, None] = {}
    for word, _count in ranked:
        if len(words) >= common:
            break
        if word in THAI_DOMAIN or word in stop or word not in dictionary or not _THAI_ONLY.match(word):
            continue
        words[word] = None
    return list(words)


class Zipf:
    """Words drawn with frequency ~ 1 / rank: the shop's words first, then the general ones (each shuffled by
    the seed), so the shop's words are the common ones and most general words are rare."""

    def __init__(self, domain: Sequence[str], general: Sequence[str], rng: random.Random,
                 exponent: float = 1.0) -> None:
        first = list(dict.fromkeys(domain))
        rest = [word for word in dict.fromkeys(general) if word not in set(first)]
        rng.shuffle(first)
        rng.shuffle(rest)
        self.words = first + rest
        self.cumulative = list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(len(self.words))))

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=k)

    def distinct(self, rng: random.Random, k: int) -> list[str]:
        out: dict[str, None] = {}
        while len(out) < k:
            out.update(dict.fromkeys(self.draw(rng, 1)))
        return list(out)


class Writer:
    """Generated article text in one language."""

    def __init__(self, language: str, words: Zipf, function: Sequence[str]) -> None:
        self.language, self.words, self.function = language, words, function

    def _words(self, rng: random.Random, n: int, filler: float = 0.25) -> list[str]:
        out = []
        for word in self.words.draw(rng, n):
            if rng.random() < filler:
                out.append(rng.choice(self.function))
            out.append(word)
            if rng.random() < 0.03:
                out.append(rng.choice(BRANDS))
            elif rng.random() < 0.03:
                out.append(str(rng.choice((7, 14, 30, 24, 2, 3, 500, 1000, rng.randint(1, 9999)))))
        return out

    def phrase(self, rng: random.Random, n: int, filler: float = 0.0) -> tuple[str, int]:
        words = self._words(rng, n, filler)
        if self.language == "th":  # Thai words run together; numbers and Latin words stand apart
            text = "".join(f" {w} " if w.isascii() else w for w in words).replace("  ", " ").strip()
        else:
            text = " ".join(words)
            text = text[:1].upper() + text[1:]
        return text, len(words)

    def sentence(self, rng: random.Random) -> tuple[str, int]:
        text, n = self.phrase(rng, rng.randint(4, 12), filler=0.25)
        return (text if self.language == "th" else text + "."), n

    def body(self, rng: random.Random) -> str:
        target = rng.randint(80, 300)
        blocks: list[str] = []
        count = 0
        while count < target:
            roll = rng.random()
            if roll < 0.12 and blocks:
                text, n = self.phrase(rng, rng.randint(2, 5))
                blocks.append("## " + text)
            elif roll < 0.25:
                items = [self.phrase(rng, rng.randint(2, 6)) for _ in range(rng.randint(2, 5))]
                blocks.append("\n".join(f"- {text}" for text, _n in items))
                n = sum(n for _text, n in items)
            else:
                sentences = [self.sentence(rng) for _ in range(rng.randint(2, 4))]
                blocks.append(" ".join(text for text, _n in sentences))
                n = sum(n for _text, n in sentences)
            count += n
        return "\n\n".join(blocks)

    def article(self, rng: random.Random) -> dict[str, str]:
        title, _n = self.phrase(rng, rng.randint(4, 10))
        summary, _n = self.sentence(rng)
        keywords = ", ".join(dict.fromkeys(self.words.draw(rng, rng.randint(2, 5))))
        return {"title": title[:200], "summary": summary[:300], "keywords": keywords[:300], "body": self.body(rng)}


def typo(word: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped."""
    for _attempt in range(10):
        i = rng.randrange(1, len(word) - 2)
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if swapped != word:
            return swapped
    return word


def make_queries(n: int, rng: random.Random, thai: Zipf, english: Zipf, unknown_thai: Sequence[str],
                 ) -> list[tuple[str, str, str]]:
    """(query, its language, kind) - kinds: th, th-notone, en, th-typo, en-typo, nothing."""
    out = []
    for i in range(n):
        roll = i % 20
        words = rng.randint(1, 4)
        if roll < 7:
            picked = thai.distinct(rng, words)
            query = ("" if rng.random() < 0.5 else " ").join(picked)
            kind = "th"
            if roll < 2:  # typed without tone marks
                query, kind = query.translate(TONE_MARKS), "th-notone"
            out.append((query, "th", kind))
        elif roll < 15:
            out.append((" ".join(english.distinct(rng, words)), "en", "en"))
        elif roll < 17:
            picked = thai.distinct(rng, words)
            long = [j for j, w in enumerate(picked) if len(w) >= 4]
            j = rng.choice(long) if long else 0
            if len(picked[j]) >= 4:
                picked[j] = typo(picked[j], rng)
            out.append(("".join(picked), "th", "th-typo"))
        elif roll < 19:
            picked = english.distinct(rng, words)
            long = [j for j, w in enumerate(picked) if len(w) >= 5]
            j = rng.choice(long) if long else 0
            if len(picked[j]) >= 4:
                picked[j] = typo(picked[j], rng)
            out.append((" ".join(picked), "en", "en-typo"))
        elif i % 40 == 19:
            gibberish = " ".join("".join(rng.choice("bcdfghjklmnpqvwxz") for _ in range(rng.randint(6, 9)))
                                 for _ in range(rng.randint(1, 2)))
            out.append((gibberish, "en", "nothing"))
        else:
            out.append((rng.choice(unknown_thai), "th", "nothing"))
    rng.shuffle(out)
    return out


# -- one database, in a child process ---------------------------------------------------------------------

def index_size(db: str) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("VACUUM ANALYZE kb_searchdocument")
            cursor.execute("VACUUM ANALYZE kb_searchterm")
            cursor.execute("SELECT pg_total_relation_size('kb_searchdocument'), pg_relation_size('kb_doc_tsv'), "
                           "pg_total_relation_size('kb_searchterm')")
            documents, gin, terms = cursor.fetchone()
            return {"total": documents + terms, "documents": documents - gin, "fulltext": gin, "terms": terms}
        cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE tbl_name IN ('kb_searchdocument', "
                       "'kb_searchterm') OR name LIKE 'kb_fts%'")
        owner = {name: table for name, table in cursor.fetchall()}
        cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
        sizes = {"documents": 0, "fulltext": 0, "terms": 0}
        for name, size in cursor.fetchall():
            table = owner.get(name)
            if table is None:
                continue
            part = "fulltext" if table.startswith("kb_fts") else "terms" if table == "kb_searchterm" else "documents"
            sizes[part] += size
        return {"total": sum(sizes.values()), **sizes}


def sqlite_file_size() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return os.path.getsize(connection.settings_dict["NAME"])


def has_dbstat() -> bool:
    from django.db import connection
    from django.db.utils import OperationalError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM dbstat LIMIT 1")
    except OperationalError:
        return False
    return True


class Phases:
    """Wall time of the parts of ``engine.search`` (outermost call only, so nested parts are not counted
    twice)."""

    NAMES = ("vocabulary", "parse", "corpus", "df", "candidates", "load", "score", "passage", "highlight")

    def __init__(self) -> None:
        self.totals = dict.fromkeys(self.NAMES, 0.0)
        self.depth = 0
        self.undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attribute: str, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return original(*args, **kwargs)
            self.depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[name] += time.perf_counter() - started
                self.depth -= 1

        self.undo.append((owner, attribute, original))
        setattr(owner, attribute, timed)

    def install(self) -> None:
        from ruamchat.kb.search import backends, engine, vocabulary

        self.wrap(vocabulary, "current", "vocabulary")
        for attribute, name in (("parse", "parse"), ("_corpus", "corpus"), ("_document_frequencies", "df"),
                                ("_load", "load"), ("score", "score"), ("best_passage", "passage"),
                                ("highlight", "highlight")):
            self.wrap(engine, attribute, name)
        self.wrap(backends, "candidates", "candidates")

    def remove(self) -> None:
        for owner, attribute, original in reversed(self.undo):
            setattr(owner, attribute, original)


def code_version() -> str:
    """The commit the measured code is at (``+`` when the source tree has changes on top of it)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    return (git("rev-parse", "--short", "HEAD") or "?") + ("+" if git("status", "--porcelain", "src") else "")


def child(db: str, articles: int, queries: int, seed: int, profile: str) -> None:
    version = code_version()  # before the code is imported
    data_dir = tempfile.mkdtemp(prefix="ruamchat-bench-kb-")
    os.environ["RUAMCHAT_DATA_DIR"] = data_dir
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        os.environ["RUAMCHAT_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from ruamchat.kb.actions import save_category
    from ruamchat.kb.models import Article, SearchTerm, make_slug
    from ruamchat.kb.search import engine, index, vocabulary

    rng = random.Random(seed)
    thai = Zipf(THAI_DOMAIN, thai_vocabulary(), rng)
    english = Zipf(ENGLISH_DOMAIN, ENGLISH_GENERAL, rng)
    writers = {"th": Writer("th", thai, THAI_FUNCTION), "en": Writer("en", english, ENGLISH_FUNCTION)}
    log(f"{db}: {len(thai.words)} Thai and {len(english.words)} English words; creating {articles:,} articles")

    categories = [save_category(actor=None, key=key, name_th=name_th, name_en=name_en, position=n)
                  for n, (key, name_th, name_en) in enumerate(CATEGORIES, start=1)]
    category_weights = list(accumulate(1.0 / (rank + 1) ** 0.7 for rank in range(len(categories))))
    now = timezone.now()
    batch: list[Article] = []
    created = 0
    for n in range(articles):
        topic, language = divmod(n, 2)
        language_code = "th" if language == 0 else "en"
        if language == 0:
            translation_key = uuid.UUID(int=rng.getrandbits(128))
            category = rng.choices(categories, cum_weights=category_weights)[0]
            internal = rng.random() < 0.05
        text = writers[language_code].article(rng)
        batch.append(Article(
            translation_key=translation_key, key=f"topic-{topic}", language=language_code, category=category,
            position=topic, slug=f"{make_slug(text['title'], 60)}-{topic}", status=Article.Status.PUBLISHED,
            visibility=Article.Visibility.INTERNAL if internal else Article.Visibility.PUBLIC, published_at=now,
            **text))
        if len(batch) == 2000 or n == articles - 1:
            Article.objects.bulk_create(batch)
            created += len(batch)
            batch = []
            if created % 10000 == 0:
                log(f"{db}: {created:,} articles created")
    ids = list(Article.objects.order_by("id").values_list("id", flat=True))

    size_before = 0 if db == "postgres" or has_dbstat() else sqlite_file_size()
    analyzer = vocabulary.current().analyzer
    log(f"{db}: indexing {len(ids):,} articles")
    started = time.perf_counter()
    for done in range(0, len(ids), 5000):
        index.index_articles(ids[done:done + 5000], analyzer)
        log(f"{db}: {done + len(ids[done:done + 5000]):,} indexed, "
            f"{(done + len(ids[done:done + 5000])) / (time.perf_counter() - started):.0f}/s")
    index_s = time.perf_counter() - started
    # one article at a time, as the kb.index_article job does after an edit (re-indexing existing entries)
    sample = random.Random(seed + 4).sample(ids, min(500, len(ids)))
    single_started = time.perf_counter()
    for article_id in sample:
        index.index_article(article_id, analyzer)
    single_per_s = len(sample) / (time.perf_counter() - single_started)
    measurable = db == "postgres" or has_dbstat()
    size = index_size(db) if measurable else {"total": sqlite_file_size() - size_before}
    size["term_rows"] = SearchTerm.objects.count()
    engine.forget()

    unknown = unmatched_thai(thai.words, random.Random(seed + 3))
    qrng = random.Random(seed + 1)
    timed = make_queries(queries, qrng, thai, english, unknown)
    warmup = make_queries(queries, random.Random(seed + 2), thai, english, unknown)
    log(f"{db}: warm-up pass ({len(warmup)} queries)")

    def run(query: str, language: str, i: int) -> int:
        languages = ("th", "en") if i % 2 == 0 else (language,)
        return len(engine.search(query, languages=languages, internal=False, limit=10).hits)

    for i, (query, language, _kind) in enumerate(warmup):
        run(query, language, i)
    log(f"{db}: timed pass ({len(timed)} queries)")
    times, cpu, hits, by_kind = [], [], [], {}
    for i, (query, language, kind) in enumerate(timed):
        t0, c0 = time.perf_counter(), time.process_time()
        found = run(query, language, i)
        elapsed = (time.perf_counter() - t0) * 1000
        cpu.append((time.process_time() - c0) * 1000)
        times.append(elapsed)
        hits.append(found)
        by_kind.setdefault(kind, []).append((elapsed, found))
    slowest = sorted(zip(times, (q for q, _l, _k in timed), hits, strict=True), reverse=True)[:5]

    phases = Phases()
    phases.install()
    phase_started = time.perf_counter()
    try:
        for i, (query, language, _kind) in enumerate(timed):
            run(query, language, i)
    finally:
        phases.remove()
    phase_total = (time.perf_counter() - phase_started) * 1000 / len(timed)
    phase_ms = {name: total * 1000 / len(timed) for name, total in phases.totals.items()}

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i, (query, language, _kind) in enumerate(timed):
            run(query, language, i)
        profiler.disable()
        path = f"{profile}-{db}.prof"
        profiler.dump_stats(path)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        log(f"{db}: profile of the timed queries ({path}), by cumulative time:\n{out.getvalue()}")

    result = {
        "db": db, "articles": len(ids), "index_s": index_s, "size": size, "queries": len(timed),
        "p50": statistics.median(times), "p95": pct(times, 0.95), "p99": pct(times, 0.99), "max": max(times),
        "mean_hits": statistics.mean(hits), "cpu_p50": statistics.median(cpu), "cpu_p95": pct(cpu, 0.95),
        "phases": phase_ms, "phase_total": phase_total,
        "kinds": {kind: {"n": len(rows), "p50": statistics.median(t for t, _h in rows),
                         "p95": pct([t for t, _h in rows], 0.95), "hits": statistics.mean(h for _t, h in rows)}
                  for kind, rows in sorted(by_kind.items())},
        "slowest": [[round(t, 1), q, h] for t, q, h in slowest],
        "data_dir": data_dir, "code": version, "single_per_s": single_per_s, "single_n": len(sample),
    }
    print(RESULT_PREFIX + json.dumps(result, ensure_ascii=False), flush=True)


def unmatched_thai(used: Sequence[str], rng: random.Random, wanted: int = 40) -> list[str]:
    """Dictionary words of 6+ letters that no indexed term matches, not even through a typo correction."""
    from pythainlp.corpus import thai_words

    from ruamchat.kb.models import SearchTerm
    from ruamchat.kb.search import engine
    from ruamchat.kb.search.analysis import fold

    pool = sorted(w for w in thai_words() if len(w) >= 6 and _THAI_ONLY.match(w) and w not in set(used))
    out: list[str] = []
    for word in rng.sample(pool, 400):
        terms = {fold(term) for group in engine.parse(word) for term in group.alternatives}
        if terms and not SearchTerm.objects.filter(term__in=terms, df__gt=0).exists():
            out.append(word)
            if len(out) == wanted:
                break
    return out


# -- the table --------------------------------------------------------------------------------------------

def drop_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=400, help="timed queries (another set warms up)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the databases and data dirs")
    parser.add_argument("--profile", default="", help="also run the timed queries under cProfile, saved to "
                        "<PROFILE>-<db>.prof, the top functions printed to stderr")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.articles, args.queries, args.seed, args.profile)
        return
    rows = []
    for db in args.db.split(","):
        command = [sys.executable, __file__, "--child", db, "--articles", str(args.articles), "--queries",
                   str(args.queries), "--seed", str(args.seed), "--profile", args.profile]
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT)
        found = [line for line in result.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if result.returncode != 0 or not found:
            sys.stderr.write(result.stdout[-3000:])
            raise SystemExit(f"{db} failed")
        row = json.loads(found[-1][len(RESULT_PREFIX):])
        rows.append(row)
        if args.keep:
            log(f"{db}: kept {row['data_dir']}" + (f" and the database {PG_DATABASE}" if db == "postgres" else ""))
        else:
            shutil.rmtree(row["data_dir"], ignore_errors=True)
            if db == "postgres":
                drop_postgres()

    mb = 1024 * 1024
    print("\n| database | articles | index s | articles/s | index MB | search p50 ms | p95 | p99 | max | mean hits |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['db']} | {r['articles']:,} | {r['index_s']:.1f} | {r['articles'] / r['index_s']:.0f} | "
              f"{r['size']['total'] / mb:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
              f"{r['max']:.1f} | {r['mean_hits']:.1f} |")
    print(f"\nGoal: search p95 <= {GOAL_P95_MS:.0f} ms. {rows[0]['queries']} timed queries after a warm-up pass; "
          f"code at {', '.join(sorted({r['code'] for r in rows}))}; machine: {machine()}. "
          "This process's CPU ms per search (p50 / p95; PostgreSQL's own work not "
          "counted, SQLite's is): " + ", ".join(f"{r['db']} {r['cpu_p50']:.1f} / {r['cpu_p95']:.1f}" for r in rows)
          + ".")
    print("\n`articles/s`: `index_articles` over all of them (batches of 200 per transaction); one at a time with "
          "`index_article` (the job after an edit; " + f"{rows[0]['single_n']} articles indexed again): "
          + ", ".join(f"{r['db']} {r['single_per_s']:.0f}/s" for r in rows) + ".")
    print("\nIndex size by part (MB; SQLite from dbstat, PostgreSQL after VACUUM ANALYZE):\n")
    print("| database | documents (terms + text) | full-text index | term table | distinct terms |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        s = r["size"]
        parts = [f"{s[name] / mb:.1f}" if name in s else "?" for name in ("documents", "fulltext", "terms")]
        print(f"| {r['db']} | {' | '.join(parts)} | {s['term_rows']:,} |")
    print("\nSearch by kind of query (p50 / p95 ms, mean hits):\n")
    kinds = sorted({kind for r in rows for kind in r["kinds"]})
    print("| database | " + " | ".join(f"{kind} (n={rows[0]['kinds'].get(kind, {}).get('n', 0)})"
                                        for kind in kinds) + " |")
    print("|---|" + "---:|" * len(kinds))
    for r in rows:
        cells = [f"{k['p50']:.1f} / {k['p95']:.1f}, {k['hits']:.1f}" if (k := r["kinds"].get(kind)) else "-"
                 for kind in kinds]
        print(f"| {r['db']} | " + " | ".join(cells) + " |")
    print("\nWhere a search's time goes (mean ms per query, a second pass with the phases timed):\n")
    names = Phases.NAMES
    print("| database | " + " | ".join(names) + " | rest | total |")
    print("|---|" + "---:|" * (len(names) + 2))
    for r in rows:
        ph = r["phases"]
        rest = r["phase_total"] - sum(ph.values())
        print(f"| {r['db']} | " + " | ".join(f"{ph[name]:.2f}" for name in names)
              + f" | {rest:.2f} | {r['phase_total']:.2f} |")
    print("\nSlowest queries (ms, query, hits):\n")
    for r in rows:
        print(f"- {r['db']}: " + "; ".join(f"{t} ms `{q}` ({h})" for t, q, h in r["slowest"]))
    print(RESULT_PREFIX + json.dumps({"rows": rows, "goal_p95_ms": GOAL_P95_MS}, ensure_ascii=False),
          flush=True)  # for benchmarks/run


if __name__ == "__main__":
    main()
