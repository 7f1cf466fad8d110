"""The public help center: /help/<th|en>/… with Thai-readable article and category addresses."""

from django.urls import path, register_converter

from ruamchat.kb import views_help


class LanguageConverter:
    """Only the help center's two languages; anything else is not a help-center address (404)."""

    regex = "th|en"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LanguageConverter, "help_language")

app_name = "help"
urlpatterns = [
    path("", views_help.choose_language, name="root"),
    path("sitemap.xml", views_help.sitemap, name="sitemap"),
    path("files/<int:attachment_id>/<str:filename>", views_help.attachment, name="file"),
    path("<help_language:language>/", views_help.home, name="home"),
    path("<help_language:language>/search", views_help.search, name="search"),
    path("<help_language:language>/c/<str:slug>/", views_help.category, name="category"),
    path("<help_language:language>/a/<str:slug>/", views_help.article, name="article"),
    path("<help_language:language>/a/<str:slug>/feedback", views_help.feedback, name="feedback"),
]
