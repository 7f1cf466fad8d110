from django.contrib.auth import views as auth_views
from django.contrib.auth.views import LogoutView
from django.urls import path

from ruamchat.web import account, health, views

app_name = "web"
urlpatterns = [
    path("", views.root, name="root"),
    path("robots.txt", views.robots, name="robots"),
    path("health/", health.health, name="health"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("login/code/", account.login_code, name="login_code"),
    path("account/", account.account, name="account"),
    path("account/two-factor/", account.two_factor_setup, name="two_factor"),
    path("account/password/", account.PasswordChangeView.as_view(), name="password_change"),
    path("account/sessions/<int:pk>/end", account.end_session, name="end_session"),
    path("account/sessions/end-others", account.end_other_sessions, name="end_other_sessions"),
    path("account/tokens/", account.create_token, name="create_token"),
    path("account/tokens/<int:pk>/revoke", account.revoke_token, name="revoke_token"),
    path("password-reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="web/password_reset_done.html"), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", account.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="web/password_reset_complete.html"), name="password_reset_complete"),
    path("language/", views.switch_language, name="language"),
]
