"""Reads of the knowledge base: listings for editors, the help center's pages, search, suggestions, export."""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from ruamchat.accounts.selectors import profile_for
from ruamchat.core.text import detect_language
from ruamchat.inbox.models import Conversation, Message
from ruamchat.kb.models import Article, ArticleAttachment, Category, HelpCenter, SearchWord, SynonymSet
from ruamchat.kb.search import engine

logger = logging.getLogger("ruamchat.kb")
AnyUser = User | AnonymousUser
Status = Article.Status
SUGGESTION_MESSAGES = 3  # the customer's last messages a suggestion reads


def is_agent(user: AnyUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and profile_for(user).pk is not None)


def help_center() -> HelpCenter:
    """The help center's settings; the defaults (unsaved) until an administrator saves them."""
    found = HelpCenter.objects.select_related("chat_channel").first()
    return found if found is not None else HelpCenter()


# -- editors ------------------------------------------------------------------------------------------------

def articles_for_editors(*, language: str = "", status: str = "", category: int | None = None,
                         query: str = "") -> QuerySet[Article]:
    articles = Article.objects.select_related("category", "updated_by")
    if language:
        articles = articles.filter(language=language)
    if status:
        articles = articles.filter(status=status)
    if category:
        articles = articles.filter(category_id=category)
    if query:
        articles = articles.filter(Q(title__icontains=query) | Q(key__icontains=query) | Q(slug__icontains=query))
    return articles.order_by("category__position", "category_id", "position", "translation_key", "language")


def article_for_agents(user: AnyUser, article_id: int) -> Article | None:
    if not is_agent(user):
        return None
    return Article.objects.select_related("category").filter(pk=article_id).first()


def categories() -> QuerySet[Category]:
    return Category.objects.annotate(article_count=Count("articles")).order_by("position", "id")


def dictionary() -> tuple[QuerySet[SearchWord], QuerySet[SynonymSet]]:
    return SearchWord.objects.order_by("word"), SynonymSet.objects.order_by("id")


# -- the help center ----------------------------------------------------------------------------------------

def _public(language: str) -> QuerySet[Article]:
    return Article.objects.filter(language=language, status=Status.PUBLISHED, visibility=Article.Visibility.PUBLIC)


def public_categories(language: str) -> list[Category]:
    """Categories with at least one public article in ``language``, each with ``public_articles`` (first few)."""
    found: list[Category] = list(Category.objects.annotate(public_count=Count("articles", filter=Q(
        articles__language=language, articles__status=Status.PUBLISHED,
        articles__visibility=Article.Visibility.PUBLIC))).filter(public_count__gt=0).order_by("position", "id"))
    articles = _public(language).filter(category__in=found).order_by("position", "id")
    by_category: dict[int, list[Article]] = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    for category in found:
        category.public_articles = by_category.get(category.pk, [])  # type: ignore[attr-defined]
    return found


def public_category(language: str, slug: str) -> Category | None:
    lookup = {"slug_en": slug} if language == "en" else {"slug_th": slug}
    return Category.objects.filter(**lookup).first()


def public_articles_in(category: Category, language: str) -> QuerySet[Article]:
    return _public(language).filter(category=category).order_by("position", "id")


def public_article(language: str, slug: str, viewer: AnyUser | None = None) -> Article | None:
    """A published public article; agents also see drafts, archived and agent-only ones (with a banner)."""
    articles = Article.objects.filter(language=language, slug=slug).select_related("category")
    if not is_agent(viewer):
        articles = articles.filter(status=Status.PUBLISHED, visibility=Article.Visibility.PUBLIC)
    return articles.first()


def popular_articles(language: str, limit: int = 6) -> QuerySet[Article]:
    return _public(language).select_related("category").order_by("-views", "position", "id")[:limit]


def translation_of(article: Article, language: str, public_only: bool = True) -> Article | None:
    found = article.translations().filter(language=language)
    if public_only:
        found = found.filter(status=Status.PUBLISHED, visibility=Article.Visibility.PUBLIC)
    return found.first()


def article_path(article: Article) -> str:
    return reverse("help:article", kwargs={"language": article.language, "slug": article.slug})


