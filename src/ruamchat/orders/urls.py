from django.urls import path

from ruamchat.orders import views

app_name = "orders"
urlpatterns = [
    path("panel", views.panel, name="panel"),
    path("lookup", views.lookup_typed, name="lookup"),
]
