from django.urls import path

from ruamchat.reports import views, views_journey, views_wallboard

app_name = "reports"
urlpatterns: list = [
    path("", views.index, name="index"),
    path("conversations.<str:fmt>", views.conversations_export, name="conversations_export"),
    path("wallboard/", views_wallboard.wallboard, name="wallboard"),
    path("wallboard/board", views_wallboard.wallboard_board, name="wallboard_board"),
    path("contacts/<int:pk>/", views_journey.contact_journey, name="journey"),
    path("<str:board>/", views.board, name="board"),
    path("<str:board>/export.<str:fmt>", views.board_export, name="board_export"),
]
