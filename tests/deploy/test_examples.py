"""The example deployment files (deploy/) say what they mean: every ruamchat command line in them is one the
real commands accept, the systemd units pass `systemd-analyze verify`, and the compose file wires the parts of
the scaled set-up together. (tests/cluster runs nginx with deploy/nginx/ruamchat.conf for real.)"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import load_command_class

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _ruamchat_commands() -> list[list[str]]:
    found: list[list[str]] = []
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                # an instance unit's %i is the port it serves on
                found.append(shlex.split(line.removeprefix("ExecStart=").replace("%i", "8001"))[1:])
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    found += [service["command"][1:] for service in compose["services"].values()
              if service.get("command", [""])[0] == "ruamchat"]
    return found


def test_every_command_line_in_the_examples_is_accepted_by_ruamchat() -> None:
    commands = _ruamchat_commands()
    assert {c[0] for c in commands} == {"serve", "worker", "migrate"}
    for args in commands:
        app = {"serve": "ruamchat.core", "worker": "ruamchat.core", "migrate": "django.core"}[args[0]]
        command = load_command_class(app, args[0])
        parser = command.create_parser("ruamchat", args[0])
        options = parser.parse_args(args[1:])  # exits (SystemExit) on an option the command does not have
        if "--port" in args:
            assert 1 <= options.port <= 65535
    # the split the docs describe: HTTP from WSGI, websockets from ASGI without jobs, jobs in workers
    serve_lines = [c for c in commands if c[0] == "serve"]
    assert any("--wsgi" in c for c in serve_lines) and any("--no-worker" in c for c in serve_lines)


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_the_systemd_units_verify(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian's systemd package) is needed to check the example units"
    # the units name /opt/ruamchat/.venv/bin/ruamchat and /etc/ruamchat: point them at this checkout
    text = unit.read_text().replace("/opt/ruamchat/.venv/bin/ruamchat", str(Path(sys.executable).parent / "ruamchat"))
    text = text.replace("/etc/ruamchat/ruamchat.env", str(DEPLOY / "systemd" / "ruamchat.env"))
    name = unit.name.replace("@.", "@8001.") if "@." in unit.name else unit.name
    (tmp_path / name).write_text(text)
    result = subprocess.run([analyze, "verify", str(tmp_path / name)], capture_output=True, text=True,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"}, check=False)
    problems = [line for line in result.stderr.splitlines()
                # a unit names others (postgresql, redis, the target) that this machine does not have
                if not re.search(r"(postgresql|redis-server|ruamchat)\S*\.(service|target).*(not found|No such)", line)
                and "Failed to" not in line and line.strip()]
    assert problems == [], result.stderr


def test_the_environment_file_sets_only_settings_ruamchat_reads() -> None:
    known = {name for source in (ROOT / "src" / "ruamchat").rglob("*.py")
             for name in re.findall(r"environ(?:\.get)?[(\[]\"(RUAMCHAT_[A-Z_]+)", source.read_text())}
    conf = (ROOT / "src" / "ruamchat" / "conf.py").read_text()
    known |= set(re.findall(r"_(?:bool|int|list)\(\"(RUAMCHAT_[A-Z_]+)", conf))
    for env_file in (DEPLOY / "systemd" / "ruamchat.env", DEPLOY / "compose" / "ruamchat.env.example"):
        names = {line.split("=", 1)[0] for line in env_file.read_text().splitlines()
                 if line and not line.startswith("#")}
        assert names <= known, names - known


def test_the_compose_file_runs_the_scaled_set_up() -> None:
    compose: dict[str, Any] = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "ws", "worker", "nginx"} <= set(services)
    for name in ("web", "ws", "worker"):
        assert services[name]["deploy"]["replicas"] >= 2
        env = services[name]["environment"]
        assert env["RUAMCHAT_DATABASE_URL"].startswith("postgres://") and env["RUAMCHAT_REDIS_URL"].startswith("redis://")
        assert env["RUAMCHAT_WORKER_IN_PROCESS"] == "false"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    nginx_conf = (DEPLOY / "compose" / services["nginx"]["volumes"][0].split(":")[0]).read_text()
    assert "server web:8000" in nginx_conf and "server ws:8000" in nginx_conf
    assert (DEPLOY / "compose" / "Dockerfile").exists()


def test_the_nginx_configurations_parse(tmp_path: Path) -> None:
    """`nginx -t` on both example files (deploy/nginx for hosts, deploy/compose for containers, whose upstream
    names are mapped to loopback here because this machine has no `web`/`ws` hosts)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(nginx), "nginx (Debian's nginx-light; scripts/services installs it) is needed"
    for source in (DEPLOY / "nginx" / "ruamchat.conf", DEPLOY / "compose" / "nginx.conf"):
        site = source.read_text().replace("server web:8000", "server 127.0.0.1:8000")
        site = site.replace("server ws:8000", "server 127.0.0.1:8001")
        site = re.sub(r"listen \d+;", "listen 127.0.0.1:1;", site)  # never started: -t only parses
        (tmp_path / "site.conf").write_text(site)
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
            f"http {{\n access_log off;\n client_body_temp_path {tmp_path};\n include {tmp_path}/site.conf;\n}}\n")
        result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{source.name}: {result.stderr}"
