"""The knowledge base: every agent searches and reads it; supervisors and administrators write it."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status as WithStatus

from ruamchat.api.common import caller, found, page, responses
from ruamchat.api.schemas import (
    KbArticleDetailOut,
    KbArticleFilter,
    KbArticleIn,
    KbArticlePage,
    KbArticlePatch,
    KbAttachmentOut,
    KbCategoryIn,
    KbCategoryOut,
    KbCategoryPatch,
    KbExport,
    KbImportOut,
    KbRevisionOut,
    KbSearchFilter,
    KbSearchOut,
    KbSynonymsIn,
    KbSynonymsOut,
    KbWordIn,
    KbWordOut,
)
from ruamchat.kb import actions, selectors
from ruamchat.kb.models import Article, ArticleAttachment, ArticleRevision, Category, SearchWord, SynonymSet

router = Router(tags=["knowledge base"])

_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/KbExport"}}},
    }
}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                },
                "encoding": {"file": {"contentType": ", ".join(settings.RUAMCHAT["UPLOAD_CONTENT_TYPES"])}},
            }
        },
    }
}


# ---------------------------------------------------------------- who, and what they may see


def _reader(request: HttpRequest) -> User:
    """Every agent reads the knowledge base (drafts and agent-only articles too)."""
    user = caller(request)
    if not selectors.is_agent(user):
        raise PermissionDenied(_("Only agents can read the knowledge base."))
    return user


def _editor(request: HttpRequest) -> User:
    """Checked before looking anything up, so that agents learn nothing from the answer."""
    user = caller(request)
    if not actions.can_edit(user):
        raise PermissionDenied(_("Only supervisors and administrators can change the knowledge base."))
    return user


def _article(request: HttpRequest, article_id: int) -> Article:
    return found(selectors.article_for_agents(caller(request), article_id), _("Article not found."))


def _category(category_id: int) -> Category:
    return found(selectors.categories().filter(pk=category_id).first(), _("Category not found."))


def _category_field(category_id: int) -> Category:
    category = selectors.categories().filter(pk=category_id).first()
    if category is None:
        raise ValidationError(
            {"category_id": _("There is no category with the id %(id)s.") % {"id": category_id}})
    return category


def _fresh_category(category: Category) -> Category:
    return _category(category.pk)


def _fresh_article(request: HttpRequest, article: Article) -> Article:
    return _article(request, article.pk)


def _upload(request: HttpRequest) -> UploadedFile:
    """The multipart field ``file`` (read here, so that a broken multipart body is a 400 like any other)."""
    missing = ValidationError({"file": [_("Send the file as multipart/form-data, in the field file.")]})
    try:
        upload = request.FILES.get("file")
    except MultiPartParserError:
        raise missing from None
    if upload is None:
        raise missing
    return upload


def _object_body(request: HttpRequest) -> None:
    """A change is a JSON object; ninja would read any other JSON value as "nothing to change"."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValidationError(_("The request body must be a JSON object."))


# ---------------------------------------------------------------- search


@router.get("/kb/search", response=responses(KbSearchOut, errors=(400,)), summary="Search the knowledge base")
def search(request: HttpRequest, filters: Query[KbSearchFilter]) -> dict[str, Any]:
    """Published articles, best first, with the matched words marked; agents also find agent-only ones
    (`internal`: never send those to a customer). Thai is found inside sentences, without tone marks,
    through the business's synonyms and despite small typing mistakes (see `corrected`)."""
    query = filters.q.strip()
    if not query:
        raise ValidationError({"q": [_("Type what to search for.")]})
    result = selectors.search(caller(request), query, language=filters.lang, limit=filters.limit,
                              offset=filters.offset)
    return {
        "query": query,
        "corrected": [{"typed": typed, "searched": searched} for typed, searched in result.corrected],
        "results": [
            {
                "id": hit.article_id, "title": hit.article.title, "language": hit.article.language,
                "category": {"id": hit.article.category_id, "key": hit.article.category.key,
                             "name": hit.article.category.name(hit.article.language)},
                "url": selectors.article_url(hit.article),
                "internal": hit.article.visibility == Article.Visibility.INTERNAL,
                "score": hit.score, "title_html": str(hit.title_html), "snippet_html": str(hit.snippet_html),
                "summary": hit.article.summary,
            }
            for hit in result.hits
        ],
    }


# ---------------------------------------------------------------- categories


@router.get("/kb/categories", response=responses(list[KbCategoryOut], errors=(403,)),
            summary="List knowledge-base categories in order")
def list_categories(request: HttpRequest) -> list[Category]:
    _reader(request)
    return list(selectors.categories())


@router.post("/kb/categories", response=responses(KbCategoryOut, 201, errors=(400, 403)),
             summary="Add a category (supervisors, administrators)")
def create_category(request: HttpRequest, payload: KbCategoryIn) -> WithStatus[Category]:
    fields = payload.model_dump(exclude_none=True)
    category = actions.save_category(actor=_editor(request), **fields)
    return WithStatus(201, _fresh_category(category))


@router.patch("/kb/categories/{category_id}", response=responses(KbCategoryOut, errors=(400, 403, 404)),
              summary="Change a category (supervisors, administrators)")
