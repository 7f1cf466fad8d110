"""Business calendars (with their weekly hours, closed and special opening days, and the public holidays
they will observe) and SLA policies, in the admin pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy, SpecialDay
from ruamchat.sla.selectors import upcoming_holidays


class OpeningPeriodInline(admin.TabularInline):
    model = OpeningPeriod
    extra = 0


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "holiday_country", "is_default")
    inlines = [OpeningPeriodInline, SpecialDayInline]
    filter_horizontal = ("teams",)
    readonly_fields = ("next_holidays",)

    @admin.display(description=_("Public holidays in the next 12 months"))
    def next_holidays(self, obj: Calendar) -> Any:
        if not obj.pk or not obj.holiday_country:
            return "-"
        days = upcoming_holidays(obj, timezone.localdate(), 366)
        return format_html_join("", "<div>{} — {}</div>", ((d.strftime("%d/%m/%Y"), name) for d, name in days)) or "-"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("team", "priority", "first_response_minutes", "next_response_minutes", "resolution_minutes",
                    "calendar")
    list_filter = ("team",)
