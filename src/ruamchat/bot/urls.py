from django.urls import path

from ruamchat.bot import views

app_name = "bot"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("conversations/<int:pk>/pause", views.pause, name="pause"),
    path("conversations/<int:pk>/resume", views.resume, name="resume"),
]
