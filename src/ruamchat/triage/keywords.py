"""Built-in Thai and English keyword lists of the triage engine.

Each list belongs to a *rule*. The rule decides what a match means:

==============================  =================================================================
rule                            a match means
==============================  =================================================================
``safety``                      urgent (0); the category becomes technical
``fraud``                       urgent (0); payment when no category keyword matched
``legal``                       urgent (0)
``late_order``                  high (1); votes for order_status
``broken``                      high (1), broken on arrival; votes for return
``angry``                       the message is angry; high (1) when the customer was angry before
``thanks``, ``resolved``        low (3), see ``engine.Triage`` for when
``info``                        low (3): a general question (opening hours, branches, promotions …)
``waiting``                     with a wait of a week or more ("สองอาทิตย์", "10 days") → late_order
``ignore``                      phrases that hide the words inside them ("smoke detector")
``person``                      the customer asks for a person: the chatbot hands off at once
``category:<name>``             votes for that support category
==============================  =================================================================

How a keyword is written:

* Words are matched as the tokenizer segments them (PyThaiNLP newmm), never as raw substrings:
  "ไฟ" does not match inside "ไฟล์", "โกง" not inside "โกงกาง". Every Thai keyword is added to the
  tokenizer's dictionary, so "ไฟดูด" or "ตัดเงินซ้ำ" become one token when they appear in a message.
  The longest dictionary word wins, so a compound that contains a keyword ("ไฟไหม้" contains
  "ไหม้") must be listed itself when it should match.
* English is lower-cased and lightly stemmed on both sides: "burning", "burnt" and "burned" are all
  "burn"; "charged twice" and "charge twice" are the same keyword.
* ``"a + b"`` matches when every part occurs within a few words of each other, in any order
  ("ตัดเงิน + สองรอบ" matches "ตัดเงินในบัตรสองรอบ").
* Safety, fraud, legal, late order, broken, anger, thanks, resolved and info matches are ignored when
  a negation stands right before them ("ไม่ได้มีควันนะคะ", "no smoke"); category keywords are not
  (a customer who writes "ยังไม่คืนเงิน" is still talking about a refund).
* Punctuation inside a keyword is dropped ("สคบ." is "สคบ").
* A keyword can lose to a dictionary word that overlaps it: "สอบถามเวลาเปิดร้าน" segments as
  เวลา | เปิดร้าน, so "เวลาเปิด" does not match there; list the longer phrase too ("เวลาเปิดร้าน").
  ``Triage.tokens(text)`` shows how a message is segmented.
"""

from __future__ import annotations

from itertools import product

URGENT_RULES = ("safety", "fraud", "legal")
HIGH_RULES = ("late_order", "broken", "angry")
LOW_RULES = ("thanks", "resolved", "info")
HELPER_RULES = ("waiting", "ignore", "person")
CATEGORIES = ("technical", "return", "exchange", "refund", "order_status", "payment", "account", "other")
CATEGORY_RULES = tuple(f"category:{name}" for name in CATEGORIES if name != "other")
RULES = URGENT_RULES + HIGH_RULES + LOW_RULES + HELPER_RULES + CATEGORY_RULES

# Where each category goes unless the business passes its own mapping to Triage(team_of_category=…):
# the Support team handles product and money problems, the Service team orders and everything else.
DEFAULT_TEAM_OF_CATEGORY = {
    "technical": "support",
    "return": "support",
    "exchange": "support",
    "refund": "support",
    "payment": "support",
    "account": "support",
    "order_status": "service",
    "other": "service",
}
TEAM_KINDS = ("service", "support")

# Equal category votes are settled in this order (money and the customer's goods first).
CATEGORY_PRECEDENCE = ("refund", "exchange", "return", "payment", "account", "technical", "order_status")

_CHARGE_TH = (
    "ตัดเงิน", "ตัดบัตร", "ตัด", "หักเงิน", "หัก", "โอนเงิน", "โอน", "จ่ายเงิน", "ชำระเงิน", "เก็บเงิน", "ชาร์จ", "charge",
)
_TWICE_TH = (
    "ซ้ำ", "ซ้ำซ้อน", "ซ้ำกัน", "สองรอบ", "สองครั้ง", "สองที", "2 รอบ", "2 ครั้ง", "2 ที", "สองยอด", "2 ยอด", "เบิ้ล", "double",
)
_CHARGE_EN = ("charge", "bill", "pay", "debit", "take", "taken", "money", "deduct")
_TWICE_EN = ("twice", "two times", "2 times", "double", "duplicate")

