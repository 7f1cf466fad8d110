"""Order lookup: any agent asks the configured order sources about one order number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status as WithStatus

from ruamchat.api.common import caller, responses
from ruamchat.api.schemas import LocalTime
from ruamchat.orders.lookup import Kind, clean_number, lookup
from ruamchat.orders.patterns import MAX_NUMBER_LENGTH
from ruamchat.orders.selectors import is_agent

router = Router(tags=["orders"])

#: the HTTP status of each failure: the order system is a gateway we called
STATUS_OF = {
    Kind.NOT_FOUND: 404, Kind.TIMEOUT: 504, Kind.CONNECTION: 502, Kind.PROVIDER_ERROR: 502,
    Kind.UNREADABLE: 502, Kind.NO_SOURCE: 503,
}


class OrderItemOut(Schema):
    name: str
    quantity: int | None
    price: Decimal | None = Field(description="A decimal number as a string, e.g. \"199.00\".")


class OrderOut(Schema):
    status: str = Field(description="As the order system says it, e.g. \"shipped\".")
    status_label: str = Field(description="The status in the user's language when it is a common one.")
    items: list[OrderItemOut]
    ordered_at: LocalTime | None
    shipped_at: LocalTime | None
    delivered_at: LocalTime | None
    tracking_number: str
    carrier: str
    total: Decimal | None
    currency: str


class OrderLookupOut(Schema):
    number: str
    result: str = Field(description="Always \"found\" here.")
    source: str = Field(description="The order source that answered.")
    cached: bool = Field(description="Answered from the last few minutes' answers, without asking again.")
    order: OrderOut


class OrderErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the user's language.")
    result: str = Field(description="not_found, timeout, connection, provider_error, unreadable or no_source.")
    number: str
    source: str


@router.get(
    "/orders/{number}",
    response={**responses(OrderLookupOut, errors=(400, 403)), **dict.fromkeys((404, 502, 503, 504), OrderErrorOut)},
    summary="Look up an order",
    description="Asks the active order sources (set up by an administrator) about one order number. "
                "404: no source has it; 504: the order system did not answer in time; 502: it could not be "
                "reached, answered with an error or with something unreadable; 503: no order source is set up.",
)
def get_order(request: HttpRequest, number: str) -> Any:
    if not is_agent(caller(request)):
        raise PermissionDenied(_("Only agents can look orders up."))
    cleaned = clean_number(number)
    if not cleaned or len(number.strip()) > MAX_NUMBER_LENGTH:
        raise ValidationError({"number": _("Give an order number of at most %(max)d characters.")
                                         % {"max": MAX_NUMBER_LENGTH}})
    result = lookup(cleaned)
    body = result.as_dict()
    if result.found:
        return body
    return WithStatus(STATUS_OF[result.kind], {"detail": result.message, "result": body["result"],
                                               "number": result.number, "source": result.source_name})
