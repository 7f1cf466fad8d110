"""The cluster tests change only the lines of deploy/nginx/ruamchat.conf marked `# CHANGE:` (test_scaled.py runs
nginx with it in front of real ruamchat processes; tests/deploy checks that the file as shipped parses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.harness import NGINX_SITE, ClusterError, Nginx, render_site

pytestmark = [pytest.mark.cluster]


def test_the_tests_change_only_the_lines_marked_change(tmp_path: Path) -> None:
    shipped = NGINX_SITE.read_text()
    rendered = render_site(shipped, http_upstreams=["127.0.0.1:1001", "127.0.0.1:1002", "127.0.0.1:1003"],
                           ws_upstreams=["127.0.0.1:2001"], listen="127.0.0.1:3001")

    def unmarked(text: str) -> list[str]:
        return [line for line in text.splitlines() if "# CHANGE:" not in line or line.lstrip().startswith("#")]

    changed = [line.strip() for line in rendered.splitlines() if line not in unmarked(shipped)]
    assert changed == [
        "server 127.0.0.1:1001 max_fails=3 fail_timeout=10s;",
        "server 127.0.0.1:1002 max_fails=3 fail_timeout=10s;",
        "server 127.0.0.1:1003 max_fails=3 fail_timeout=10s;",
        "server 127.0.0.1:2001 max_fails=3 fail_timeout=10s;",
        "listen 127.0.0.1:3001;",
        "server_name 127.0.0.1 localhost;",
    ]
    # everything else is exactly as shipped, in the same order
    assert [line for line in rendered.splitlines() if line.strip() not in changed] == unmarked(shipped)
    Nginx(tmp_path, site=rendered).test_config()


def test_a_marked_line_the_tests_cannot_change_is_an_error() -> None:
    with pytest.raises(ClusterError, match="does not know how to change"):
        render_site("server {\n    root /srv/www;  # CHANGE: your files\n}\n", http_upstreams=[], ws_upstreams=[],
                    listen="127.0.0.1:1")