_TH: dict[str, tuple[str, ...]] = {
    "safety": (
        "ควัน", "มีควัน", "ควันขึ้น", "ควันออก", "ควันไฟ", "ไหม้", "กลิ่นไหม้", "เหม็นไหม้", "ไฟไหม้",
        "ลุกไหม้", "ไฟลุก", "ไฟลุกไหม้", "เพลิงไหม้", "เผาไหม้", "รอยไหม้", "มอดไหม้", "ไฟช็อต", "ไฟช๊อต",
        "ไฟชอร์ต", "ช็อต", "ไฟดูด", "โดนไฟดูด", "ไฟรั่ว", "ไฟฟ้ารั่ว", "ระเบิด", "ประกายไฟ", "ไฟแลบ",
        "สปาร์ค", "สปาร์ก", "ละลาย", "แบต + บวม", "แบตเตอรี่ + บวม", "พาวเวอร์แบงค์ + บวม", "ร้อนจัด",
        "ไฟฟ้าช็อต", "ไฟช็อก", "ไฟฟ้าดูด", "ไฟแว้บ", "ไฟพุ่ง", "ติดไฟ", "ควันโขมง", "ไหม้เกรียม", "ดังปุ้ง",
        "ดังโป้ง", "ดังเปรี้ยง", "ลัดวงจร",
    ),
    "fraud": (
        "ถูกตัดเงินซ้ำ", "ตัดเงินซ้ำ", "หักเงินซ้ำ", "ตัดซ้ำ", "โดนโกง", "ถูกโกง", "มิจฉาชีพ", "แอบอ้าง",
        "หลอกให้โอน", "หลอกให้", "หลอกขาย", "หลอกลวง", "ถูกแฮก", "โดนแฮก", "ไม่ได้ทำรายการ", "รายการ + ที่ไม่ได้ทำ",
        "สวมรอย", "เพจปลอม", "ร้านปลอม", "แอดมินปลอม", "บัญชีปลอม", "ไม่ได้สั่ง + ตัด", "ไม่ได้สั่ง + หัก",
        "ไม่ได้สั่ง + บัตร", "ไม่ได้ซื้อ + ตัด", "ไม่ได้ซื้อ + บัตร", "ไม่ได้ทำ + บัตร", "ไม่ใช่ผมสั่ง", "ไม่ใช่ฉันสั่ง",
        "ไม่ใช่เราสั่ง", "ไม่ใช่ดิฉันสั่ง", "ไม่ได้เป็นคนสั่ง", "แอบใช้บัตร", "มีคนแอบใช้", "มีคนเอาบัญชี",
        *(f"{charge} + {twice}" for charge, twice in product(_CHARGE_TH, _TWICE_TH)),
    ),
    "legal": (
        "ฟ้อง", "ฟ้องร้อง", "แจ้งความ", "แจ้งตำรวจ", "ตำรวจ", "สคบ", "ทนาย", "ทนายความ", "ดำเนินคดี",
        "คุ้มครองผู้บริโภค", "ศาล", "ขึ้นศาล", "ฟ้องศาล",
    ),
    "late_order": (
        "ของหาย", "พัสดุหาย", "สินค้าหาย", "ทำของหาย", "หายระหว่างขนส่ง", "เลยกำหนด", "เกินกำหนด",
        "เลยกำหนดส่ง", "รอนาน", "ส่งช้ามาก", "จัดส่งสำเร็จ + ไม่ได้รับ", "ส่งสำเร็จ + ไม่ได้รับ", "เลยวันที่นัด",
        "เลยวันนัด", "เกินวันที่แจ้ง", "ป่านนี้ + ยังไม่",
    ),
    "broken": (
        "แตก", "แตกมา", "พังมา", "มาพัง", "มาถึงพัง", "ชำรุด", "บุบ", "ร้าว", "บิ่น", "หักมา", "แตกหัก",
        "ตำหนิ", "รอยขีดข่วน", "ตั้งแต่แกะกล่อง", "แกะกล่อง + เสีย", "หลุดมา", "รั่ว", "รั่วมา", "ฉีก",
        "ยุบ", "บู้บี้", "เบี้ยว", "แตกร้าว",
    ),
    "angry": (
        "แย่มาก", "แย่", "ห่วย", "ห่วยแตก", "ทุเรศ", "โมโห", "หัวร้อน", "ไม่พอใจ", "ผิดหวัง", "โกรธ",
        "เฮงซวย", "เซ็ง", "รำคาญ", "บริการแย่", "ไม่มีใครตอบ", "ไม่ตอบ", "ตอบช้า", "ไม่รับผิดชอบ",
        "ไม่มีความรับผิดชอบ", "ทัก + หลายรอบ", "ทัก + สามรอบ", "ถาม + หลายรอบ", "ยังไม่ได้คำตอบ", "เบื่อ",
        "ไม่มีคนรับ", "ไม่รับสาย", "ทำธุรกิจแบบนี้", "โกง", "ร้านโกง", "ขี้โกง",
        "ไม่ต้องขาย", "เสียความรู้สึก", "อะไรนักหนา", "น่าผิดหวัง",
        # profanity-lite (a short list on purpose; PyThaiNLP's list holds everyday words like "บ้า")
        "เหี้ย", "ไอ้เหี้ย", "สัส", "ไอ้สัส", "ระยำ", "เชี่ย", "แม่ง", "ชิบหาย", "มึง",
        "😡", "🤬", "😤", "💢",
    ),
    "thanks": (
        "ขอบคุณ", "ขอบคุน", "ขอบใจ", "ขอบพระคุณ", "แต๊งกิ้ว", "ประทับใจ", "ใช้ดี", "ชอบมาก",
    ),
    "resolved": (
        "ได้รับแล้ว", "ได้รับ + แล้ว", "แก้ได้แล้ว", "ใช้ได้แล้ว", "ทำได้แล้ว", "เรียบร้อยแล้ว",
    ),
    "info": (
        "เวลาเปิด", "เวลาเปิดปิด", "เวลาเปิดร้าน", "เวลาทำการ", "เปิดกี่โมง", "ปิดกี่โมง", "กี่โมง", "สาขา", "หน้าร้าน",
        "อยู่แถวไหน", "ร้านอยู่ที่ไหน", "โปรโมชั่น", "โปรโมชัน", "ส่วนลด", "ส่งต่างประเทศ", "มีสี", "สีอื่น",
        "มีไซส์", "ไซส์อื่น", "ของเข้า", "จะเข้า", "ห่อของขวัญ", "รับประกัน", "ประกัน", "รับชำระ", "รับบัตร",
        "ผ่อน", "คู่มือ", "รับที่ร้าน", "ราคาเท่าไหร่", "มีขาย", "เปิดไหม", "ร้านเปิด", "เปิดวันไหน", "วันหยุด",
        "กี่สี", "สีอะไรบ้าง", "ไซส์อะไรบ้าง", "ปลายทางได้ไหม",
    ),
    "waiting": (
        "รอ", "รอมา", "ยังไม่มา", "ไม่มา", "ยังไม่ได้รับ", "ยังไม่ได้ของ", "ยังไม่ได้สินค้า", "ยังไม่ส่ง",
        "ไม่ถึงมือ", "ยังไม่ถึง", "ยังไม่ได้", "ป่านนี้",
    ),
    "ignore": ("เครื่องตรวจจับควัน",),
    "person": (
        # "แอดมินคะ ผ่อนได้ไหม" only addresses the shop, and "พนักงานส่งของ" is the courier: the staff words
        # count only with a verb of talking or contacting
        *(f"{verb} + {who}" for verb in ("คุย", "คุยกับ", "ขอคุย", "ติดต่อ", "ขอสาย", "ต่อสาย", "โอนสาย", "พูดกับ")
          for who in ("พนักงาน", "เจ้าหน้าที่", "แอดมิน", "แอทมิน", "คน", "ผู้จัดการ", "ฝ่ายบริการลูกค้า", "ฝ่าย")),
        "คนจริง", "คนจริงๆ", "ขอคุยกับคน", "ขอสาย", "โอเปอเรเตอร์", "คอลเซ็นเตอร์", "ไม่เอาบอท", "บอท + ไม่",
        "ไม่คุยกับบอท", "ขอคน + ตอบ", "คน + ตอบ + หน่อย",
    ),
    "category:technical": (
        "เสีย", "เครื่องเสีย", "ใช้งานไม่ได้", "ใช้ไม่ได้", "เปิดไม่ติด", "ไม่ทำงาน", "ค้าง", "เด้ง", "เด้งออก",
        "แอป", "แอพ", "เออเร่อ", "บั๊ก", "ชาร์จไม่เข้า", "เชื่อมต่อ", "ไวไฟ", "บลูทูธ", "ภาพไม่ขึ้น", "จอ",
        "หน้าจอ", "กระพริบ", "กะพริบ", "ล่ม", "เซิร์ฟเวอร์", "รีเซ็ต", "ตั้งค่า", "ติดตั้ง", "อัปเดต",
        "อัพเดท", "เสียงดัง", "ผิดปกติ", "เครื่องร้อน", "หน้าเว็บ", "เว็บไซต์", "สายชาร์จ", "ส่งซ่อม", "ซ่อม",
        "ไม่มีเสียง", "เสียงไม่ออก", "ติดตลอด", "กระดาษติด", "ชาร์จ + ไม่เข้า", "ปลั๊ก", "ร้อนผิดปกติ", "จอขาว", "จอดำ",
    ),
    "category:return": (
        "คืนสินค้า", "ส่งคืน", "ขอคืนสินค้า", "คืนของ", "ส่งกลับ", "ไม่ตรงปก", "ไม่ตรงตามรูป", "อยากคืน", "คืนได้ไหม",
        "รับคืน",
    ),
    "category:exchange": (
        "เปลี่ยนสินค้า", "เปลี่ยนของ", "เปลี่ยนไซส์", "เปลี่ยนสี", "เปลี่ยนตัวใหม่", "เปลี่ยนใหม่",
        "เปลี่ยนเครื่อง", "เปลี่ยนได้ไหม", "สีผิด", "ไซส์ผิด", "ผิดไซส์", "ผิดสี", "ส่งผิด", "ได้ของผิด",
        "ไซส์เล็กไป", "ไซส์ใหญ่ไป", "ไม่ตรงกับที่สั่ง", "แลก", "ขอแลก", "แลกไซส์", "แลกเปลี่ยน", "ขอของใหม่",
        "ส่งของใหม่",
    ),
    "category:refund": (
        "คืนเงิน", "เงินคืน", "ขอคืนเงิน", "ขอเงินคืน", "ได้เงินคืน", "รีฟันด์",
    ),
    "category:order_status": (
        "พัสดุ", "เลขพัสดุ", "ติดตามพัสดุ", "เลขแทรค", "แทรค", "ขนส่ง", "จัดส่ง", "ส่งของ", "ไม่ส่งของ",
        "ของยังไม่มา", "ยังไม่มา", "ไม่มา", "ยังไม่ได้รับ", "ไม่ได้รับของ", "ยังไม่ได้ของ", "ยังไม่ได้สินค้า",
        "ไม่ได้ของ", "ออเดอร์", "คำสั่งซื้อ", "ยกเลิกคำสั่งซื้อ", "ยกเลิกออเดอร์", "ส่งวันไหน", "ได้ของวันไหน",
        "ส่งเมื่อไหร่", "ถึงไหน", "ที่อยู่จัดส่ง", "ตีกลับ", "ได้ของไม่ครบ", "ของไม่ครบ", "ไม่ครบ", "ขาดไป",
        "ส่งด่วน", "เลื่อนรับ", "เลื่อนส่ง", "ไม่ถึงมือ", "ของไม่ถึง", "ยังไม่ถึง",
        "ของหาย", "พัสดุหาย", "สินค้าหาย",
    ),
    "category:payment": (
        "โอนเงิน", "โอน", "ชำระ", "ชำระเงิน", "จ่ายเงิน", "จ่ายผ่าน", "ตัดเงิน", "ตัดบัตร", "หักเงิน",
        "บัตรเครดิต", "บัตรเดบิต", "สลิป", "ใบเสร็จ", "ใบกำกับภาษี", "พร้อมเพย์", "ผ่อนชำระ", "ยอดเงิน",
        "เก็บเงินปลายทาง", "รับชำระ", "ผ่อน", "บัตร", "ถูกตัดเงินซ้ำ", "ตัดเงินซ้ำ", "หักเงินซ้ำ",
    ),
    "category:account": (
        "บัญชี", "บัญชีผู้ใช้", "ลบบัญชี", "รหัสผ่าน", "ลืมรหัส", "ลืมรหัสผ่าน", "เข้าสู่ระบบ", "ล็อกอิน",
        "ล็อคอิน", "สมัครสมาชิก", "สมาชิก", "สมัคร", "อีเมล", "เบอร์โทร", "แต้ม", "คะแนนสะสม", "ยืนยันตัวตน",
        "แฮก", "ถูกแฮก", "โดนแฮก", "รหัส", "รหัสไม่ถูกต้อง", "โปรไฟล์", "ชื่อบัญชี",
    ),
}

