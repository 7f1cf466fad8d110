"""Knowledge-base content (categories, articles, revisions, files, feedback) and its search index.

An article is one language version; versions of the same topic share a ``translation_key``. Only published
articles are in the search index (``SearchDocument``); the index keeps the segmented terms, so ranking and
the same top results do not depend on the database.
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

LANGUAGES = (("th", "ไทย"), ("en", "English"))
_NOT_SLUG = re.compile(r"[^0-9a-z\u0e01-\u0e4e]+")
validate_slug = RegexValidator(
    r"^[0-9a-z\u0e01-\u0e4e]+(?:-[0-9a-z\u0e01-\u0e4e]+)*\Z",
    _("Use Thai or lower-case English letters, digits and single hyphens."),
)


def make_slug(text: str, limit: int = 80) -> str:
    """An address from a title that keeps Thai readable ("ผ่อน 0% นาน 10 เดือน" → "ผ่อน-0-นาน-10-เดือน").
    Django's ``slugify`` drops Thai vowels and tone marks, so it cannot be used."""
    slug = _NOT_SLUG.sub("-", unicodedata.normalize("NFC", text).lower()).strip("-")
    return slug[:limit].rstrip("-") or "article"


def attachment_path(instance: ArticleAttachment, filename: str) -> str:
    return f"kb/{uuid.uuid4().hex}/{filename}"


class Category(models.Model):
    position = models.PositiveIntegerField(_("position"), default=0)
    icon = models.CharField(_("icon"), max_length=8, blank=True, help_text=_("An emoji shown beside the name."))
    name_th = models.CharField(_("name (Thai)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    description_th = models.CharField(_("description (Thai)"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    slug_th = models.CharField(_("address (Thai)"), max_length=120, unique=True, validators=[validate_slug])
    slug_en = models.CharField(_("address (English)"), max_length=120, unique=True, validators=[validate_slug])
    #: a stable name used by import and export
    key = models.SlugField(_("key"), max_length=80, unique=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_th

    def name(self, language: str) -> str:
        return (self.name_en if language == "en" else self.name_th) or self.name_th

    def description(self, language: str) -> str:
        return self.description_en if language == "en" else self.description_th

    def slug(self, language: str) -> str:
        return self.slug_en if language == "en" else self.slug_th


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Agents only")

    translation_key = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    #: a stable name of the topic, shared by its language versions, used by import and export
    key = models.SlugField(_("key"), max_length=80, db_index=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES, default="th")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles",
                                 verbose_name=_("category"))
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    slug = models.CharField(_("address"), max_length=200, validators=[validate_slug])
    summary = models.CharField(_("summary"), max_length=300, blank=True,
                               help_text=_("One sentence, shown in lists and search results and to search engines."))
    body = models.TextField(_("text (Markdown)"), blank=True)
    keywords = models.CharField(_("search keywords"), max_length=300, blank=True,
                                help_text=_("Other words customers use for this topic, separated by commas."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(_("who can read it"), max_length=16, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category__position", "position", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="kb_article_slug_per_language"),
            models.UniqueConstraint(fields=["translation_key", "language"], name="kb_article_one_per_language"),
        ]
        indexes = [models.Index(fields=["language", "status", "visibility"], name="kb_article_listing")]

    def __str__(self) -> str:
        return self.title

    def translations(self) -> models.QuerySet[Article]:
        """The other language versions of this topic."""
        return Article.objects.filter(translation_key=self.translation_key).exclude(pk=self.pk)

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.visibility == self.Visibility.PUBLIC

    @property
    def helpful_share(self) -> float | None:
        votes = self.helpful_yes + self.helpful_no
        return self.helpful_yes / votes if votes else None


class ArticleRevision(models.Model):
    """What an article said after each save: restorable, compared in the history."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Article.Status.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number")]

    def __str__(self) -> str:
        return f"{self.article_id} #{self.number}"


class ArticleAttachment(models.Model):
    """A file or image of an article, linked from its Markdown as ``/help/files/<id>/<name>``."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=500)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}


class ArticleFeedback(models.Model):
    """One reader's "was this helpful?" answer; a second answer from the same reader changes the first."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    reader = models.CharField(max_length=64)  # a keyed digest of the reader's cookie, never the address
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "reader"], name="kb_feedback_once_per_reader")]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class SearchWord(models.Model):
    """A word of the business (a product or brand name) the Thai segmenter must keep whole."""

    word = models.CharField(_("word"), max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("dictionary word")
        verbose_name_plural = _("dictionary words")

    def __str__(self) -> str:
        return self.word


class SynonymSet(models.Model):
    """Words that mean the same to customers ("ผ่อน, แบ่งจ่าย"): a search for one finds the others."""

    words = models.CharField(_("words"), max_length=500, help_text=_("Separated by commas."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("synonyms")
        verbose_name_plural = _("synonyms")

    def __str__(self) -> str:
        return self.words

    @property
    def word_list(self) -> list[str]:
        return [word.strip() for word in self.words.split(",") if word.strip()]


class SearchDocument(models.Model):
    """An article as the search index holds it.

    ``title_terms``/``keyword_terms``/``body_terms``: the analysed terms, space-separated, as they are ranked;
    ``fts_*``: the same terms without Thai tone marks, which the database's full-text index (SQLite FTS5, or
    a PostgreSQL tsvector) reads. ``text``: the article as plain text, for passages and highlights.
    """

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="search_document")
    language = models.CharField(max_length=8)
    internal = models.BooleanField(default=False)
    title_terms = models.TextField(blank=True)
    keyword_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    fts_title = models.TextField(blank=True)
    fts_keywords = models.TextField(blank=True)
    fts_body = models.TextField(blank=True)
    title_length = models.PositiveIntegerField(default=0)
    keyword_length = models.PositiveIntegerField(default=0)
    body_length = models.PositiveIntegerField(default=0)
    #: "th public" / "en internal": the FTS filter on language and audience
    fts_scope = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)
    indexed_at = models.DateTimeField(auto_now=True)
    #: the dictionary the terms were segmented with; a changed dictionary re-indexes the others
    dictionary = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["language", "internal"], name="kb_doc_filter")]

    def __str__(self) -> str:
        return f"article {self.article_id}"


class SearchTerm(models.Model):
    """How many indexed articles hold a term (its document frequency), for BM25 and typo correction."""

    term = models.CharField(max_length=200, unique=True)
    df = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.term} ({self.df})"


class HelpCenter(models.Model):
    """The public help center's settings (one row)."""

    name_th = models.CharField(_("name (Thai)"), max_length=120, default="ศูนย์ช่วยเหลือ")
    name_en = models.CharField(_("name (English)"), max_length=120, default="Help center")
    enabled = models.BooleanField(_("public"), default=True,
                                  help_text=_("Off: the help center answers 404 to everyone but agents."))
    chat_channel = models.ForeignKey("connectors.Channel", null=True, blank=True, on_delete=models.SET_NULL,
                                     limit_choices_to={"kind": "website"}, related_name="+",
                                     verbose_name=_("website chat shown on every page"))

    class Meta:
        verbose_name = _("help center")
        verbose_name_plural = _("help center")

    def __str__(self) -> str:
        return self.name_th

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_th
