"""The running totals of the search index (articles indexed, sum of each field's length), counted once for
entries indexed before the indexer kept them."""

from django.db import migrations
from django.db.models import Count, Sum

TOTALS = {"n": " n", "title": " title", "keywords": " keywords", "body": " body"}


def count(apps, schema_editor):
    SearchDocument = apps.get_model("kb", "SearchDocument")
    SearchTerm = apps.get_model("kb", "SearchTerm")
    row = SearchDocument.objects.aggregate(n=Count("id"), title=Sum("title_length"),
                                           keywords=Sum("keyword_length"), body=Sum("body_length"))
    for name, key in TOTALS.items():
        SearchTerm.objects.update_or_create(term=key, defaults={"df": row[name] or 0})


class Migration(migrations.Migration):
    dependencies = [("kb", "0002_fulltext")]

    operations = [migrations.RunPython(count, migrations.RunPython.noop)]
