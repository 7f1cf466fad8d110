"""What the reports read: one row of measures per conversation (the fact), and daily sums of them.

Both are derived data, rebuilt from the conversations, messages and events (the source of truth) by
``reports.actions.catch_up``; nothing here is ever edited by hand. Ids are plain integers (0 = none), not
foreign keys: the tables are denormalised for reading and a deleted team or agent leaves its history.
"""

from __future__ import annotations

from django.db import models


class ConversationFact(models.Model):
    """The measures of one conversation, as DESIGN.md defines them (see ``reports.facts``)."""

    conversation_id = models.BigIntegerField(primary_key=True)
    channel_id = models.IntegerField()
    channel_kind = models.CharField(max_length=16)
    contact_id = models.BigIntegerField()
    status = models.CharField(max_length=16)
    priority = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=32, blank=True)
    #: the team that held it at the first human reply (else the team holding it now); 0 when only the bot
    #: ever answered (the bot's conversations belong to no team's numbers)
    first_team_id = models.IntegerField(default=0)
    #: the team holding it now (or at resolution), and since when (transfers move it)
    team_id = models.IntegerField(default=0)
    received_at = models.DateTimeField()
    received_day = models.DateField(db_index=True)
    first_agent_id = models.IntegerField(default=0)  # who sent the first human reply
    resolver_id = models.IntegerField(default=0)  # who resolved it (the final time)
    created_at = models.DateTimeField()
    created_day = models.DateField(db_index=True)
    created_hour = models.PositiveSmallIntegerField()  # local hour of the day, 0–23
    first_customer_at = models.DateTimeField(null=True)
    first_reply_at = models.DateTimeField(null=True)
    needed_reply = models.BooleanField(default=False)
    replied = models.BooleanField(default=False)
    frt_seconds = models.IntegerField(null=True)
    frt_business_seconds = models.IntegerField(null=True)
    customer_messages = models.IntegerField(default=0)
    agent_replies = models.IntegerField(default=0)
    resolved_at = models.DateTimeField(null=True)
    resolved_day = models.DateField(null=True, db_index=True)
    resolution_seconds = models.IntegerField(null=True)
    resolution_business_seconds = models.IntegerField(null=True)
    handle_seconds = models.IntegerField(null=True)  # the resolver's part: first taking it → resolved
    reopened_count = models.IntegerField(default=0)
    fcr = models.BooleanField(default=False)  # resolved with one agent reply and never reopened
    transfers = models.IntegerField(default=0)
    transferred_to_support = models.BooleanField(default=False)
    bot_involved = models.BooleanField(default=False)
    bot_only = models.BooleanField(default=False)  # resolved by the bot, no person ever answered
    handoff_reason = models.CharField(max_length=20, blank=True)
    #: None: no target, or the clock has not finished; True met; False breached
    sla_first_met = models.BooleanField(null=True)
    sla_resolution_met = models.BooleanField(null=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["contact_id"], name="fact_contact")]

    def __str__(self) -> str:
        return f"fact #{self.conversation_id}"


class DailyStat(models.Model):
    """Sums of the facts for one local day, at two grains: per team and channel (``grain`` "t", agent 0)
    and per team and agent (``grain`` "a", channel 0). Each measure is counted on its own day: created-day
    measures under the first team and first replier, resolved-day ones under the resolving team and agent.
    Durations are kept as histograms {seconds: count} rounded to what a report shows, so the median and p90
    of any period are exact to the precision on screen without reading every conversation."""

    grain = models.CharField(max_length=1)
    day = models.DateField()
    team_id = models.IntegerField(default=0)
    channel_id = models.IntegerField(default=0)
    agent_id = models.IntegerField(default=0)
    # created that day (first team, first replier)
    created = models.IntegerField(default=0)
    needed = models.IntegerField(default=0)
    replied = models.IntegerField(default=0)
    transferred_support = models.IntegerField(default=0)
    bot_involved = models.IntegerField(default=0)
    bot_only = models.IntegerField(default=0)
    handoffs = models.JSONField(default=dict)  # reason → count
    hours = models.JSONField(default=dict)  # local hour created → count
    sla_first_total = models.IntegerField(default=0)
    sla_first_met = models.IntegerField(default=0)
    frt = models.JSONField(default=dict)
    frt_business = models.JSONField(default=dict)
    # arrived in the team that day (created there or transferred in)
    received = models.IntegerField(default=0)
    # resolved that day (resolving team and agent)
    resolved = models.IntegerField(default=0)
    fcr = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    sla_resolution_total = models.IntegerField(default=0)
    sla_resolution_met = models.IntegerField(default=0)
    resolution = models.JSONField(default=dict)
    resolution_business = models.JSONField(default=dict)
    handle = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grain", "day", "team_id", "channel_id", "agent_id"],
                                               name="daily_stat_key")]
        indexes = [models.Index(fields=["grain", "team_id", "day"], name="daily_stat_team"),
                   models.Index(fields=["grain", "day"], name="daily_stat_day")]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} team {self.team_id}"


class ReportState(models.Model):
    """Where the catch-up stopped (one row): the last event and message it has read."""

    event_id = models.BigIntegerField(default=0)
    message_id = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"reports up to event {self.event_id}, message {self.message_id}"
