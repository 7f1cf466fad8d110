"""Thai-aware knowledge-base search.

``analysis`` turns text into terms (Thai segmented with newmm via nlpo3 and the business's dictionary,
English stemmed); ``index`` keeps ``SearchDocument`` rows and the term statistics; ``backends`` asks the
database's full-text index (SQLite FTS5 or PostgreSQL) for candidates; ``engine`` ranks them with BM25F
and picks highlighted passages.
"""