def article_url(article: Article) -> str:
    """The absolute address of an article, as customers open it (RUAMCHAT_PUBLIC_URL)."""
    return settings.RUAMCHAT_PUBLIC_URL + article_path(article)


def sitemap_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=Status.PUBLISHED, visibility=Article.Visibility.PUBLIC).order_by("id")


def attachment_for(user: AnyUser | None, attachment_id: int, filename: str) -> ArticleAttachment | None:
    """A file anyone may fetch when its article is public and published; else only agents."""
    found = ArticleAttachment.objects.select_related("article").filter(pk=attachment_id, filename=filename).first()
    if found is None:
        return None
    if found.article.is_public or is_agent(user):
        return found
    return None


# -- search -------------------------------------------------------------------------------------------------

def search(user: AnyUser | None, query: str, *, language: str = "", limit: int = 10,
           offset: int = 0) -> engine.Result:
    """Published articles for ``query``; agents also find agent-only ones. ``language``: "th", "en" or both."""
    languages: Sequence[str] = (language,) if language in ("th", "en") else ("th", "en")
    return engine.search(query[:500], languages=languages, internal=is_agent(user), limit=limit, offset=offset)


def conversation_query(conversation: Conversation) -> str:
    """What the customer asked: the text of their last messages."""
    texts = list(
        Message.objects.filter(conversation=conversation, direction=Message.Direction.INCOMING, is_private=False)
        .exclude(text="").order_by("-created_at", "-id").values_list("text", flat=True)[:SUGGESTION_MESSAGES]
    )
    return " ".join(reversed(texts))[:1000]


def suggestions_for(user: AnyUser, conversation: Conversation, limit: int = 3) -> engine.Result:
    """Articles for the agent answering ``conversation``, in the customer's language."""
    query = conversation_query(conversation)
    if not query.strip():
        return engine.Result(query, [], [])
    return search(user, query, language=detect_language(query), limit=limit)


# -- export -------------------------------------------------------------------------------------------------

def export_knowledge_base(include_files: bool = True) -> dict[str, Any]:
    """The whole knowledge base as one JSON document (``actions.import_knowledge_base`` reads it back)."""
    out: dict[str, Any] = {
        "format": "ruamchat-kb", "version": 1, "exported_at": timezone.now().isoformat(),
        "categories": [], "articles": [],
        "dictionary": list(SearchWord.objects.order_by("word").values_list("word", flat=True)),
        "synonyms": [s.word_list for s in SynonymSet.objects.order_by("id")],
    }
    for category in Category.objects.order_by("position", "id"):
        out["categories"].append({
            "key": category.key, "position": category.position, "icon": category.icon,
            "names": {"th": category.name_th, "en": category.name_en},
            "descriptions": {"th": category.description_th, "en": category.description_en},
            "slugs": {"th": category.slug_th, "en": category.slug_en},
        })
    topics: dict[str, dict[str, Any]] = {}
    articles = Article.objects.select_related("category").prefetch_related("attachments").order_by(
        "category__position", "position", "id")
    for article in articles:
        topic = topics.setdefault(str(article.translation_key), {
            "key": article.key, "category": article.category.key, "position": article.position,
            "visibility": article.visibility, "versions": {},
        })
        version: dict[str, Any] = {
            "title": article.title, "slug": article.slug, "summary": article.summary, "keywords": article.keywords,
            "status": article.status, "body": article.body,
            "updated_at": article.updated_at.isoformat(), "views": article.views,
            "helpful": {"yes": article.helpful_yes, "no": article.helpful_no},
        }
        if include_files:
            files = (_attachment(a) for a in article.attachments.all())
            version["attachments"] = [item for item in files if item is not None]
        topic["versions"][article.language] = version
    out["articles"] = list(topics.values())
    return out


def _attachment(attachment: ArticleAttachment) -> dict[str, Any] | None:
    """The file as base64; None (left out, logged) when it is gone from storage, so one lost file does not
    stop the export of everything else."""
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read()
    except OSError:
        logger.warning("knowledge-base file %s (%s) is missing from storage; left out of the export",
                       attachment.pk, attachment.filename)
        return None
    return {"filename": attachment.filename, "content_type": attachment.content_type,
            "content": base64.b64encode(content).decode("ascii")}
