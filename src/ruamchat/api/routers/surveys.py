"""Surveys: the numbers (CSAT, NPS with its margin of error, CES, response rate) by team, agent, channel,
category or period; the answers with their comments; follow-ups; campaigns; the survey definitions.
Supervisors and administrators read; administrators change the surveys; closing a follow-up is for anyone who
may work on its conversation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as WithStatus

from ruamchat.accounts.selectors import profile_for
from ruamchat.api.common import caller, found, page, responses
from ruamchat.api.schemas import PageMeta
from ruamchat.connectors.models import Channel
from ruamchat.inbox.models import Tag
from ruamchat.inbox.selectors import can_view
from ruamchat.surveys import actions, selectors
from ruamchat.surveys.models import Campaign, FollowUp, Response, Survey

router = Router(tags=["surveys"])


def _supervisor(request: HttpRequest) -> None:
    if not profile_for(caller(request)).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators can see the survey results."))


# ---------------------------------------------------------------- numbers


class CsatOut(Schema):
    answers: int
    satisfied: int = Field(description="Answers of 4 or 5.")
    percent: float | None = Field(description="CSAT: satisfied ÷ answers × 100.")


class NpsOut(Schema):
    answers: int
    promoters: int = Field(description="Answers of 9 or 10.")
    passives: int
    detractors: int = Field(description="Answers of 0 to 6.")
    score: float | None = Field(description="% promoters − % detractors (−100 … 100).")
    margin: float | None = Field(description="95% margin of error: 1.96·100·√((p + d − (p − d)²) / n).")


class CesOut(Schema):
    answers: int
    mean: float | None = Field(description="Mean on the 1–7 scale.")
    easy_percent: float | None = Field(description="Share of answers of 5 or more, in percent.")


class FiguresOut(Schema):
    key: str | int | date | None = Field(description="The group (team, agent or channel id, category, or the first "
                                                      "day of the day / week / month); null for everything.")
    csat: CsatOut
    nps: NpsOut
    ces: CesOut
    delivered: int = Field(description="Invitations delivered in the period.")
    answered: int = Field(description="… of which were answered.")
    response_rate: float | None = Field(description="answered ÷ delivered × 100.")


class MetricsOut(Schema):
    since: datetime
    until: datetime
    group: str
    total: FiguresOut
    groups: list[FiguresOut]


def _figures_out(f: selectors.Figures) -> FiguresOut:
    return FiguresOut(
        key=f.key, delivered=f.delivered, answered=f.answered, response_rate=f.response_rate,
        csat=CsatOut(answers=f.csat.answers, satisfied=f.csat.satisfied, percent=f.csat.percent),
        nps=NpsOut(answers=f.nps.answers, promoters=f.nps.promoters, passives=f.nps.passives,
                   detractors=f.nps.detractors, score=f.nps.score, margin=f.nps.margin),
        ces=CesOut(answers=f.ces.answers, mean=f.ces.mean, easy_percent=f.ces.easy_percent))


class MetricsFilter(Schema):
    since: datetime | None = Field(None, description="Start (inclusive). Default: 30 days before `until`.")
    until: datetime | None = Field(None, description="End (exclusive). Default: the end of today.")
    group: Literal["", "team", "agent", "channel", "category", "day", "week", "month"] = Field(
        "", description="Break the numbers down; days, weeks and months in the organisation's time zone.")
    team_id: int | None = None
    agent_id: int | None = None
    channel_id: int | None = None
    category: str = ""


def _aware(value: datetime | None) -> datetime | None:
    """A time given without an offset is in the organisation's time zone (as the days of ``group=day`` are)."""
    return timezone.make_aware(value) if value is not None and timezone.is_naive(value) else value


def _filters(values: MetricsFilter | ResponseFilter) -> selectors.Filters:
    until = _aware(values.until) or selectors.period(30)[1]
    since = _aware(values.since) or until - timedelta(days=30)
    if since >= until:
        raise ValidationError({"since": [_("The start must be before the end.")]})
    return selectors.Filters(since=since, until=until, team_id=values.team_id, agent_id=values.agent_id,
                             channel_id=values.channel_id, category=values.category)