def update_category(request: HttpRequest, category_id: int, payload: KbCategoryPatch) -> Category:
    actor = _editor(request)
    _object_body(request)
    category = _category(category_id)
    fields = payload.model_dump(exclude_unset=True, exclude_none=True)
    return _fresh_category(actions.save_category(actor=actor, category=category, **fields))


@router.delete("/kb/categories/{category_id}", response=responses(None, 204, errors=(400, 403, 404)),
               summary="Delete an empty category (supervisors, administrators)")
def delete_category(request: HttpRequest, category_id: int) -> WithStatus[None]:
    """A category that still has articles is refused (400): move or delete them first."""
    actor = _editor(request)
    actions.delete_category(actor=actor, category=_category(category_id))
    return WithStatus(204, None)


# ---------------------------------------------------------------- articles


@router.get("/kb/articles", response=responses(KbArticlePage, errors=(400, 403)),
            summary="List articles, every language and status")
def list_articles(request: HttpRequest, filters: Query[KbArticleFilter]) -> dict[str, Any]:
    _reader(request)
    articles = selectors.articles_for_editors(language=filters.lang, status=filters.status,
                                              category=filters.category, query=filters.q.strip())
    return page(articles, limit=filters.limit, offset=filters.offset)


@router.get("/kb/articles/{article_id}", response=responses(KbArticleDetailOut, errors=(400, 404)),
            summary="Get an article")
def get_article(request: HttpRequest, article_id: int) -> Article:
    return _article(request, article_id)


@router.post("/kb/articles", response=responses(KbArticleDetailOut, 201, errors=(400, 403)),
             summary="Write an article (supervisors, administrators)")
def create_article(request: HttpRequest, payload: KbArticleIn) -> WithStatus[Article]:
    """It is searchable a moment later, once the worker has indexed it (when published)."""
    actor = _editor(request)
    translation_of = None
    if payload.translation_of is not None:
        translation_of = selectors.article_for_agents(actor, payload.translation_of)
        if translation_of is None:
            raise ValidationError({"translation_of": _("There is no article with the id %(id)s.") % {
                "id": payload.translation_of}})
    article = actions.create_article(
        actor=actor, language=payload.language, category=_category_field(payload.category_id), title=payload.title,
        body=payload.body, slug=payload.slug, summary=payload.summary, keywords=payload.keywords,
        status=payload.status, visibility=payload.visibility, translation_of=translation_of,
    )
    return WithStatus(201, _fresh_article(request, article))


@router.patch("/kb/articles/{article_id}", response=responses(KbArticleDetailOut, errors=(400, 403, 404)),
              summary="Change an article (supervisors, administrators)")
def update_article(request: HttpRequest, article_id: int, payload: KbArticlePatch) -> Article:
    """Send only what changes. A changed title, summary, text or status is kept as a new revision."""
    actor = _editor(request)
    _object_body(request)
    article = _article(request, article_id)
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude_none=True)
    note = str(changes.pop("note", ""))
    if "category_id" in changes:
        changes["category"] = _category_field(changes.pop("category_id"))
    actions.update_article(actor=actor, article=article, note=note, **changes)
    return _fresh_article(request, article)


@router.delete("/kb/articles/{article_id}", response=responses(None, 204, errors=(400, 403, 404)),
               summary="Delete an article with its revisions and files (supervisors, administrators)")
def delete_article(request: HttpRequest, article_id: int) -> WithStatus[None]:
    actor = _editor(request)
    actions.delete_article(actor=actor, article=_article(request, article_id))
    return WithStatus(204, None)


@router.get("/kb/articles/{article_id}/revisions", response=responses(list[KbRevisionOut], errors=(400, 404)),
            summary="An article's revisions, newest first")
def list_revisions(request: HttpRequest, article_id: int) -> list[ArticleRevision]:
    article = _article(request, article_id)
    return list(article.revisions.select_related("author").order_by("-number"))


@router.post("/kb/articles/{article_id}/revisions/{number}/restore",
             response=responses(KbArticleDetailOut, errors=(400, 403, 404)),
             summary="Bring back an earlier revision's title, summary and text (supervisors, administrators)")
def restore_revision(request: HttpRequest, article_id: int, number: int) -> Article:
    """The restored text becomes a new revision; nothing is lost."""
    actor = _editor(request)
    article = _article(request, article_id)
    revision = found(article.revisions.filter(number=number).first(), _("Revision not found."))
    actions.restore_revision(actor=actor, article=article, revision=revision)
    return _fresh_article(request, article)


@router.post("/kb/articles/{article_id}/attachments", response=responses(KbAttachmentOut, 201, errors=(400, 403, 404)),
             openapi_extra=_UPLOAD_BODY, summary="Add a file or image to an article (supervisors, administrators)")
def add_attachment(request: HttpRequest, article_id: int) -> WithStatus[ArticleAttachment]:
    """Send `multipart/form-data` with the field `file`; link it from the Markdown with its `url`."""
    actor = _editor(request)
    article = _article(request, article_id)
    return WithStatus(201, actions.add_attachment(actor=actor, article=article, upload=_upload(request)))


