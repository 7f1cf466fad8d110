from django.urls import path

from ruamchat.connectors import views

app_name = "connectors"
urlpatterns = [path("<slug:kind>/<str:key>/", views.webhook, name="webhook")]
