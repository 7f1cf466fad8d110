"""The surveys for people: the numbers, comments and follow-ups (supervisors), closing a follow-up (agents)."""

from django.urls import path

from ruamchat.surveys import views_staff

app_name = "surveys_staff"
urlpatterns = [
    path("", views_staff.overview, name="overview"),
    path("follow-ups/<int:pk>/close", views_staff.close_follow_up, name="close_follow_up"),
    path("campaigns/<int:pk>/start", views_staff.start_campaign, name="start_campaign"),
    path("campaigns/<int:pk>/cancel", views_staff.cancel_campaign, name="cancel_campaign"),
]
