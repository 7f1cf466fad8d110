"""The public help center: pages for customers, server-rendered, in the language of the address.

Every page works without JavaScript. Anonymous readers get cacheable pages; agents may also open drafts and
agent-only articles, which then carry a banner and ``noindex``. When the help center is switched off it
answers 404 to everyone but agents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ruamchat.connectors.models import Channel
from ruamchat.kb import actions, markdown, selectors
from ruamchat.kb.models import Article, Category, HelpCenter
from ruamchat.kb.search.engine import Hit

OTHER = {"th": "en", "en": "th"}
#: each language's own name, shown on the switch to it (not translated: a reader looks for their language)
LANGUAGE_NAMES = {"th": "ไทย", "en": "English"}
OG_LOCALES = {"th": "th_TH", "en": "en_US"}
PER_PAGE = 20
MAX_PAGE = 50
FIRST_ARTICLES = 5  # of each category on the home page
RELATED = 5
DESCRIPTION_CHARS = 160
PUBLIC_MAX_AGE = 60
FILE_MAX_AGE = 600
READER_COOKIE = "ruamchat_reader"
READER_COOKIE_AGE = 365 * 24 * 60 * 60
_READER = re.compile(r"[0-9a-f]{32}")
_ROBOTS = ("bot", "crawler", "spider")


@dataclass
class Visit:
    """Who is reading and how the help center is set up, for one request."""

    center: HelpCenter
    agent: bool
    chat: Channel | None


@dataclass
class CategoryCard:
    category: Category
    name: str
    description: str
    url: str
    articles: list[Article] = field(default_factory=list)
    count: int = 0


@dataclass
class SearchRow:
    hit: Hit
    url: str
    category: str
    internal: bool


def _visit(request: HttpRequest) -> Visit:
    center = selectors.help_center()
    agent = selectors.is_agent(request.user)
    if not center.enabled and not agent:
        raise Http404("the help center is off")
    channel = center.chat_channel
    chat = channel if channel is not None and channel.is_active and channel.kind == "website" else None
    return Visit(center=center, agent=agent, chat=chat)


def _absolute(path: str) -> str:
    return settings.RUAMCHAT_PUBLIC_URL + path


def _home_path(language: str) -> str:
    return reverse("help:home", kwargs={"language": language})


def _category_path(category: Category, language: str) -> str:
    return reverse("help:category", kwargs={"language": language, "slug": category.slug(language)})


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(DESCRIPTION_CHARS)


def _is_robot(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "").lower()
    return any(word in agent for word in _ROBOTS)


def _cache(request: HttpRequest, response: HttpResponse, *, shared: bool = True) -> HttpResponse:
    """Anonymous readers' pages may be kept a minute (``shared``: by any cache; else by the browser only);
    agents' pages never, as they may show drafts."""
    if request.user.is_authenticated:
        add_never_cache_headers(response)
    elif shared:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
    return response


def _page(request: HttpRequest, visit: Visit, language: str, template: str, *, title: str, description: str,
          canonical: str, alternates: dict[str, str], switch: str, og_type: str = "website",
          indexable: bool = True, shared_cache: bool = True, **context: Any) -> HttpResponse:
    """Render a page in ``language`` with its meta tags, the language switch and the chat bubble."""
    other = OTHER[language]
    if not visit.center.enabled:
        indexable = False  # only agents get here
    context.update({
        "language": language, "other_language": other, "other_language_name": LANGUAGE_NAMES[other],
        "center": visit.center, "center_name": visit.center.name(language), "agent": visit.agent,
        "chat": visit.chat, "page_title": title, "description": description, "canonical": _absolute(canonical),
        "alternates": [(code, _absolute(path)) for code, path in sorted(alternates.items())],
        "switch_url": switch, "og_type": og_type, "og_locale": OG_LOCALES[language], "indexable": indexable,
        "home_url": _home_path(language), "search_url": reverse("help:search", kwargs={"language": language}),
    })
    with translation.override(language):
        response = render(request, template, context)
    response["Content-Language"] = language
    return _cache(request, response, shared=shared_cache)


# -- pages --------------------------------------------------------------------------------------------------

@require_safe
def choose_language(request: HttpRequest) -> HttpResponse:
    _visit(request)
    # Django's own choice: the language cookie, else Accept-Language, else Thai (settings.LANGUAGE_CODE)
    response = redirect("help:home", language=translation.get_language_from_request(request))
    patch_vary_headers(response, ["Accept-Language"])
    return _cache(request, response)


