from django.urls import path

from ruamchat.connectors.line.files import FILES

app_name = "line"
urlpatterns = [path("files/<str:token>/", FILES.view, name="file")]