@router.delete("/kb/attachments/{attachment_id}", response=responses(None, 204, errors=(400, 403, 404)),
               summary="Delete an article's file (supervisors, administrators)")
def delete_attachment(request: HttpRequest, attachment_id: int) -> WithStatus[None]:
    actor = _editor(request)
    attachment = found(ArticleAttachment.objects.filter(pk=attachment_id).first(), _("File not found."))
    actions.delete_attachment(actor=actor, attachment=attachment)
    return WithStatus(204, None)


# ---------------------------------------------------------------- export and import


@router.get("/kb/export", response=responses(KbExport, errors=(403,)),
            summary="Export the whole knowledge base as JSON (supervisors, administrators)")
def export_knowledge_base(request: HttpRequest) -> dict[str, Any]:
    """Categories, every article in every language and status with its files (base64), the dictionary and
    the synonyms: a backup, or the way to move the knowledge base to another ruamchat."""
    _editor(request)
    return selectors.export_knowledge_base()


@router.post("/kb/import", response=responses(KbImportOut, errors=(400, 403, 413)), openapi_extra=_IMPORT_BODY,
             summary="Import an export (supervisors, administrators)")
def import_knowledge_base(request: HttpRequest) -> dict[str, int]:
    """Categories and articles are matched by key (and language) and updated, or created; nothing missing
    from the document is deleted. All or nothing: on a 400 nothing has changed."""
    actor = _editor(request)
    try:
        raw = request.body
    except RequestDataTooBig:
        raise HttpError(413, _("The document is too large to import in one request.")) from None
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise ValidationError(_("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ValidationError(_("This is not a ruamchat knowledge-base export."))
    document = KbExport.model_validate(data)
    return actions.import_knowledge_base(actor=actor, data=document.model_dump(exclude_unset=True))


# ---------------------------------------------------------------- the business's words


@router.get("/kb/dictionary/words", response=responses(list[KbWordOut], errors=(403,)),
            summary="List the dictionary: words the Thai search keeps whole")
def list_words(request: HttpRequest) -> list[SearchWord]:
    _reader(request)
    return list(selectors.dictionary()[0])


@router.post("/kb/dictionary/words", response=responses(KbWordOut, 201, errors=(400, 403)),
             summary="Add a word to the dictionary (supervisors, administrators)")
def add_word(request: HttpRequest, payload: KbWordIn) -> WithStatus[SearchWord]:
    """A product or brand name ("ชวนช้อป", "ไอโฟน") that must not be cut into pieces. Articles are indexed
    again in the background."""
    return WithStatus(201, actions.add_word(actor=_editor(request), word=payload.word))


@router.delete("/kb/dictionary/words/{word_id}", response=responses(None, 204, errors=(400, 403, 404)),
               summary="Remove a word from the dictionary (supervisors, administrators)")
def remove_word(request: HttpRequest, word_id: int) -> WithStatus[None]:
    actor = _editor(request)
    word = found(selectors.dictionary()[0].filter(pk=word_id).first(), _("Word not found."))
    actions.remove_word(actor=actor, word=word)
    return WithStatus(204, None)


@router.get("/kb/dictionary/synonyms", response=responses(list[KbSynonymsOut], errors=(403,)),
            summary="List synonyms: words that mean the same to customers")
def list_synonyms(request: HttpRequest) -> list[SynonymSet]:
    _reader(request)
    return list(selectors.dictionary()[1])


def _synonyms(synonyms_id: int) -> SynonymSet:
    return found(selectors.dictionary()[1].filter(pk=synonyms_id).first(), _("Synonyms not found."))


@router.post("/kb/dictionary/synonyms", response=responses(KbSynonymsOut, 201, errors=(400, 403)),
             summary="Add synonyms (supervisors, administrators)")
def add_synonyms(request: HttpRequest, payload: KbSynonymsIn) -> WithStatus[SynonymSet]:
    """A search for one of the words also finds the others ("ผ่อน", "แบ่งจ่าย", "installment")."""
    synonyms = actions.save_synonyms(actor=_editor(request), words=", ".join(payload.words))
    return WithStatus(201, synonyms)


@router.patch("/kb/dictionary/synonyms/{synonyms_id}", response=responses(KbSynonymsOut, errors=(400, 403, 404)),
              summary="Change synonyms (supervisors, administrators)")
def update_synonyms(request: HttpRequest, synonyms_id: int, payload: KbSynonymsIn) -> SynonymSet:
    actor = _editor(request)
    _object_body(request)
    return actions.save_synonyms(actor=actor, words=", ".join(payload.words), synonyms=_synonyms(synonyms_id))


@router.delete("/kb/dictionary/synonyms/{synonyms_id}", response=responses(None, 204, errors=(400, 403, 404)),
               summary="Delete synonyms (supervisors, administrators)")
def delete_synonyms(request: HttpRequest, synonyms_id: int) -> WithStatus[None]:
    actor = _editor(request)
    actions.delete_synonyms(actor=actor, synonyms=_synonyms(synonyms_id))
    return WithStatus(204, None)