_EN: dict[str, tuple[str, ...]] = {
    "safety": (
        "smoke", "smoky", "burning", "burnt", "burning smell", "fire", "caught fire", "on fire", "flames",
        "electric shock", "electrical shock", "got a shock", "shocked me", "electrocuted", "sparks", "explode",
        "explosion", "melted", "overheating", "battery + swollen", "battery + swelling", "battery + bulging",
        "got shocked", "gets shocked", "gave me a shock", "electrocuted", "zapped", "smoldering", "smouldering",
        "scorched", "singed", "short circuit", "shorted out",
    ),
    "fraud": (
        "fraud", "fraudulent", "scam", "scammed", "scammer", "unauthorized", "unauthorised", "hacked",
        "stolen card", "card + stolen", "didn't make this purchase", "didn't authorize", "charged twice",
        "double charged", "double billed", "charged me twice", "duplicate charge", "charged double",
        "never made + charge",
        "didn't make + charge", "don't recognize + charge", "don't recognise + charge", "not authorized",
        "someone used my card", "someone + my card", "someone + my account", "fake page", "fake account",
        "impersonating", "phishing",
        *(f"{charge} + {twice}" for charge, twice in product(_CHARGE_EN, _TWICE_EN)),
    ),
    "legal": (
        "sue", "suing", "lawsuit", "lawyer", "attorney", "legal action", "court", "police",
        "consumer protection", "small claims",
    ),
    "late_order": (
        "lost package", "package + lost", "parcel + lost", "order + lost", "shipment + lost", "item + lost",
        "lost in transit", "never arrived", "never received", "never came", "never got", "overdue",
        "past the delivery date", "says delivered + never", "marked as delivered + not", "was supposed to arrive",
        "was due to arrive", "should have arrived", "should've arrived", "delivered + not here",
        "delivered + isn't here", "delivered + can't find", "delivered + nowhere",
    ),
    "broken": (
        "arrived broken", "arrived damaged", "arrived cracked", "arrived smashed", "came broken", "came damaged",
        "came smashed", "came cracked", "damaged on arrival", "broken on arrival", "dead on arrival", "doa",
        "out of the box", "shattered", "smashed", "cracked", "crushed", "dented", "leaking", "leaked", "torn",
        "ripped", "came apart", "fell apart",
    ),
    "angry": (
        "ridiculous", "unacceptable", "terrible", "horrible", "awful", "worst", "pathetic", "useless",
        "disgusting", "furious", "angry", "fed up", "sick of", "wtf", "damn", "nobody answers", "no one answers",
        "nobody replies", "no one replies", "third time", "again and again", "seriously", "annoying", "annoyed",
        "frustrated", "frustrating", "a joke", "clowns", "scammers", "rip off", "ripoff",
    ),
    "thanks": ("thank", "thanks", "thx", "appreciate", "love it", "great service"),
    "resolved": (
        "received the refund", "received my refund", "received it", "got it working", "working now",
        "works now", "resolved", "sorted", "all good",
    ),
    "info": (
        "opening hours", "opening times", "open on", "what time", "store hours", "nearest store",
        "store location", "branch", "do you ship", "international shipping", "do you accept", "in stock",
        "back in stock", "restock", "promotion", "discount", "promo code", "warranty", "gift wrap", "price",
        "do you have", "are you open", "holiday", "what sizes", "colors available", "colours available",
    ),
    "waiting": (
        "still", "waiting", "wait", "hasn't arrived", "not arrived", "haven't received", "supposed to arrive",
        "not here yet", "still not here",
    ),
    "ignore": ("smoke detector", "smoke alarm", "fire alarm", "fire extinguisher"),
    "person": (
        "human", "real person", "a person", "live agent", "agent", "representative", "operator", "speak to someone",
        "talk to someone", "speak with someone", "talk with someone", "someone real", "customer service",
        "manager", "supervisor", "not a bot", "no bot", "stop the bot",
    ),
    "category:technical": (
        "not working", "doesn't work", "stopped working", "won't turn on", "won't start", "won't open",
        "won't charge", "won't connect", "can't connect", "crash", "error", "bug", "app", "freeze", "frozen",
        "reset", "install", "setup", "update", "bluetooth", "wifi", "internet", "router", "connect", "blinking",
        "flashing", "screen", "noise", "battery", "charger", "repair", "faulty", "defective", "flicker",
        "no sound", "jam", "plug",
    ),
    "category:return": (
        "return", "send back", "send it back", "return label", "not as described",
    ),
    "category:exchange": (
        "exchange", "swap", "replacement", "replace", "wrong size", "different size", "different colour",
        "different color", "wrong colour",
        "wrong color", "wrong item", "bigger size", "smaller size",
    ),
    "category:refund": ("refund", "money back", "reimburse", "chargeback"),
    "category:order_status": (
        "order", "tracking", "track", "package", "parcel", "delivery", "shipment", "shipped",
        "hasn't shipped", "hasn't arrived", "not arrived", "where is my order", "delivery address",
        "cancel my order", "courier",
    ),
    "category:payment": (
        "payment", "pay", "paid", "charge", "billing", "bill", "invoice", "receipt", "credit card",
        "debit card", "card", "paypal", "bank transfer", "tax id", "installment", "checkout",
    ),
    "category:account": (
        "account", "password", "log in", "login", "sign in", "sign up", "username", "email address",
        "profile", "otp", "verification code", "membership", "hacked", "logged out", "log out", "logout",
        "locked out",
    ),
}

