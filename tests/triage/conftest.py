from __future__ import annotations

import pytest

from ruamchat.triage import Triage, default_triage


@pytest.fixture(scope="session")
def engine() -> Triage:
    """The built-in engine (its dictionary trie takes about half a second to build, so it is shared)."""
    return default_triage()
