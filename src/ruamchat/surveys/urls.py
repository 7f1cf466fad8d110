"""The customers' survey pages: /s/<token>/ …"""

from django.urls import path

from ruamchat.surveys import views

app_name = "surveys"
urlpatterns = [
    path("<str:token>/", views.answer, name="answer"),
    path("<str:token>/why/", views.why, name="why"),
    path("<str:token>/thanks/", views.thanks, name="thanks"),
    path("<str:token>/stop/", views.opt_out, name="opt_out"),
]
