"""Keys of the running totals the indexer keeps in ``kb_searchterm`` beside the terms (a term never starts with a
space): how many articles are indexed, and the sum of each field's length in words."""

TOTALS = {"n": " n", "title": " title", "keywords": " keywords", "body": " body"}
