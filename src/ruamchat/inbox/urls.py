from django.urls import path

from ruamchat.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.home, name="home"),
    path("list", views.queue_list, name="list"),
    path("canned", views.canned_lookup, name="canned"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("c/<int:pk>/", views.conversation_page, name="conversation"),
    path("c/<int:pk>/messages", views.conversation_messages, name="messages"),
    path("c/<int:pk>/state", views.conversation_state, name="state"),
    path("c/<int:pk>/reply", views.reply, name="reply"),
    path("c/<int:pk>/claim", views.claim, name="claim"),
    path("c/<int:pk>/assign", views.assign, name="assign"),
    path("c/<int:pk>/transfer", views.transfer, name="transfer"),
    path("c/<int:pk>/priority", views.priority, name="priority"),
    path("c/<int:pk>/status", views.status, name="status"),
    path("c/<int:pk>/tags/add", views.tag_add, name="tag_add"),
    path("c/<int:pk>/tags/remove", views.tag_remove, name="tag_remove"),
    path("c/<int:pk>/messages/<int:message_id>/retry", views.retry, name="retry"),
]
