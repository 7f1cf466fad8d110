from django.urls import path

from ruamchat.privacy import views

app_name = "privacy"
urlpatterns = [
    path("contacts/<int:pk>/export", views.export, name="export"),
    path("contacts/<int:pk>/erase", views.erase, name="erase"),
    path("retention/", views.retention, name="retention"),
    path("audit/", views.audit, name="audit"),
]
