from django.urls import path

from ruamchat.search import views

app_name = "search"
urlpatterns: list = [
    path("", views.page, name="page"),
    path("results/", views.results, name="results"),
]
