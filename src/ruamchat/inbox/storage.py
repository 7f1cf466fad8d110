"""Saving attachment files. A storage out of space (or over its quota) is a clear, translatable refusal
(``StorageFull``), and a save that fails leaves no part-written file behind."""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

from ruamchat.inbox.models import Attachment

logger = logging.getLogger("ruamchat.inbox")

#: what the operating system says when a file system (or the user's quota on it) has no room left
STORAGE_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: the reason an agent or a visitor sees
STORAGE_FULL_MESSAGE = _("could not be stored: the attachment storage is full")


class StorageFull(ValidationError):
    """The attachment storage has no room: the file was not kept (a ValidationError, so the inbox form, the API
    and the widget's upload answer it as a refusal with this message)."""

    def __init__(self) -> None:
        super().__init__(STORAGE_FULL_MESSAGE, code="storage_full")


def is_storage_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_FULL_ERRNOS


def save_file(field_file: FieldFile, filename: str, content: File) -> str:
    """``field_file.save(filename, content, save=False)`` that cleans up after itself: when writing fails, the
    part already written is deleted, and a full storage raises ``StorageFull``. Returns the stored name."""
    field = field_file.field
    storage = field_file.storage
    # The name is chosen here, not inside save(), so that a failed write's leftover can be found and removed.
    # (Only a second writer choosing this very name in the same instant — same message, same file name — could
    # make save() pick another; attachments of one message are saved one after the other.)
    name = storage.get_available_name(field.generate_filename(field_file.instance, filename),
                                      max_length=field.max_length)
    try:
        stored = storage.save(name, content, max_length=field.max_length)
    except Exception as exc:
        remove_files([name])
        if is_storage_full(exc):
            logger.warning("attachment storage is full: %s not stored (%s)", name, exc)
            raise StorageFull() from exc
        raise
    field_file.name = stored
    setattr(field_file.instance, field.attname, stored)
    field_file._committed = True  # type: ignore[attr-defined]  # as FieldFile.save does
    return stored


def remove_files(names: Iterable[str]) -> None:
    """Delete stored attachment files (those of a change that was not kept); a missing one is fine."""
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        try:
            if name and storage.exists(name):
                storage.delete(name)
        except OSError:
            logger.warning("could not remove the unkept attachment file %s", name, exc_info=True)
