from django.urls import path

from ruamchat.connectors.website import views

app_name = "website"
urlpatterns = [
    path("files/<str:signed>/", views.attachment, name="attachment"),
    path("<str:key>.js", views.loader, name="loader"),
    path("<str:key>/frame", views.frame, name="frame"),
    path("<str:key>/upload", views.upload, name="upload"),
    path("<str:key>/demo", views.demo, name="demo"),
]
