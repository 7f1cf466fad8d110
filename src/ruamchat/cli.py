"""The one entry point: `ruamchat <command>`. Our commands and every Django management command."""

from __future__ import annotations

import os
import sys

HELP = """ruamchat (รวมแชท) — every customer conversation in one inbox

Usage: ruamchat <command> [options]

  demo                 migrate, load Thai demo data and serve at http://127.0.0.1:8000
  serve                serve HTTP and websockets (--host, --port, --workers, --no-worker)
  worker               run background job workers (--concurrency)
  createadmin          create an administrator login
  token create --user NAME
                       print a new API token for scripts
  ingest-email --channel KEY < mail.eml
                       store a mail piped in by a mail server (or imported by hand)
  email-parse FILE... [--json]
                       show what the email parser makes of .eml files
  smtp-receive         receive mail for the email channels over SMTP (--host, --port)
  migrate, shell, …    any Django management command (`ruamchat help` lists them)

Configuration comes from RUAMCHAT_* environment variables; see the README.
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(HELP)
        return
    if args[0] == "manage":  # explicit pass-through, for names that might clash one day
        args = args[1:]
    if args and "-" in args[0] and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")  # `ruamchat ingest-email` runs the ingest_email command
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ruamchat.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ruamchat", *args])


if __name__ == "__main__":
    main()
