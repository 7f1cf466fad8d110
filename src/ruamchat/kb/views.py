"""The knowledge base for agents: browse and search it, and (supervisors, administrators) write it; the
suggestions panel of a conversation. Views parse input, call a selector or an action, and render."""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ruamchat.inbox.selectors import get_conversation
from ruamchat.inbox.views import _user, agent_required
from ruamchat.kb import actions, selectors
from ruamchat.kb.forms import ArticleForm, CategoryForm, ImportForm
from ruamchat.kb.markdown import plain_text
from ruamchat.kb.markdown import render as render_markdown
from ruamchat.kb.models import Article, ArticleAttachment, Category, SearchWord, SynonymSet

MAX_IMPORT_BYTES = 50 * 1024 * 1024


def _editor(request: HttpRequest) -> None:
    if not actions.can_edit(_user(request)):
        raise PermissionDenied(_("Only supervisors and administrators can change the knowledge base."))


def _article_or_404(request: HttpRequest, pk: int) -> Article:
    article = selectors.article_for_agents(_user(request), pk)
    if article is None:
        raise Http404(_("Article not found."))
    return article


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# -- browsing -----------------------------------------------------------------------------------------------

@require_GET
@agent_required
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    language = request.GET.get("lang", "") if request.GET.get("lang") in ("th", "en") else ""
    status = request.GET.get("status", "") if request.GET.get("status") in Article.Status.values else ""
    try:
        category = int(request.GET.get("category") or 0) or None
    except ValueError:
        category = None
    result = selectors.search(_user(request), query, language=language, limit=20) if query else None
    articles = None if query else selectors.articles_for_editors(language=language, status=status, category=category)
    return render(request, "kb/index.html", {
        "query": query, "language": language, "status": status, "category": category, "result": result,
        "articles": articles, "categories": selectors.categories(), "statuses": Article.Status.choices,
        "can_edit": actions.can_edit(_user(request)),
    })


@require_GET
@agent_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(request, pk)
    return render(request, "kb/article.html", {
        "article": article, "body_html": render_markdown(article.body),
        "translations": article.translations(), "attachments": article.attachments.all(),
        "can_edit": actions.can_edit(_user(request)), "public_url": selectors.article_url(article),
    })


# -- writing ------------------------------------------------------------------------------------------------

def _article_form_context(request: HttpRequest, form: ArticleForm, article: Article | None,
                          errors: list[str] | None = None, preview: str | None = None) -> dict[str, Any]:
    return {
        "form": form, "article": article, "errors": errors or [], "preview": preview,
        "translations": article.translations() if article else [],
        "attachments": article.attachments.all() if article else [],
        "translation_of": request.GET.get("translation_of", ""),
    }


@require_http_methods(["GET", "POST"])
@agent_required
def article_new(request: HttpRequest) -> HttpResponse:
    _editor(request)
    source: Article | None = None
    if request.GET.get("translation_of"):
        source = _article_or_404(request, int(request.GET["translation_of"]) if request.GET[
            "translation_of"].isdigit() else 0)
    if request.method == "GET":
        initial: dict[str, Any] = {"language": request.GET.get("lang", "th"), "status": Article.Status.DRAFT,
                                   "visibility": Article.Visibility.PUBLIC}
        if source is not None:
            initial.update(language="en" if source.language == "th" else "th", category=source.category_id,
                           visibility=source.visibility, body=source.body)
        return render(request, "kb/edit.html", _article_form_context(request, ArticleForm(initial=initial), None))
    form = ArticleForm(request.POST)
    if not form.is_valid():
        return render(request, "kb/edit.html", _article_form_context(request, form, None), status=422)
    data = form.cleaned_data
    if "preview" in request.POST:
        return render(request, "kb/edit.html", _article_form_context(
            request, form, None, preview=render_markdown(data["body"])))
    try:
        article = actions.create_article(
            actor=_user(request), language=data["language"], category=data["category"], title=data["title"],
            body=data["body"], slug=data["slug"], summary=data["summary"], keywords=data["keywords"],
            status=data["status"], visibility=data["visibility"], translation_of=source, note=data["note"],
        )
    except ValidationError as exc:
        return render(request, "kb/edit.html", _article_form_context(request, form, None, _errors(exc)), status=422)
    flash.success(request, _("Article saved."))
    return redirect("kb:edit", pk=article.pk)


