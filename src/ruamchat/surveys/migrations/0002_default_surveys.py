"""The three surveys every installation starts with (texts editable in Administration → Surveys), and the
default comment topics. CSAT is asked on no channel until an administrator chooses the channels."""

from django.db import migrations

SURVEYS = [
    {
        "kind": "csat", "name": "CSAT", "quiet_days": 1, "active": True,
        "question_th": "คุณพอใจกับการให้บริการของเราในครั้งนี้แค่ไหนคะ",
        "question_en": "How satisfied are you with the help you received?",
        "low_label_th": "ไม่พอใจมาก", "low_label_en": "Very dissatisfied",
        "high_label_th": "พอใจมาก", "high_label_en": "Very satisfied",
        "followup_th": "มีอะไรอยากบอกเราเพิ่มเติมไหมคะ", "followup_en": "Is there anything you would like to tell us?",
        "thanks_th": "ขอบคุณสำหรับความคิดเห็นค่ะ 🙏", "thanks_en": "Thank you for your feedback!",
    },
    {
        "kind": "nps", "name": "NPS", "quiet_days": 90, "active": True,
        "question_th": "คุณมีแนวโน้มจะแนะนำเราให้เพื่อนหรือคนรู้จักมากน้อยแค่ไหน",
        "question_en": "How likely are you to recommend us to a friend or colleague?",
        "low_label_th": "ไม่แนะนำเลย", "low_label_en": "Not at all likely",
        "high_label_th": "แนะนำแน่นอน", "high_label_en": "Extremely likely",
        "followup_th": "เหตุผลหลักที่ให้คะแนนนี้คืออะไรคะ", "followup_en": "What is the main reason for your score?",
        "thanks_th": "ขอบคุณที่สละเวลาตอบแบบสอบถามค่ะ", "thanks_en": "Thank you for taking the time to answer.",
    },
    {
        "kind": "ces", "name": "CES", "quiet_days": 7, "active": True,
        "question_th": "การแก้ปัญหาของคุณกับเราในครั้งนี้ง่ายแค่ไหน",
        "question_en": "How easy was it to get your issue resolved?",
        "low_label_th": "ยากมาก", "low_label_en": "Very difficult",
        "high_label_th": "ง่ายมาก", "high_label_en": "Very easy",
        "followup_th": "มีอะไรที่เราทำให้ง่ายขึ้นได้บ้างคะ", "followup_en": "What could we have made easier?",
        "thanks_th": "ขอบคุณค่ะ เราจะนำไปปรับปรุงให้ดีขึ้น", "thanks_en": "Thank you. We will use this to improve.",
    },
]


def create(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    Topic = apps.get_model("surveys", "Topic")
    for values in SURVEYS:
        if not Survey.objects.filter(kind=values["kind"]).exists():
            Survey.objects.create(**values)
    from ruamchat.surveys.topics import DEFAULT_TOPICS

    for topic in DEFAULT_TOPICS:
        Topic.objects.get_or_create(key=topic["key"], defaults={
            "name_th": topic["name_th"], "name_en": topic["name_en"], "keywords": "\n".join(topic["keywords"])})


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
