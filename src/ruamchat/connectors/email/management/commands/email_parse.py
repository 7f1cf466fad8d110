"""`ruamchat email-parse FILE... [--json]`: what the parser makes of each mail, without storing anything."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from ruamchat.connectors.email.parser import parse


class Command(BaseCommand):
    help = "Show what the email parser makes of .eml files (nothing is stored)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="one JSON object per line, in the order given")

    def handle(self, *args: Any, **opts: Any) -> None:
        for path in opts["files"]:
            try:
                with open(path, "rb") as fh:
                    raw = fh.read()
            except OSError as exc:
                self._emit(opts["json"], {"path": path, "error": exc.strerror or str(exc)})
                continue
            self._emit(opts["json"], {"path": path, **parse(raw).as_json()})

    def _emit(self, as_json: bool, data: dict[str, Any]) -> None:
        if as_json:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        if "error" in data:
            self.stdout.write(f"== {data['path']}\nerror: {data['error']}\n")
            return
        who = data["from"] or {}
        lines = [
            f"== {data['path']}",
            f"from:        {who.get('name', '')} <{who.get('address', '')}>",
            f"to:          {', '.join(a['address'] for a in data['to'])}",
        ]
        if data["cc"]:
            lines.append(f"cc:          {', '.join(a['address'] for a in data['cc'])}")
        if data["reply_to"]:
            lines.append(f"reply-to:    {', '.join(a['address'] for a in data['reply_to'])}")
        lines += [
            f"subject:     {data['subject']}",
            f"date:        {data['date'] or '-'}",
            f"message-id:  {data['message_id'] or '-'}",
            f"in-reply-to: {data['in_reply_to'] or '-'}",
            f"references:  {' '.join(data['references']) or '-'}",
            f"html:        {'yes' if data['has_html'] else 'no'}",
            f"auto-reply:  {'yes' if data['auto_reply'] else 'no'}"
            f"{' (do not auto-respond)' if data['suppress_auto_response'] else ''}",
            f"bounce:      {'yes' if data['bounce'] else 'no'}",
        ]
        for a in data["attachments"]:
            cid = f" cid:{a['content_id']}" if a["content_id"] else ""
            lines.append(f"attachment:  {a['filename'] or '(no name)'} {a['content_type']} {a['size']} bytes{cid}")
        for problem in data["problems"]:
            lines.append(f"problem:     {problem}")
        lines += ["", data["new_text"]]
        if data["quoted_text"]:
            lines += ["", "[quoted / signature]", data["quoted_text"]]
        self.stdout.write("\n".join(lines) + "\n")