@require_http_methods(["GET", "POST"])
@agent_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    article = _article_or_404(request, pk)
    if request.method == "GET":
        form = ArticleForm(initial={
            "title": article.title, "slug": article.slug, "category": article.category_id,
            "language": article.language, "status": article.status, "visibility": article.visibility,
            "summary": article.summary, "keywords": article.keywords, "body": article.body,
        })
        return render(request, "kb/edit.html", _article_form_context(request, form, article))
    form = ArticleForm(request.POST)
    form.fields["language"].required = False
    if not form.is_valid():
        return render(request, "kb/edit.html", _article_form_context(request, form, article), status=422)
    data = form.cleaned_data
    if "preview" in request.POST:
        return render(request, "kb/edit.html", _article_form_context(
            request, form, article, preview=render_markdown(data["body"])))
    try:
        actions.update_article(
            actor=_user(request), article=article, note=data["note"], title=data["title"], body=data["body"],
            slug=data["slug"], summary=data["summary"], keywords=data["keywords"], status=data["status"],
            visibility=data["visibility"], category=data["category"],
        )
    except ValidationError as exc:
        article.refresh_from_db()
        return render(request, "kb/edit.html", _article_form_context(request, form, article, _errors(exc)),
                      status=422)
    flash.success(request, _("Article saved."))
    return redirect("kb:edit", pk=article.pk)


@require_POST
@agent_required
def preview(request: HttpRequest) -> HttpResponse:
    """The Markdown as readers will see it (the editor's Preview tab)."""
    return HttpResponse(render_markdown(request.POST.get("body", "")[:200_000]))


@require_POST
@agent_required
def article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    article = _article_or_404(request, pk)
    actions.delete_article(actor=_user(request), article=article)
    flash.success(request, _("Article deleted."))
    return redirect("kb:index")


@require_GET
@agent_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(request, pk)
    revisions = list(article.revisions.select_related("author"))
    rows = []
    for number, revision in enumerate(revisions):
        older = revisions[number + 1] if number + 1 < len(revisions) else None
        before = f"# {older.title}\n\n{older.body}" if older else ""
        after = f"# {revision.title}\n\n{revision.body}"
        diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1))[2:]
        rows.append({"revision": revision, "diff": diff[:400]})
    return render(request, "kb/history.html", {
        "article": article, "rows": rows, "can_edit": actions.can_edit(_user(request)),
    })


@require_POST
@agent_required
def restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    _editor(request)
    article = _article_or_404(request, pk)
    revision = article.revisions.filter(number=number).first()
    if revision is None:
        raise Http404(_("Revision not found."))
    actions.restore_revision(actor=_user(request), article=article, revision=revision)
    flash.success(request, _("Revision %(number)s restored.") % {"number": number})
    return redirect("kb:edit", pk=article.pk)


