"""Every change to the knowledge base. Each action checks who may do it, writes in one transaction, records a
revision where the text changed, and asks for the search index to be updated after commit (in the background)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.selectors import profile_for
from ruamchat.inbox.actions import check_upload
from ruamchat.jobs import queue
from ruamchat.kb.models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleRevision,
    Category,
    HelpCenter,
    SearchWord,
    SynonymSet,
    make_slug,
)
from ruamchat.kb.search import index, vocabulary

FORMAT = "ruamchat-kb"
LANGUAGE_CODES = ("th", "en")
TEXT_FIELDS = ("title", "summary", "body", "status")


def can_edit(user: User | None) -> bool:
    """Supervisors and administrators write the knowledge base; every agent reads it."""
    if user is None or not user.is_authenticated:
        return False
    profile = profile_for(user)
    return profile.pk is not None and profile.sees_everything


def _check_edit(actor: User | None) -> None:
    if actor is not None and not can_edit(actor):
        raise PermissionDenied(_("Only supervisors and administrators can change the knowledge base."))


def _index_later(article_id: int) -> None:
    queue.enqueue("kb.index_article", article_id=article_id)


def _vocabulary_changed() -> None:
    transaction.on_commit(vocabulary.forget)
    queue.enqueue("kb.reindex")


# -- categories ---------------------------------------------------------------------------------------------

def save_category(*, actor: User | None, category: Category | None = None, **fields: Any) -> Category:
    _check_edit(actor)
    category = category or Category()
    for name, value in fields.items():
        setattr(category, name, value.strip() if isinstance(value, str) else value)
    if not category.slug_th:
        category.slug_th = make_slug(category.name_th)
    if not category.slug_en:
        category.slug_en = make_slug(category.name_en or category.key or category.name_th)
    if not category.key:
        category.key = _unique_key(Category, category.slug_en, exclude=category.pk)
    if category.pk is None and "position" not in fields:
        category.position = (Category.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    category.full_clean()
    category.save()
    return category


def delete_category(*, actor: User | None, category: Category) -> None:
    _check_edit(actor)
    if category.articles.exists():
        raise ValidationError(_("Move or delete this category's articles first."))
    category.delete()


def move_category(*, actor: User | None, category: Category, step: int) -> None:
    """Move a category up (step −1) or down (+1) in the order the help center shows."""
    _check_edit(actor)
    with transaction.atomic():
        ordered = list(Category.objects.select_for_update().order_by("position", "id"))
        index = next(i for i, c in enumerate(ordered) if c.pk == category.pk)
        target = max(0, min(len(ordered) - 1, index + step))
        ordered.insert(target, ordered.pop(index))
        for position, item in enumerate(ordered, start=1):
            if item.position != position:
                Category.objects.filter(pk=item.pk).update(position=position)


def _unique_key(model: type[Category] | type[Article], base: str, exclude: int | None = None) -> str:
    excluded = {"pk": exclude} if exclude is not None else {}
    base = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "-") else "-" for ch in base.lower()).strip("-")
    base = base[:60] or "item"
    key, number = base, 1
    while model.objects.filter(key=key).exclude(**excluded).exists():
        number += 1
        key = f"{base}-{number}"
    return key


# -- articles -----------------------------------------------------------------------------------------------

def _unique_slug(language: str, wanted: str, exclude: int | None) -> str:
    slug, number = wanted, 1
    excluded = {"pk": exclude} if exclude is not None else {}
    while Article.objects.filter(language=language, slug=slug).exclude(**excluded).exists():
        number += 1
        slug = f"{wanted}-{number}"
    return slug


def _revise(article: Article, actor: User | None, note: str = "") -> ArticleRevision:
    number = (article.revisions.aggregate(top=Max("number"))["top"] or 0) + 1
    return ArticleRevision.objects.create(
        article=article, number=number, title=article.title, summary=article.summary, body=article.body,
        status=article.status, author=actor, note=note[:200],
    )


def create_article(
    *, actor: User | None, language: str, category: Category, title: str, body: str = "", slug: str = "",
    summary: str = "", keywords: str = "", status: str = Article.Status.DRAFT,
    visibility: str = Article.Visibility.PUBLIC, translation_of: Article | None = None, key: str = "",
    position: int | None = None, note: str = "",
) -> Article:
    """A new article; ``translation_of``: the same topic in another language (one version per language)."""
    _check_edit(actor)
    if translation_of is not None:
        if translation_of.translations().filter(language=language).exists() or translation_of.language == language:
            raise ValidationError(_("This article already has a version in that language."))
        key = translation_of.key
    with transaction.atomic():
        article = Article(
            language=language, category=category, title=title.strip(), body=body.replace("\r\n", "\n"),
            summary=summary.strip(), keywords=keywords.strip(), status=status, visibility=visibility,
            author=actor, updated_by=actor,
        )
        if translation_of is not None:
            article.translation_key = translation_of.translation_key
        article.key = key or _unique_key(Article, make_slug(title) if language == "en" else "article")
        article.slug = _unique_slug(language, slug.strip() or make_slug(title), None)
        if position is None:
            top = Article.objects.filter(category=category, language=language).aggregate(top=Max("position"))
            position = (top["top"] or 0) + 1
        article.position = position
        if status == Article.Status.PUBLISHED:
            article.published_at = timezone.now()
        article.full_clean()
        article.save()
        _revise(article, actor, note or _("Created"))
        _index_later(article.pk)
    return article


def update_article(*, actor: User | None, article: Article, note: str = "", **changes: Any) -> Article:
    """Change an article; a new revision when its title, summary, text or status changed."""
    _check_edit(actor)
    with transaction.atomic():
        before = {name: getattr(article, name) for name in TEXT_FIELDS}
        for name, value in changes.items():
            if name == "body" and isinstance(value, str):
                value = value.replace("\r\n", "\n")
            setattr(article, name, value.strip() if isinstance(value, str) and name != "body" else value)
        if "slug" in changes:
            article.slug = _unique_slug(article.language, article.slug or make_slug(article.title), article.pk)
        if article.status == Article.Status.PUBLISHED and article.published_at is None:
            article.published_at = timezone.now()
        article.updated_by = actor
        article.full_clean()
        article.save()
        if any(getattr(article, name) != before[name] for name in TEXT_FIELDS):
            _revise(article, actor, note)
        if "visibility" in changes or "category" in changes:  # translations share who may read them
            article.translations().update(visibility=article.visibility)
            for other in article.translations().values_list("pk", flat=True):
                _index_later(other)
        _index_later(article.pk)
    return article


def restore_revision(*, actor: User | None, article: Article, revision: ArticleRevision) -> Article:
    if revision.article_id != article.pk:
        raise ValidationError(_("That revision belongs to another article."))
    return update_article(actor=actor, article=article, title=revision.title, summary=revision.summary,
                          body=revision.body, note=_("Restored revision %(number)s") % {"number": revision.number})


def delete_article(*, actor: User | None, article: Article) -> None:
    _check_edit(actor)
    with transaction.atomic():
        article_id = article.pk
        files = [attachment.file for attachment in article.attachments.all()]
        transaction.on_commit(lambda: [file.delete(save=False) for file in files])
        # its index entry goes with it (the row would cascade, but its words' document frequencies must follow)
        index.remove_article(article_id)
        article.delete()


def add_attachment(*, actor: User | None, article: Article, upload: UploadedFile) -> ArticleAttachment:
    _check_edit(actor)
    check_upload(upload)
    content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
    filename = (upload.name or "file").replace("\\", "/").rsplit("/", 1)[-1][:200] or "file"
    attachment = ArticleAttachment(article=article, filename=filename, content_type=content_type,
                                   size=upload.size or 0, uploaded_by=actor)
    attachment.file.save(filename, upload, save=False)
    attachment.save()
    return attachment


def delete_attachment(*, actor: User | None, attachment: ArticleAttachment) -> None:
    _check_edit(actor)
    attachment.file.delete(save=False)
    attachment.delete()


# -- readers ------------------------------------------------------------------------------------------------

def record_view(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


def reader_id(cookie_value: str) -> str:
    """A keyed digest of the reader's random cookie: enough to count one vote per reader, nothing personal."""
    return hmac.new(settings.SECRET_KEY.encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


def record_feedback(*, article: Article, reader: str, helpful: bool) -> None:
    """"Was this helpful?": one answer per reader and article; a second answer replaces the first."""
    with transaction.atomic():
        found = ArticleFeedback.objects.select_for_update().filter(article=article, reader=reader).first()
        if found is not None and found.helpful == helpful:
            return
        counts: dict[str, Any] = {}
        if found is not None:
            counts["helpful_yes" if found.helpful else "helpful_no"] = F(
                "helpful_yes" if found.helpful else "helpful_no") - 1
            found.helpful = helpful
            found.save(update_fields=["helpful", "updated_at"])
        else:
            ArticleFeedback.objects.create(article=article, reader=reader, helpful=helpful)
        field = "helpful_yes" if helpful else "helpful_no"
        counts[field] = F(field) + 1
        Article.objects.filter(pk=article.pk).update(**counts)


# -- the help center ----------------------------------------------------------------------------------------

def save_help_center(*, actor: User | None, **fields: Any) -> HelpCenter:
    """The help center's settings (one row): names, on or off, the website chat shown on every page."""
    if actor is not None and not profile_for(actor).is_admin:
        raise PermissionDenied(_("Only administrators can configure the help center."))
    center = HelpCenter.objects.first() or HelpCenter()
    for name, value in fields.items():
        setattr(center, name, value)
    if center.chat_channel is not None and center.chat_channel.kind != "website":
        raise ValidationError(_("The help center can show only a website chat."))
    center.full_clean()
    center.save()
    return center


# -- the business's words -----------------------------------------------------------------------------------

def add_word(*, actor: User | None, word: str) -> SearchWord:
    _check_edit(actor)
    word = " ".join(word.split())
    if not word:
        raise ValidationError(_("Type a word."))
    found, _created = SearchWord.objects.get_or_create(word=word[:80])
    _vocabulary_changed()
    return found


def remove_word(*, actor: User | None, word: SearchWord) -> None:
    _check_edit(actor)
    word.delete()
    _vocabulary_changed()


def save_synonyms(*, actor: User | None, words: str, synonyms: SynonymSet | None = None) -> SynonymSet:
    _check_edit(actor)
    parts = [" ".join(word.split()) for word in words.replace("，", ",").split(",")]
    parts = list(dict.fromkeys(part for part in parts if part))
    if len(parts) < 2:
        raise ValidationError(_("Give at least two words that mean the same, separated by commas."))
    synonyms = synonyms or SynonymSet()
    synonyms.words = ", ".join(parts)
    synonyms.full_clean()
    synonyms.save()
    _vocabulary_changed()
    return synonyms


def delete_synonyms(*, actor: User | None, synonyms: SynonymSet) -> None:
    _check_edit(actor)
    synonyms.delete()
    _vocabulary_changed()


# -- import -------------------------------------------------------------------------------------------------

def import_knowledge_base(*, actor: User | None, data: Any) -> dict[str, int]:
    """Load an export (``selectors.export_knowledge_base``): categories and articles are matched by key (and
    language) and updated, or created; nothing absent from the file is deleted. All or nothing."""
    _check_edit(actor)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(_("This is not a ruamchat knowledge-base export."))
    categories = data.get("categories") or []
    articles = data.get("articles") or []
    if not isinstance(categories, list) or not isinstance(articles, list):
        raise ValidationError(_("This is not a ruamchat knowledge-base export."))
    counts = {"categories": 0, "articles_created": 0, "articles_updated": 0, "attachments": 0}
    with transaction.atomic():
        by_key = {}
        for number, item in enumerate(categories, start=1):
            by_key[str(item.get("key") or "")] = _import_category(actor, item, number)
            counts["categories"] += 1
        for number, item in enumerate(articles, start=1):
            _import_topic(actor, item, number, by_key, counts)
        SearchWord.objects.bulk_create(
            [SearchWord(word=str(word)[:80]) for word in data.get("dictionary") or [] if str(word).strip()],
            ignore_conflicts=True)
        known = set(SynonymSet.objects.values_list("words", flat=True))
        for line in data.get("synonyms") or []:
            words = ", ".join(str(word).strip() for word in line if str(word).strip()) if isinstance(
                line, list) else str(line)
            if words and words not in known:
                save_synonyms(actor=actor, words=words)
        _vocabulary_changed()
    return counts


def _fail(what: str, number: int, exc: ValidationError) -> ValidationError:
    return ValidationError(_("%(what)s %(number)s: %(problem)s") % {
        "what": what, "number": number, "problem": " ".join(exc.messages)})


def _text(item: dict[str, Any], name: str, language: str) -> str:
    value = item.get(name) or {}
    return str(value.get(language) or "") if isinstance(value, dict) else ""


def _import_category(actor: User | None, item: Any, number: int) -> Category:
    if not isinstance(item, dict) or not item.get("key"):
        raise ValidationError(_("Category %(number)s has no key.") % {"number": number})
    found = Category.objects.filter(key=str(item["key"])).first()
    fields: dict[str, Any] = {
        "key": str(item["key"]), "icon": str(item.get("icon") or ""),
        "name_th": _text(item, "names", "th") or _text(item, "names", "en"), "name_en": _text(item, "names", "en"),
        "description_th": _text(item, "descriptions", "th"), "description_en": _text(item, "descriptions", "en"),
        "slug_th": _text(item, "slugs", "th"), "slug_en": _text(item, "slugs", "en"),
    }
    if "position" in item:
        fields["position"] = int(item.get("position") or 0)
    try:
        return save_category(actor=actor, category=found, **fields)
    except ValidationError as exc:
        raise _fail(_("Category"), number, exc) from exc


def _import_topic(actor: User | None, item: Any, number: int, categories: dict[str, Category],
                  counts: dict[str, int]) -> None:
    if not isinstance(item, dict) or not item.get("key") or not isinstance(item.get("versions"), dict):
        raise ValidationError(_("Article %(number)s has no key or no versions.") % {"number": number})
    category = categories.get(str(item.get("category"))) or Category.objects.filter(
        key=str(item.get("category"))).first()
    if category is None:
        raise ValidationError(_("Article %(number)s: unknown category %(key)s.") % {
            "number": number, "key": item.get("category")})
    key = str(item["key"])
    visibility = str(item.get("visibility") or Article.Visibility.PUBLIC)
    existing = {a.language: a for a in Article.objects.filter(key=key)}
    first: Article | None = next(iter(existing.values()), None)
    for language, version in item["versions"].items():
        if language not in LANGUAGE_CODES or not isinstance(version, dict):
            raise ValidationError(_("Article %(number)s: unknown language %(language)s.") % {
                "number": number, "language": language})
        fields: dict[str, Any] = {
            "title": str(version.get("title") or ""), "body": str(version.get("body") or ""),
            "summary": str(version.get("summary") or ""), "keywords": str(version.get("keywords") or ""),
            "status": str(version.get("status") or Article.Status.DRAFT), "visibility": visibility,
            "category": category, "slug": str(version.get("slug") or ""),
            "position": int(item.get("position") or 0),
        }
        try:
            if language in existing:
                update_article(actor=actor, article=existing[language], note=_("Imported"), **fields)
                counts["articles_updated"] += 1
                article = existing[language]
            else:
                article = create_article(actor=actor, language=language, key=key, translation_of=first,
                                         note=_("Imported"), **fields)
                counts["articles_created"] += 1
        except ValidationError as exc:
            raise _fail(_("Article"), number, exc) from exc
        first = first or article
        for attachment in version.get("attachments") or []:
            counts["attachments"] += _import_attachment(actor, article, attachment)


def _import_attachment(actor: User | None, article: Article, item: Any) -> bool:
    """Adds the file unless the article already has it (same name and size); returns whether it was added."""
    try:
        content = base64.b64decode(str(item.get("content") or ""), validate=True)
    except (binascii.Error, ValueError, AttributeError) as exc:
        raise ValidationError(_("An attachment of %(title)s is not valid base64.") % {"title": article.title}) from exc
    upload = ContentFile(content, name=str(item.get("filename") or "file"))
    upload.content_type = str(item.get("content_type") or "application/octet-stream")  # type: ignore[attr-defined]
    if article.attachments.filter(filename=upload.name, size=len(content)).exists():
        return False
    add_attachment(actor=actor, article=article, upload=upload)  # type: ignore[arg-type]
    return True


def new_reader_cookie() -> str:
    return uuid.uuid4().hex
