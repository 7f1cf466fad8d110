"""Contacts: agents see the contacts of conversations they can see; supervisors and admins see all."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from ruamchat.api.common import caller, found, page, responses
from ruamchat.api.schemas import AttributesPatch, ContactDetailOut, ContactPage, ContactPatch
from ruamchat.contacts.actions import set_attributes, update_contact
from ruamchat.contacts.models import Contact
from ruamchat.inbox.selectors import get_visible_contact, visible_contacts

router = Router(tags=["contacts"])


class ContactFilter(Schema):
    search: str = Field("", description="Part of the name, email or phone number.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _contact(request: HttpRequest, contact_id: int) -> Contact:
    return found(get_visible_contact(caller(request), contact_id), _("Contact not found."))


@router.get("/contacts", response=responses(ContactPage, errors=(400,)), summary="List contacts")
def list_contacts(request: HttpRequest, filters: Query[ContactFilter]) -> dict[str, Any]:
    return page(visible_contacts(caller(request), filters.search), limit=filters.limit, offset=filters.offset)


@router.get("/contacts/{contact_id}", response=responses(ContactDetailOut), summary="Get a contact")
def get_one(request: HttpRequest, contact_id: int) -> Contact:
    return _contact(request, contact_id)


@router.patch("/contacts/{contact_id}", response=responses(ContactDetailOut, errors=(400, 404)),
              summary="Change a contact's name, email, phone or language")
def patch(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Contact:
    contact = _contact(request, contact_id)
    update_contact(contact=contact, **payload.model_dump(exclude_unset=True, exclude_none=True))
    return _contact(request, contact_id)


@router.patch("/contacts/{contact_id}/attributes", response=responses(ContactDetailOut, errors=(400, 404)),
              summary="Set a contact's custom attributes")
def patch_attributes(request: HttpRequest, contact_id: int, payload: AttributesPatch) -> Contact:
    contact = _contact(request, contact_id)
    set_attributes(actor=caller(request), contact=contact, values=payload.values)
    return _contact(request, contact_id)