@router.get("/surveys/metrics", response=responses(MetricsOut, errors=(400, 403)),
            summary="CSAT, NPS (with margin of error), CES and response rate")
def metrics(request: HttpRequest, filters: Query[MetricsFilter]) -> MetricsOut:
    _supervisor(request)
    chosen = _filters(filters)
    return MetricsOut(since=chosen.since, until=chosen.until, group=filters.group,
                      total=_figures_out(selectors.figures(chosen)[0]),
                      groups=[_figures_out(f) for f in selectors.figures(chosen, filters.group)] if filters.group
                      else [])


# ---------------------------------------------------------------- answers


class ResponseOut(Schema):
    id: int
    kind: str = Field(description="`csat`, `nps` or `ces`.")
    score: int
    comment: str
    sentiment: str = Field(description="`positive`, `neutral`, `negative`, or empty without a comment.")
    topics: list[str] = Field(description="Keys of the comment topics that matched.")
    language: str
    via: str = Field(description="`chat` or `page`.")
    contact_id: int
    conversation_id: int | None
    team_id: int | None
    agent_id: int | None
    channel_id: int | None
    category: str
    answered_at: datetime
    updated_at: datetime
    follow_up_conversation_id: int | None

    @staticmethod
    def resolve_follow_up_conversation_id(obj: Response) -> int | None:
        follow_up = getattr(obj, "follow_up", None)
        return follow_up.conversation_id if follow_up is not None else None


class ResponsePage(PageMeta):
    items: list[ResponseOut]


class ResponseFilter(Schema):
    since: datetime | None = None
    until: datetime | None = None
    kind: Literal["", "csat", "nps", "ces"] = ""
    sentiment: Literal["", "positive", "neutral", "negative"] = ""
    with_comment: bool = False
    unhappy: bool = Field(False, description="Only NPS detractors and CSAT 1–2.")
    team_id: int | None = None
    agent_id: int | None = None
    channel_id: int | None = None
    category: str = ""
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get("/surveys/responses", response=responses(ResponsePage, errors=(400, 403)), summary="Survey answers")
def list_responses(request: HttpRequest, filters: Query[ResponseFilter]) -> dict[str, Any]:
    _supervisor(request)
    chosen = _filters(filters)
    found_responses = selectors.filtered(Response.objects.select_related("follow_up"), chosen, "answered_at")
    if filters.kind:
        found_responses = found_responses.filter(kind=filters.kind)
    if filters.sentiment:
        found_responses = found_responses.filter(sentiment=filters.sentiment)
    if filters.with_comment:
        found_responses = found_responses.exclude(comment="")
    if filters.unhappy:
        found_responses = found_responses.filter(selectors.unhappy_filter())
    return page(found_responses.order_by("-answered_at", "-id"), limit=filters.limit, offset=filters.offset)


# ---------------------------------------------------------------- follow-ups


class FollowUpOut(Schema):
    id: int
    conversation_id: int
    about_conversation_id: int | None = Field(validation_alias="about_id")
    response_id: int
    team_id: int | None
    created_at: datetime
    first_contact_at: datetime | None
    outcome: str = Field(description="`recovered`, `resolved`, `not_recovered`, `unreachable`, or empty while open.")
    closed_at: datetime | None


class FollowUpPage(PageMeta):
    items: list[FollowUpOut]


class FollowUpClose(Schema):
    outcome: Literal["recovered", "resolved", "not_recovered", "unreachable"]


@router.get("/surveys/follow-ups", response=responses(FollowUpPage, errors=(400, 403)),
            summary="Follow-ups opened by unhappy answers")
def list_follow_ups(request: HttpRequest, open_only: bool = False, limit: int = Query(50, ge=1, le=200),
                    offset: int = Query(0, ge=0)) -> dict[str, Any]:
    _supervisor(request)
    found_follow_ups = FollowUp.objects.all()
    if open_only:
        found_follow_ups = found_follow_ups.filter(closed_at__isnull=True)
    return page(found_follow_ups.order_by("-created_at", "-id"), limit=limit, offset=offset)


