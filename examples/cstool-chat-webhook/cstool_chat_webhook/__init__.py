"""Escalation notices to a chat group's robot webhook (WeCom / DingTalk text messages).

A cstool plugin: cstool_notify posts the notices, cstool_policy_keys declares and
cstool_check_policy checks [notify.webhook], cstool_commands adds `cstool webhook test`.
Standard library only.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import click

from cstool.api import hookimpl

SECTION = ("notify", "webhook")
KEYS = ("url", "url_env", "timeout", "mention")


class WebhookError(Exception):
    pass


def webhook_settings(policy) -> dict | None:
    """The [notify.webhook] table with the URL resolved, or None when the table is absent."""
    settings = policy.get(SECTION)
    if settings is None:
        return None
    url = settings.get("url") or os.environ.get(settings.get("url_env", ""), "")
    if not url:
        raise WebhookError(f"no webhook address: set [notify.webhook] url, or the variable {settings.get('url_env')}")
    return {"url": url, "timeout": float(settings.get("timeout", 10)), "mention": bool(settings.get("mention", False))}


def notice_text(action: dict) -> str:
    """One notice as a chat message, Chinese first (the group reads it on a phone)."""
    who = "、".join(action["recipients"]) or "—"
    return (
        f"【投诉升级 / escalation】{action['id']}\n"
        f"时钟 clock: {action['clock']}  级别 level: {action['level']}\n"
        f"时间 at: {action['at']}\n"
        f"请处理 please act: {who}"
    )


def post(settings: dict, text: str, mentioned: list[str]) -> None:
    body = {"msgtype": "text", "text": {"content": text}}
    if settings["mention"] and mentioned:
        body["text"]["mentioned_list"] = mentioned
    request = urllib.request.Request(
        settings["url"],
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings["timeout"]) as response:
            reply = response.read()
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"the webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookError(f"the webhook could not be reached: {getattr(exc, 'reason', exc)}") from None
    try:
        answer = json.loads(reply or b"{}")
    except ValueError:
        return  # not every robot answers JSON; HTTP 2xx is success
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        raise WebhookError(f"the webhook refused the message: errcode {answer['errcode']} {answer.get('errmsg', '')}")


@hookimpl
def cstool_notify(actions, policy):
    settings = webhook_settings(policy)
    if settings is None:
        return
    for action in actions:
        post(settings, notice_text(action), action["recipients"])


@hookimpl
def cstool_policy_keys():
    """The one table this plugin reads: [notify.webhook]."""
    return ["notify.webhook"]


@hookimpl
def cstool_check_policy(policy):
    from cstool import api

    settings = policy.get(SECTION)
    if settings is None:
        return []
    if not isinstance(settings, dict):
        return [api.Problem(SECTION, "must be a table with url or url_env")]
    problems = [
        api.Problem((*SECTION, key), f"unknown key; keys are {', '.join(KEYS)}") for key in settings if key not in KEYS
    ]
    url = settings.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        problems.append(api.Problem((*SECTION, "url"), "must be an http:// or https:// address in quotes"))
    if url is None and not isinstance(settings.get("url_env"), str):
        problems.append(api.Problem(SECTION, "needs url, or url_env naming the variable that holds it"))
    timeout = settings.get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        problems.append(api.Problem((*SECTION, "timeout"), "must be a number of seconds above 0"))
    return problems


@hookimpl
def cstool_commands(cli):
    @cli.group("webhook")
    def webhook():
        """The chat-group webhook for escalation notices (plugin chat_webhook)."""

    @webhook.command("test")
    @click.option("--message", default="cstool 测试消息 / test message", help="Text to post.")
    @click.pass_obj
    def webhook_test(app, message):
        """Post one message to the webhook in [notify.webhook]."""
        from cstool import api

        try:
            settings = webhook_settings(app.policy)
            if settings is None:
                raise WebhookError("the policy has no [notify.webhook] table")
            post(settings, message, [])
        except WebhookError as exc:
            raise api.CstoolError(str(exc)) from None
        click.echo("posted")
