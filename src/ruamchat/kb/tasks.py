"""Background jobs of the knowledge base: keep the search index up to date."""

from __future__ import annotations

from ruamchat.jobs.queue import job
from ruamchat.kb.search import index


@job("kb.index_article", max_attempts=5)
def index_article(article_id: int) -> None:
    index.index_article(article_id)


@job("kb.reindex", max_attempts=3)
def reindex() -> None:
    """Every article whose entry is missing or was segmented with an older dictionary."""
    index.reindex()
