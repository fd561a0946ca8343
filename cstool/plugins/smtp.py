"""E-mail notices over SMTP (stdlib smtplib), when policy has a [notify.smtp] table.

[notify.smtp]
host = "mail.example.com"
port = 587
sender = "cstool@example.com"
starttls = true
username = "cstool"                  # optional; the password comes from the environment
password_env = "CSTOOL_SMTP_PASSWORD"
[notify.smtp.addresses]              # staff names (as in departments) → e-mail
"李主管" = "li@example.com"
"""

from __future__ import annotations

import os

from cstool import api
from cstool.api import _, hookimpl

KEYS = ("host", "port", "sender", "starttls", "username", "password_env", "addresses", "timeout")


def _message(action, sender, to, policy):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)

    def titled(key: str, lang: str) -> str:
        return api.name_of(policy, action[key], lang)

    clock_en, level_en, clock_zh, level_zh = (titled(k, lang) for lang in ("en", "zh") for k in ("clock", "level"))
    message["Subject"] = f"[cstool] {action['id']}: {clock_en} passed {level_en} / {clock_zh}已升级至{level_zh}"
    message.set_content(
        f"{action['id']}: the {clock_en} clock passed the escalation level {level_en} at {action['at']}.\n"
        f"{action['id']}：{clock_zh}时钟已于 {action['at']} 达到升级级别“{level_zh}”，请及时处理。\n"
    )
    return message


def connected(settings):
    import smtplib

    password = os.environ.get(settings.get("password_env", ""), "") if settings.get("password_env") else ""
    smtp = smtplib.SMTP(settings["host"], int(settings.get("port", 25)), timeout=float(settings.get("timeout", 10)))
    if settings.get("starttls"):
        smtp.starttls()
    if settings.get("username"):
        smtp.login(settings["username"], password)
    return smtp


@hookimpl
def cstool_notify(actions, policy):
    settings = policy.get("notify.smtp")
    if not settings:
        return
    addresses = settings.get("addresses", {})
    with connected(settings) as smtp:
        for action in actions:
            to = [addresses[name] for name in action["recipients"] if name in addresses]
            if to:
                smtp.send_message(_message(action, settings["sender"], to, policy))


@hookimpl
def cstool_send_report(path, title, recipients, policy):
    settings = policy.get("notify.smtp")
    if not settings:
        return None
    import mimetypes
    from email.message import EmailMessage

    addresses = settings.get("addresses", {})
    to = [addresses[name] for name in recipients if name in addresses]
    if not to:
        return None  # nobody here has an address: the outbox keeps it
    message = EmailMessage()
    message["From"] = settings["sender"]
    message["To"] = ", ".join(to)
    message["Subject"] = f"[cstool] {title}"
    message.set_content(_("{title}: the report is attached ({name}).").format(title=title, name=path.name) + "\n")
    kind, _encoding = mimetypes.guess_type(path.name)
    main, sub = (kind or "application/octet-stream").split("/")
    message.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=path.name)
    with connected(settings) as smtp:
        smtp.send_message(message)
    return _("e-mailed to {sent} of {count} recipients ({addresses})").format(
        sent=len(to), count=len(recipients), addresses=", ".join(to)
    )


@hookimpl
def cstool_check_policy(policy):
    settings = policy.get("notify.smtp")
    if settings is None:
        return []
    base = ("notify", "smtp")
    if not isinstance(settings, dict):
        return [api.Problem(base, _("must be a table with host, port and sender"))]
    problems = [
        api.Problem((*base, key), _("unknown key; keys are {KEYS}").format(KEYS=", ".join(KEYS)))
        for key in settings
        if key not in KEYS
    ]
    for key in ("host", "sender"):
        if not isinstance(settings.get(key), str):
            problems.append(api.Problem((*base, key), _("is required, in quotes")))
    port = settings.get("port", 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        problems.append(api.Problem((*base, "port"), _("must be a port number")))
    addresses = settings.get("addresses", {})
    if not (isinstance(addresses, dict) and all(isinstance(v, str) and "@" in v for v in addresses.values())):
        problems.append(api.Problem((*base, "addresses"), _('must be a table of name = "e-mail address"')))
    return problems


@hookimpl
def cstool_policy_keys():
    return [
        "notify.smtp",
    ]
