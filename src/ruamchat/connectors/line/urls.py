from django.urls import path

from ruamchat.connectors.line import views

app_name = "line"
urlpatterns = [path("files/<str:token>/", views.outbound_file, name="file")]