@router.post("/surveys/follow-ups/{follow_up_id}/close", response=responses(FollowUpOut, errors=(400, 404)),
             summary="Record how a follow-up ended")
def close_follow_up(request: HttpRequest, follow_up_id: int, payload: FollowUpClose) -> FollowUp:
    follow_up = FollowUp.objects.select_related("conversation").filter(pk=follow_up_id).first()
    if follow_up is None or not can_view(caller(request), follow_up.conversation):
        follow_up = None
    follow_up = found(follow_up, _("Follow-up not found."))
    return actions.close_follow_up(follow_up=follow_up, actor=caller(request), outcome=payload.outcome)


# ---------------------------------------------------------------- surveys


class SurveyOut(Schema):
    id: int
    kind: str
    name: str
    active: bool
    scale: tuple[int, int]
    question_th: str
    question_en: str
    low_label_th: str
    low_label_en: str
    high_label_th: str
    high_label_en: str
    followup_th: str
    followup_en: str
    thanks_th: str
    thanks_en: str
    quiet_days: int
    expires_days: int
    delay_minutes: int
    channel_ids: list[int] = Field(description="CSAT: the channels whose resolved conversations are asked.")

    @staticmethod
    def resolve_channel_ids(obj: Survey) -> list[int]:
        return sorted(c.pk for c in obj.channels.all())


class SurveyIn(Schema):
    name: str | None = Field(None, max_length=120)
    active: bool | None = None
    question_th: str | None = Field(None, max_length=300)
    question_en: str | None = Field(None, max_length=300)
    low_label_th: str | None = Field(None, max_length=60)
    low_label_en: str | None = Field(None, max_length=60)
    high_label_th: str | None = Field(None, max_length=60)
    high_label_en: str | None = Field(None, max_length=60)
    followup_th: str | None = Field(None, max_length=300)
    followup_en: str | None = Field(None, max_length=300)
    thanks_th: str | None = Field(None, max_length=300)
    thanks_en: str | None = Field(None, max_length=300)
    quiet_days: int | None = Field(None, ge=0, le=730)
    expires_days: int | None = Field(None, ge=1, le=365)
    delay_minutes: int | None = Field(None, ge=0, le=7 * 24 * 60)


@router.get("/surveys", response=responses(list[SurveyOut], errors=(403,)), summary="The surveys")
def list_surveys(request: HttpRequest) -> list[Survey]:
    _supervisor(request)
    return list(Survey.objects.prefetch_related("channels").order_by("kind", "name"))


@router.patch("/surveys/{int:survey_id}", response=responses(SurveyOut, errors=(400, 403, 404)),
              summary="Change a survey's texts and rules (administrators)")
def change_survey(request: HttpRequest, survey_id: int, payload: SurveyIn) -> Survey:
    survey = found(Survey.objects.filter(pk=survey_id).first(), _("Survey not found."))
    return actions.save_survey(actor=caller(request), survey=survey, **payload.model_dump(exclude_unset=True))


# ---------------------------------------------------------------- campaigns


class CampaignOut(Schema):
    id: int
    name: str
    survey_id: int
    status: str = Field(description="`draft`, `scheduled`, `sending`, `done` or `cancelled`.")
    line_channel_id: int | None
    email_channel_id: int | None
    scheduled_at: datetime | None
    per_minute: int
    reminder_days: int
    started_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, int] = Field(description="Invitations by status (`sent`, `skipped`, `failed`, `scheduled`), "
                                               "skipped by reason (`skipped_opted_out`, `skipped_quiet` …), "
                                               "`answered` and `total`.")

    @staticmethod
    def resolve_counts(obj: Campaign) -> dict[str, int]:
        counted = getattr(obj, "counted", None)  # the list counts all its campaigns at once
        return counted if counted is not None else selectors.campaign_counts([obj.pk]).get(obj.pk, {})