@require_safe
def home(request: HttpRequest, language: str) -> HttpResponse:
    visit = _visit(request)
    cards = []
    for category in selectors.public_categories(language):
        articles: list[Article] = getattr(category, "public_articles", [])
        cards.append(CategoryCard(
            category=category, name=category.name(language), description=category.description(language),
            url=_category_path(category, language), articles=articles[:FIRST_ARTICLES], count=len(articles),
        ))
    name = visit.center.name(language)
    with translation.override(language):
        description = _short(_("%(name)s: answers about %(topics)s.") % {
            "name": name, "topics": ", ".join(card.name for card in cards)}) if cards else name
    home_paths = {code: _home_path(code) for code in OTHER}
    return _page(
        request, visit, language, "help/home.html", title=name, description=description,
        canonical=home_paths[language], alternates=home_paths, switch=home_paths[OTHER[language]],
        categories=cards, popular=list(selectors.popular_articles(language)),
    )


@require_safe
def category(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    visit = _visit(request)
    found = selectors.public_category(language, slug)
    if found is None:
        raise Http404("no such category")
    articles = list(selectors.public_articles_in(found, language))
    if not articles and not visit.agent:
        raise Http404("no public articles in this category")
    other = OTHER[language]
    path = _category_path(found, language)
    alternates = {language: path}
    switch = _home_path(other)
    if selectors.public_articles_in(found, other).exists():
        alternates[other] = switch = _category_path(found, other)
    name = found.name(language)
    return _page(
        request, visit, language, "help/category.html",
        title=f"{name} · {visit.center.name(language)}",
        description=_short(found.description(language) or name), canonical=path, alternates=alternates,
        switch=switch, indexable=bool(articles), category=found, category_name=name,
        category_description=found.description(language), articles=articles,
    )


@require_safe
def article(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    visit = _visit(request)
    found = selectors.public_article(language, slug, viewer=request.user)
    if found is None:
        raise Http404("no such article")
    voted = request.GET.get("voted") == "1"
    if request.method == "GET" and found.is_public and not voted and not _is_robot(request):
        actions.record_view(found)
    other = OTHER[language]
    translated = selectors.translation_of(found, other, public_only=not visit.agent)
    path = selectors.article_path(found)
    alternates = {language: path} if found.is_public else {}
    if translated is not None and translated.is_public and found.is_public:
        alternates[other] = selectors.article_path(translated)
    body_html: SafeString = mark_safe(markdown.render(found.body))  # noqa: S308 - sanitized by nh3
    related = list(selectors.public_articles_in(found.category, language).exclude(pk=found.pk)[:RELATED])
    banners = []
    with translation.override(language):
        if found.status == Article.Status.DRAFT:
            banners.append(_("Draft — customers cannot see this"))
        elif found.status == Article.Status.ARCHIVED:
            banners.append(_("Archived — customers cannot see this"))
        if found.visibility == Article.Visibility.INTERNAL:
            banners.append(_("Agents only — customers cannot see this"))
    return _page(
        request, visit, language, "help/article.html",
        title=f"{found.title} · {visit.center.name(language)}",
        description=_short(found.summary or markdown.plain_text(found.body) or found.title),
        canonical=path, alternates=alternates,
        switch=selectors.article_path(translated) if translated is not None else _home_path(other),
        og_type="article", indexable=found.is_public,
        # the feedback form holds a CSRF token tied to this reader's cookie: no shared cache may keep it
        shared_cache=False,
        article=found, body_html=body_html, translation=translated, banners=banners, voted=voted,
        edit_url=reverse("kb:edit", kwargs={"pk": found.pk}) if visit.agent else "",
        related=related, category_name=found.category.name(language),
        category_url=_category_path(found.category, language),
        feedback_url=reverse("help:feedback", kwargs={"language": language, "slug": found.slug}),
    )


@require_POST
def feedback(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    """"Was this helpful?" — one answer per reader (a random cookie), then back to the article (PRG)."""
    _visit(request)
    found = selectors.public_article(language, slug, viewer=request.user)
    if found is None:
        raise Http404("no such article")
    answer = request.POST.get("helpful", "")
    if answer not in ("yes", "no"):
        return HttpResponseBadRequest(b"helpful must be yes or no")
    cookie = request.COOKIES.get(READER_COOKIE, "")
    if not _READER.fullmatch(cookie):
        cookie = actions.new_reader_cookie()
    actions.record_feedback(article=found, reader=actions.reader_id(cookie), helpful=answer == "yes")
    response = redirect(selectors.article_path(found) + "?voted=1#feedback")
    response.set_cookie(READER_COOKIE, cookie, max_age=READER_COOKIE_AGE, path=reverse("help:root"),
                        httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    add_never_cache_headers(response)
    return response


def _page_number(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


@require_safe
def search(request: HttpRequest, language: str) -> HttpResponse:
    visit = _visit(request)
    query = " ".join(request.GET.get("q", "").split())[:200]
    page = _page_number(request.GET.get("page", "1"))
    rows: list[SearchRow] = []
    corrected: list[tuple[str, str]] = []
    has_next = False
    if query:
        # one more than a page: whether there is a next page, without counting every match
        result = selectors.search(request.user, query, language=language, limit=PER_PAGE + 1,
                                  offset=(page - 1) * PER_PAGE)
        has_next = len(result.hits) > PER_PAGE and page < MAX_PAGE
        corrected = result.corrected
        rows = [SearchRow(hit=hit, url=selectors.article_path(hit.article),
                          category=hit.article.category.name(language),
                          internal=hit.article.visibility == Article.Visibility.INTERNAL)
                for hit in result.hits[:PER_PAGE]]
    path = reverse("help:search", kwargs={"language": language})
    other_path = reverse("help:search", kwargs={"language": OTHER[language]})

    def link(base: str, number: int | None = None) -> str:
        params: dict[str, Any] = {"q": query} if query else {}
        if number and number > 1:
            params["page"] = number
        return f"{base}?{urlencode(params)}" if params else base

    with translation.override(language):
        title = (_("Search results for “%(query)s”") % {"query": query}) if query else _("Search")
    return _page(
        request, visit, language, "help/search.html",
        title=f"{title} · {visit.center.name(language)}", description=title,
        canonical=link(path, page), alternates={}, switch=link(other_path), indexable=False,
        query=query, rows=rows, corrected=corrected, page=page, first_number=(page - 1) * PER_PAGE + 1,
        previous_url=link(path, page - 1) if page > 1 else "", next_url=link(path, page + 1) if has_next else "",
        categories=[] if rows else [
            CategoryCard(category=c, name=c.name(language), description=c.description(language),
                         url=_category_path(c, language)) for c in selectors.public_categories(language)],
    )


# -- for machines: the sitemap and the files --------------------------------------------------------------

@dataclass
class SitemapEntry:
    loc: str
    lastmod: datetime | None
    alternates: list[tuple[str, str]]


def _sitemap_entries() -> list[SitemapEntry]:
    articles = list(selectors.sitemap_articles())
    versions: dict[Any, dict[str, Article]] = {}
    for item in articles:
        versions.setdefault(item.translation_key, {})[item.language] = item
    categories = {code: {c.pk: c for c in selectors.public_categories(code)} for code in OTHER}

    def latest(items: list[Article]) -> datetime | None:
        return max((a.updated_at for a in items), default=None)

    def alternates(paths: dict[str, str]) -> list[tuple[str, str]]:
        return [(code, _absolute(path)) for code, path in sorted(paths.items())] if len(paths) > 1 else []

    entries = []
    homes = {code: _home_path(code) for code in OTHER}
    for code in OTHER:
        entries.append(SitemapEntry(_absolute(homes[code]), latest(
            [a for a in articles if a.language == code]), alternates(homes)))
    for code, found in categories.items():
        for pk, topic in found.items():
            paths = {lang: _category_path(topic, lang) for lang in OTHER if pk in categories[lang]}
            entries.append(SitemapEntry(_absolute(paths[code]), latest(getattr(topic, "public_articles", [])),
                                        alternates(paths)))
    for item in articles:
        paths = {lang: selectors.article_path(version) for lang, version in versions[item.translation_key].items()}
        entries.append(SitemapEntry(_absolute(paths[item.language]), item.updated_at, alternates(paths)))
    return entries


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    _visit(request)
    with translation.override(settings.LANGUAGE_CODE):
        response = render(request, "help/sitemap.xml", {"entries": _sitemap_entries()},
                          content_type="application/xml; charset=utf-8")
    return _cache(request, response)


@require_safe
def attachment(request: HttpRequest, attachment_id: int, filename: str) -> FileResponse:
    """An article's file: images shown in the page, anything else downloaded; never sniffed or run."""
    _visit(request)
    found = selectors.attachment_for(request.user, attachment_id, filename)
    if found is None or not found.file:
        raise Http404("no such file")
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404("file missing") from None
    response = FileResponse(handle, content_type=found.content_type or "application/octet-stream",
                            as_attachment=not found.is_image, filename=found.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if found.article.is_public and not request.user.is_authenticated:
        patch_cache_control(response, public=True, max_age=FILE_MAX_AGE)
    else:
        add_never_cache_headers(response)
    return response
