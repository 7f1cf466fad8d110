from django.urls import path

from ruamchat.kb import views

app_name = "kb"
urlpatterns = [
    path("", views.index, name="index"),
    path("new", views.article_new, name="new"),
    path("preview", views.preview, name="preview"),
    path("suggest", views.suggest, name="suggest"),
    path("categories", views.categories, name="categories"),
    path("categories/<int:pk>/move", views.category_move, name="category_move"),
    path("categories/<int:pk>/delete", views.category_delete, name="category_delete"),
    path("dictionary", views.dictionary, name="dictionary"),
    path("transfer", views.transfer, name="transfer"),
    path("export.json", views.export, name="export"),
    path("<int:pk>/", views.article_detail, name="article"),
    path("<int:pk>/edit", views.article_edit, name="edit"),
    path("<int:pk>/delete", views.article_delete, name="delete"),
    path("<int:pk>/history", views.history, name="history"),
    path("<int:pk>/history/<int:number>/restore", views.restore, name="restore"),
    path("<int:pk>/files", views.attachment_add, name="attachment_add"),
    path("<int:pk>/files/<int:attachment_id>/delete", views.attachment_delete, name="attachment_delete"),
]
