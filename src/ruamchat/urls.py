from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("ruamchat.web.urls")),
    path("inbox/", include("ruamchat.inbox.urls")),
    path("kb/", include("ruamchat.kb.urls")),
    path("help/", include("ruamchat.kb.urls_help")),
    path("bot/", include("ruamchat.bot.urls")),
    path("surveys/", include("ruamchat.surveys.urls_staff")),
    path("s/", include("ruamchat.surveys.urls")),
    path("reports/", include("ruamchat.reports.urls")),
    path("contacts/", include("ruamchat.contacts.urls")),
    path("orders/", include("ruamchat.orders.urls")),
    path("privacy/", include("ruamchat.privacy.urls")),
    path("search/", include("ruamchat.search.urls")),
    path("api/", include("ruamchat.api.urls")),
    path("hooks/", include("ruamchat.connectors.urls")),
    path("widget/", include("ruamchat.connectors.website.urls")),
    path("line/", include("ruamchat.connectors.line.urls")),
    path("meta/", include("ruamchat.connectors.meta.urls")),
    path("email/", include("ruamchat.connectors.email.urls")),
    path("django-admin/", admin.site.urls),
]

# A database that is away answers 503 + Retry-After (providers redeliver), anything else the usual 500.
handler500 = "ruamchat.web.errors.server_error"
