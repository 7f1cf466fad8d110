from django.urls import path

from ruamchat.connectors.email import views

app_name = "email"
urlpatterns = [
    path("messages/<int:message_id>/", views.formatted, name="formatted"),
    path("messages/<int:message_id>/original.eml", views.original, name="original"),
]
