"""A mailbox's settings, read from its channel, and the connections they describe (IMAP in, SMTP out).

Connection failures are turned into sentences an administrator can act on ("the server refused the
user name or password"), used by "test connection" and shown on the channel when polling fails.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.utils.translation import gettext as _

from ruamchat.connectors.base import ConnectionCheck as Check
from ruamchat.connectors.models import Channel
from ruamchat.core.secrets import SecretsUnreadable

SECURITY = ("ssl", "starttls", "none")
AFTER_FETCH = ("seen", "move", "delete", "leave")
TIMEOUT = 20.0


@dataclass(frozen=True)
class Mailbox:
    address: str
    display_name: str = ""
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    after_fetch: str = "seen"
    move_to: str = ""
    use_idle: bool = True
    poll_seconds: int = 60
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    tls_verify: bool = True
    #: give each conversation its own reply address (support+c12.token@…); the mail server must deliver
    #: plus-addressed mail to the mailbox (Gmail, Microsoft 365 and Dovecot do)
    plus_addressing: bool = False
    #: From: "Agent name via Company <support@…>" rather than just the company
    agent_names: bool = True
    #: automatic mail (bot answers, acknowledgements, surveys) to one address, at most this many an hour
    automatic_per_hour: int = 3

    @property
    def receives(self) -> bool:
        return bool(self.imap_host)

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1].lower()

    def plus_address(self, tag: str) -> str:
        local, _at, domain = self.address.partition("@")
        return f"{local}+{tag}@{domain}"


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _bool(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def mailbox_of(channel: Channel) -> Mailbox:
    try:
        secrets = channel.secrets
    except SecretsUnreadable:
        secrets = {}
    return from_settings(channel.config, secrets)


def from_settings(config: dict[str, Any], secrets: dict[str, Any]) -> Mailbox:
    c = config
    return Mailbox(
        address=str(c.get("address") or "").strip().lower(),
        display_name=str(c.get("display_name") or "").strip(),
        imap_host=str(c.get("imap_host") or "").strip(),
        imap_port=_int(c.get("imap_port"), 993),
        imap_security=str(c.get("imap_security") or "ssl"),
        imap_user=str(c.get("imap_user") or "").strip(),
        imap_password=str(secrets.get("imap_password") or ""),
        imap_folder=str(c.get("imap_folder") or "INBOX").strip() or "INBOX",
        after_fetch=str(c.get("after_fetch") or "seen"),
        move_to=str(c.get("move_to") or "").strip(),
        use_idle=_bool(c.get("use_idle"), True),
        poll_seconds=max(_int(c.get("poll_seconds"), 60), 5),
        smtp_host=str(c.get("smtp_host") or "").strip(),
        smtp_port=_int(c.get("smtp_port"), 587),
        smtp_security=str(c.get("smtp_security") or "starttls"),
        smtp_user=str(c.get("smtp_user") or "").strip(),
        smtp_password=str(secrets.get("smtp_password") or ""),
        tls_verify=_bool(c.get("tls_verify"), True),
        plus_addressing=_bool(c.get("plus_addressing"), False),
        agent_names=_bool(c.get("agent_names"), True),
        automatic_per_hour=max(_int(c.get("automatic_per_hour"), 3), 0),
    )


def validate(config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, list[str]]:
    box = from_settings(config, secrets)
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    _name, addr = parseaddr(box.address)
    if not addr or "@" not in addr or addr != box.address or " " in addr:
        add("address", _("Enter the mailbox's email address, e.g. support@example.com."))
    for prefix in ("imap", "smtp"):
        port = _int(config.get(f"{prefix}_port"), 0) if config.get(f"{prefix}_port") not in (None, "") else 1
        if not 0 < port < 65536:
            add(f"{prefix}_port", _("A port is a number from 1 to 65535."))
        if str(config.get(f"{prefix}_security") or ("ssl" if prefix == "imap" else "starttls")) not in SECURITY:
            add(f"{prefix}_security", _("Choose ssl, starttls or none."))
    if box.imap_host and not box.imap_user:
        add("imap_user", _("Enter the user name for the IMAP server."))
    if box.after_fetch not in AFTER_FETCH:
        add("after_fetch", _("Choose seen, move, delete or leave."))
    if box.after_fetch == "move" and not box.move_to:
        add("move_to", _("Name the folder processed mail is moved to."))
    if not box.smtp_host:
        add("smtp_host", _("Enter the SMTP server that sends the replies."))
    return errors


# ---------------------------------------------------------------- connections


def tls_context(box: Mailbox) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not box.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect_imap(box: Mailbox, timeout: float = TIMEOUT) -> Any:
    """A logged-in IMAPClient (the caller logs out)."""
    from imapclient import IMAPClient

    client = IMAPClient(box.imap_host, port=box.imap_port, ssl=box.imap_security == "ssl",
                        ssl_context=tls_context(box), timeout=timeout)
    try:
        if box.imap_security == "starttls":
            client.starttls(tls_context(box))
        client.login(box.imap_user, box.imap_password)
    except BaseException:
        with contextlib.suppress(Exception):  # the connection may already be gone
            client.shutdown()
        raise
    return client


def connect_smtp(box: Mailbox, timeout: float = TIMEOUT) -> smtplib.SMTP:
    """A connected (and, when a user is set, logged-in) SMTP client."""
    smtp: smtplib.SMTP
    if box.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(box.smtp_host, box.smtp_port, timeout=timeout, context=tls_context(box))
    else:
        smtp = smtplib.SMTP(box.smtp_host, box.smtp_port, timeout=timeout)
    try:
        smtp.ehlo()
        if box.smtp_security == "starttls":
            smtp.starttls(context=tls_context(box))
            smtp.ehlo()
        if box.smtp_user:
            smtp.login(box.smtp_user, box.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def explain(exc: BaseException, *, server: str, host: str, port: int) -> str:
    """What went wrong, in words an administrator can act on."""
    where = f"{host}:{port}"
    from imapclient.exceptions import LoginError

    if isinstance(exc, socket.gaierror):
        return _("The %(server)s server name %(host)s could not be found. Check the spelling.") % {
            "server": server, "host": host}
    if isinstance(exc, ConnectionRefusedError):
        return _("%(where)s refused the connection. Check the host and the port.") % {"where": where}
    if isinstance(exc, TimeoutError | socket.timeout):
        return _("No answer from %(where)s within %(seconds)s seconds. Check the host, the port and the "
                 "firewall.") % {"where": where, "seconds": int(TIMEOUT)}
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _("The %(server)s server's TLS certificate is not trusted (%(reason)s). Fix the certificate or, "
                 "for a server you trust, turn off certificate checks.") % {
            "server": server, "reason": exc.verify_message or exc.reason or str(exc)}
    if isinstance(exc, ssl.SSLError):
        return _("The secure connection to %(where)s failed (%(reason)s). The port may not use this kind of "
                 "security: try SSL for 993/465, STARTTLS for 143/587.") % {
            "where": where, "reason": exc.reason or str(exc)}
    if isinstance(exc, LoginError | smtplib.SMTPAuthenticationError):
        return _("The %(server)s server refused the user name or password.") % {"server": server}
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _("The %(server)s server does not offer this: %(reason)s") % {"server": server, "reason": exc}
    if isinstance(exc, smtplib.SMTPException | OSError):
        return _("%(server)s at %(where)s: %(reason)s") % {"server": server, "where": where, "reason": exc}
    text = str(exc)
    if "STARTTLS" in text.upper():
        return _("The %(server)s server does not offer STARTTLS: choose SSL or no security.") % {"server": server}
    return _("%(server)s at %(where)s: %(reason)s") % {"server": server, "where": where, "reason": text or
                                                        type(exc).__name__}


def test_connection(box: Mailbox) -> list[Check]:
    """Log in to IMAP (and open the folder) and to SMTP, reporting each step in plain words."""
    checks: list[Check] = []
    if box.imap_host:
        try:
            client = connect_imap(box)
            try:
                if not client.folder_exists(box.imap_folder):
                    checks.append(Check("imap", False, _("Connected, but the folder %(folder)s does not exist.")
                                        % {"folder": box.imap_folder}))
                else:
                    info = client.select_folder(box.imap_folder, readonly=True)
                    idle = b"IDLE" in client.capabilities()
                    checks.append(Check("imap", True, _(
                        "IMAP works: %(count)s messages in %(folder)s; new mail is noticed %(how)s.") % {
                        "count": info.get(b"EXISTS", 0), "folder": box.imap_folder,
                        "how": _("at once (IDLE)") if idle and box.use_idle else
                        _("every %(s)s seconds") % {"s": box.poll_seconds}}))
                    if box.after_fetch == "move" and not client.folder_exists(box.move_to):
                        checks.append(Check("imap_move_to", False, _(
                            "The folder %(folder)s, where processed mail is moved, does not exist.")
                            % {"folder": box.move_to}))
            finally:
                client.logout()
        except Exception as exc:
            checks.append(Check("imap", False, explain(exc, server="IMAP", host=box.imap_host, port=box.imap_port)))
    else:
        checks.append(Check("imap", True, _("No IMAP server: mail arrives through `ruamchat ingest-email` or the "
                                            "built-in SMTP receiver.")))
    try:
        smtp = connect_smtp(box)
        try:
            smtp.noop()
        finally:
            smtp.quit()
        checks.append(Check("smtp", True, _("SMTP works: replies can be sent from %(address)s.")
                            % {"address": box.address}))
    except Exception as exc:
        checks.append(Check("smtp", False, explain(exc, server="SMTP", host=box.smtp_host, port=box.smtp_port)))
    return checks
