"""The global search index: one row per message and per contact, holding their analysed terms.

``terms``: the text's words as the knowledge base's analyzer makes them (Thai segmented by newmm, English
stemmed, digits kept), without Thai tone marks, space-separated. The database's full-text index reads that
column: SQLite's FTS5 tables ``search_message_fts`` / ``search_contact_fts`` follow the rows through triggers;
PostgreSQL has a generated tsvector column with a GIN index (migration 0002). Writing a row is the whole update.

The text itself is not copied: results show it from the message or the contact, so erasing those leaves no
second copy here; the terms go with ``forget_messages`` / ``forget_contact`` or with the row they belong to.
"""

from __future__ import annotations

from django.db import models


class MessageDocument(models.Model):
    """A message's words (customers', agents', the bot's, and private notes, marked ``private``)."""

    message = models.OneToOneField("inbox.Message", primary_key=True, on_delete=models.CASCADE,
                                   related_name="search_document")
    #: a message never changes conversation; who may see it is read from the conversation at search time
    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, related_name="+")
    private = models.BooleanField(default=False)
    terms = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"message {self.message_id}"


class ContactDocument(models.Model):
    """A contact's words: name, email, phone, and the names their identities go by on each channel."""

    contact = models.OneToOneField("contacts.Contact", primary_key=True, on_delete=models.CASCADE,
                                   related_name="search_document")
    terms = models.TextField(blank=True)
    #: a digest of what was indexed (the fields above, merged/erased marks): the catch-up re-indexes a contact
    #: whose digest differs, so changes made anywhere are followed without hooks in the contacts app
    digest = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"contact {self.contact_id}"


class SearchState(models.Model):
    """Where the catch-up stopped (one row): the last message and contact it indexed, and where its round
    through all contacts (looking for changed ones) is."""

    message_id = models.BigIntegerField(default=0)
    contact_id = models.BigIntegerField(default=0)
    contact_cursor = models.BigIntegerField(default=0)
    ran_at = models.DateTimeField(null=True)
    #: set while a catch-up runs (until when its claim holds): a second one started meanwhile leaves at once
    busy_until = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"search up to message {self.message_id}, contact {self.contact_id}"
