from django.urls import path

from ruamchat.connectors.meta.files import FILES

app_name = "meta"
urlpatterns = [path("files/<str:token>/", FILES.view, name="file")]