class CampaignIn(Schema):
    name: str = Field(max_length=120)
    survey_id: int
    line_channel_id: int | None = None
    email_channel_id: int | None = None
    segment_channel_ids: list[int] = Field(default_factory=list, description="Contacts who wrote on these channels.")
    segment_tags: list[str] = Field(default_factory=list, description="Contacts with a conversation tagged so.")
    last_contact_after: date | None = None
    last_contact_before: date | None = None
    had_support_case: bool = False
    attribute_name: str = Field("", max_length=64)
    attribute_value: str = Field("", max_length=200)
    scheduled_at: datetime | None = None
    per_minute: int = Field(60, ge=1, le=6000)
    reminder_days: int = Field(3, ge=0, le=60)


_API_FIELDS = {"survey": "survey_id", "line_channel": "line_channel_id", "email_channel": "email_channel_id"}


@router.get("/surveys/campaigns", response=responses(list[CampaignOut], errors=(403,)), summary="Campaigns")
def list_campaigns(request: HttpRequest) -> list[Campaign]:
    _supervisor(request)
    campaigns = list(Campaign.objects.order_by("-created_at")[:200])
    counts = selectors.campaign_counts([c.pk for c in campaigns])
    for campaign in campaigns:
        campaign.counted = counts.get(campaign.pk, {})  # type: ignore[attr-defined]
    return campaigns


@router.post("/surveys/campaigns", response=responses(CampaignOut, 201, errors=(400, 403)),
             summary="Create a draft campaign")
def create_campaign(request: HttpRequest, payload: CampaignIn) -> WithStatus[Campaign]:
    _supervisor(request)
    survey = Survey.objects.filter(pk=payload.survey_id).first()
    if survey is None:
        raise ValidationError({"survey_id": [_("There is no such survey.")]})
    channels = {c.pk: c for c in Channel.objects.filter(pk__in=[payload.line_channel_id, payload.email_channel_id,
                                                                 *payload.segment_channel_ids])}
    for field, wanted, message in (("line_channel_id", "line", _("Choose a LINE account.")),
                                   ("email_channel_id", "email", _("Choose an email mailbox."))):
        value = getattr(payload, field)
        if value is not None and (value not in channels or channels[value].kind != wanted):
            raise ValidationError({field: [message]})
    campaign = Campaign(
        name=payload.name, survey=survey, line_channel_id=payload.line_channel_id,
        email_channel_id=payload.email_channel_id, last_contact_after=payload.last_contact_after,
        last_contact_before=payload.last_contact_before, had_support_case=payload.had_support_case,
        attribute_name=payload.attribute_name.strip(), attribute_value=payload.attribute_value,
        scheduled_at=_aware(payload.scheduled_at), per_minute=payload.per_minute, reminder_days=payload.reminder_days,
        created_by=caller(request))
    try:
        actions.save_campaign(
            campaign=campaign, actor=caller(request),
            segment_channel_ids=[pk for pk in payload.segment_channel_ids if pk in channels],
            segment_tag_ids=list(Tag.objects.filter(name__in=payload.segment_tags).values_list("pk", flat=True)))
    except ValidationError as exc:  # named as the model's fields: name them as this API's
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({_API_FIELDS.get(name, name): messages
                               for name, messages in exc.message_dict.items()}) from exc
    return WithStatus(201, campaign)


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    _supervisor(request)
    return found(Campaign.objects.select_related("survey").filter(pk=campaign_id).first(), _("Campaign not found."))


@router.get("/surveys/campaigns/{campaign_id}", response=responses(CampaignOut, errors=(403, 404)),
            summary="A campaign and its counts")
def get_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return _campaign(request, campaign_id)


@router.post("/surveys/campaigns/{campaign_id}/start", response=responses(CampaignOut, errors=(400, 403, 404)),
             summary="Start (schedule) a draft campaign")
def start_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return actions.start_campaign(campaign=_campaign(request, campaign_id), actor=caller(request))


@router.post("/surveys/campaigns/{campaign_id}/cancel", response=responses(CampaignOut, errors=(400, 403, 404)),
             summary="Cancel a campaign")
def cancel_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return actions.cancel_campaign(campaign=_campaign(request, campaign_id), actor=caller(request))
