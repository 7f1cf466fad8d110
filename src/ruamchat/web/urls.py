from django.contrib.auth.views import LogoutView
from django.urls import path

from ruamchat.web import health, views

app_name = "web"
urlpatterns = [
    path("", views.root, name="root"),
    path("robots.txt", views.robots, name="robots"),
    path("health/", health.health, name="health"),
    path("login/", views.RuamchatLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("language/", views.switch_language, name="language"),
]