@require_POST
@agent_required
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    article = _article_or_404(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        flash.error(request, _("Choose a file to upload."))
    else:
        try:
            actions.add_attachment(actor=_user(request), article=article, upload=upload)
            flash.success(request, _("File uploaded. Copy its Markdown into the text to show it."))
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
    return redirect(reverse("kb:edit", kwargs={"pk": article.pk}) + "#attachments")


@require_POST
@agent_required
def attachment_delete(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    _editor(request)
    article = _article_or_404(request, pk)
    attachment = ArticleAttachment.objects.filter(pk=attachment_id, article=article).first()
    if attachment is None:
        raise Http404
    actions.delete_attachment(actor=_user(request), attachment=attachment)
    return redirect(reverse("kb:edit", kwargs={"pk": article.pk}) + "#attachments")


# -- categories ---------------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@agent_required
def categories(request: HttpRequest) -> HttpResponse:
    can_edit = actions.can_edit(_user(request))
    editing: Category | None = None
    if request.GET.get("edit", "").isdigit():
        editing = Category.objects.filter(pk=int(request.GET["edit"])).first()
    form = CategoryForm(initial={name: getattr(editing, name) for name in CategoryForm.base_fields} if editing
                        else None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        _editor(request)
        if request.POST.get("id", "").isdigit():
            editing = Category.objects.filter(pk=int(request.POST["id"])).first()
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                actions.save_category(actor=_user(request), category=editing, **form.cleaned_data)
                flash.success(request, _("Category saved."))
                return redirect("kb:categories")
            except ValidationError as exc:
                errors = _errors(exc)
        status = 422
    return render(request, "kb/categories.html", {
        "categories": selectors.categories(), "form": form, "editing": editing, "errors": errors,
        "can_edit": can_edit,
    }, status=status)


@require_POST
@agent_required
def category_move(request: HttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise Http404
    actions.move_category(actor=_user(request), category=category, step=-1 if request.POST.get("to") == "up" else 1)
    return redirect("kb:categories")


@require_POST
@agent_required
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise Http404
    try:
        actions.delete_category(actor=_user(request), category=category)
        flash.success(request, _("Category deleted."))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    return redirect("kb:categories")


# -- dictionary and synonyms --------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@agent_required
def dictionary(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _editor(request)
        try:
            what = request.POST.get("what")
            if what == "word":
                actions.add_word(actor=_user(request), word=request.POST.get("word", ""))
            elif what == "remove-word":
                word = SearchWord.objects.filter(pk=_number(request.POST.get("id"))).first()
                if word is not None:
                    actions.remove_word(actor=_user(request), word=word)
            elif what == "synonyms":
                found = SynonymSet.objects.filter(pk=_number(request.POST.get("id"))).first()
                actions.save_synonyms(actor=_user(request), words=request.POST.get("words", ""), synonyms=found)
            elif what == "remove-synonyms":
                found = SynonymSet.objects.filter(pk=_number(request.POST.get("id"))).first()
                if found is not None:
                    actions.delete_synonyms(actor=_user(request), synonyms=found)
            flash.success(request, _("Saved. Articles are being indexed again with the new words."))
        except ValidationError as exc:
            flash.error(request, " ".join(exc.messages))
        return redirect("kb:dictionary")
    words, synonyms = selectors.dictionary()
    return render(request, "kb/dictionary.html", {
        "words": words, "synonyms": synonyms, "can_edit": actions.can_edit(_user(request)),
    })


def _number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() else 0


# -- import and export --------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@agent_required
def transfer(request: HttpRequest) -> HttpResponse:
    _editor(request)
    form = ImportForm()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_IMPORT_BYTES:
                    raise ValidationError(_("The file is too large."))
                data = json.loads(upload.read().decode("utf-8"))
                counts = actions.import_knowledge_base(actor=_user(request), data=data)
            except (ValueError, UnicodeDecodeError):
                flash.error(request, _("This file is not JSON."))
            except ValidationError as exc:
                flash.error(request, " ".join(exc.messages))
            else:
                flash.success(request, _(
                    "Imported %(categories)s categories: %(created)s articles created, %(updated)s updated."
                ) % {"categories": counts["categories"], "created": counts["articles_created"],
                     "updated": counts["articles_updated"]})
                return redirect("kb:index")
    return render(request, "kb/transfer.html", {"form": form})


@require_GET
@agent_required
def export(request: HttpRequest) -> HttpResponse:
    _editor(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = JsonResponse(selectors.export_knowledge_base(), json_dumps_params={"ensure_ascii": False,
                                                                                    "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="ruamchat-kb-{stamp}.json"'
    return response


# -- the conversation's suggestions panel -------------------------------------------------------------------

@require_GET
@agent_required
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles for a conversation: from the customer's last messages, or from what the agent typed."""
    user = _user(request)
    conversation = get_conversation(user, _number(request.GET.get("conversation")))
    if conversation is None:
        raise Http404(_("Conversation not found."))
    query = request.GET.get("q", "").strip()
    result = selectors.search(user, query, limit=5) if query else selectors.suggestions_for(user, conversation)
    items = [{
        "hit": hit, "url": selectors.article_url(hit.article) if hit.article.is_public else "",
        "text": plain_text(hit.article.body),
    } for hit in result.hits]
    return render(request, "kb/suggestions.html", {
        "conversation": conversation, "query": query, "items": items, "result": result,
    })
