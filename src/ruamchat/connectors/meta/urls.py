from django.urls import path

from ruamchat.connectors.meta import views

app_name = "meta"
urlpatterns = [path("files/<str:token>/", views.outbound_file, name="file")]
