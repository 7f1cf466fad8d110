from django.urls import path

from ruamchat.contacts import views

app_name = "contacts"
urlpatterns: list = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit", views.edit, name="edit"),
    path("<int:pk>/attributes", views.attributes, name="attributes"),
    path("<int:pk>/notes", views.note_add, name="note_add"),
    path("<int:pk>/notes/<int:note_id>/delete", views.note_delete, name="note_delete"),
    path("<int:pk>/tags/add", views.tag_add, name="tag_add"),
    path("<int:pk>/tags/remove", views.tag_remove, name="tag_remove"),
    path("<int:pk>/consent", views.consent, name="consent"),
    path("<int:pk>/merge", views.merge, name="merge"),
    path("<int:pk>/merges/<int:merge_id>/undo", views.undo_merge, name="undo_merge"),
]
