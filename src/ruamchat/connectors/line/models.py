"""What the LINE channel needs to remember beyond the shared models."""

from __future__ import annotations

from django.db import models


class ReplyTokenUse(models.Model):
    """A LINE reply token is single-use: whoever inserts this row first for the inbound message may
    reply with its token; everyone else pushes. Kept to make a retried send resume where it stopped."""

    inbound_message = models.OneToOneField("inbox.Message", on_delete=models.CASCADE, related_name="+")
    outbound_message = models.ForeignKey("inbox.Message", on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(auto_now_add=True)
    #: LINE accepted the reply: a retry of the same outbound message must not send that part again
    replied = models.BooleanField(default=False)
    line_message_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.inbound_message_id}→{self.outbound_message_id}"


class MemberName(models.Model):
    """The display name of a member of a group or room chat, asked of LINE at most once a day."""

    channel = models.ForeignKey("connectors.Channel", on_delete=models.CASCADE, related_name="+")
    chat_id = models.CharField(max_length=64)
    user_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "chat_id", "user_id"], name="line_member_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name or self.user_id