BUILTIN_KEYWORDS: dict[str, tuple[str, ...]] = {
    rule: _TH.get(rule, ()) + _EN.get(rule, ()) for rule in RULES
}

# Negation: a word of NEGATORS right before a keyword, or with only BRIDGES between them, in the same
# clause ("ไม่ได้มีควัน", "ไม่มีกลิ่นไหม้", "no smoke", "didn't smell any smoke").
NEGATORS = (
    "ไม่", "ไม่ได้", "ไม่มี", "ไม่เห็น", "ไม่เคย", "มิได้", "ไม่ใช่", "ไร้", "ปราศจาก", "ยังไม่",
    "no", "not", "never", "without", "none", "nor", "don't", "didn't", "doesn't", "isn't", "wasn't", "aren't",
    "weren't", "haven't", "hasn't", "hadn't",
)
BRIDGES = (
    "ได้", "มี", "เห็น", "เคย", "กลิ่น", "มีกลิ่น", "ได้กลิ่น", "ใช่", "เกิด", "อาการ", "มีอาการ", "ค่อย", "เป็น",
    "ได้ยิน", "ถึงขั้น", "ถึง", "any", "a", "an", "the", "sign", "signs", "of", "smell", "smelled", "there",
    "is", "was", "be", "been", "have", "has", "see", "seen", "saw", "notice", "noticed", "it", "did", "do",
    "really", "visible", "actual", "real",
)
# A thanks or a "resolved" followed by one of these is a polite opening, not a closing ("ขอบคุณค่ะ แต่ …").
CONTRAST = ("แต่", "แต่ว่า", "ทว่า", "ยกเว้น", "but", "however", "although", "though")

# "สองอาทิตย์", "10 days", "เป็นเดือน", "over a month": a number (or a word that stands for one) right
# before a unit of time. A wait of LONG_WAIT_DAYS or more, with a "waiting" word or an order keyword in
# the message, counts as a very late order.
LONG_WAIT_DAYS = 7
DURATION_UNITS = {
    "วัน": 1, "อาทิตย์": 7, "สัปดาห์": 7, "เดือน": 30, "ปี": 365,
    "day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365,
}
NUMBER_WORDS = {
    "หนึ่ง": 1, "นึง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5, "หก": 6, "เจ็ด": 7, "แปด": 8, "เก้า": 9,
    "สิบ": 10, "ยี่สิบ": 20, "สามสิบ": 30, "สี่สิบ": 40, "ห้าสิบ": 50, "เป็น": 1, "เกือบ": 1, "หลาย": 3,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "couple": 2, "few": 3, "several": 3, "last": 1,
}
# "เดือนที่แล้ว" (last month): a unit followed by one of these counts as one of it.
AGO = ("ที่แล้ว", "ก่อน")
