"""Approval before reply (申请领导批准后答复客户): a complaint whose proposed resolution needs a
supervisor's approval is not answered until one approves it.

    [complaints.approval]
    above_compensation = 500                  # a compensation offered above this amount
    complainant_types = ["权利要挟型"]          # and complaints of these complainant types
    wait = "counted"                           # the wait for the decision: "counted" by the clocks, or "paused"

    cstool propose CMP-… --compensation 800 --resolution "退款并补偿"   # asks for approval if it needs one
    cstool approve CMP-… [--note …]          # the department's manager or supervisor
    cstool reject CMP-… --reason …           # and a new proposal asks again

The trail holds each step (``approval_requested``, ``approved``, ``rejected``). With
``wait = "paused"`` the case waits in the status ``awaiting_approval`` (a pending phase,
which pauses its clocks); counted, it stays where it was. The wait, in working minutes, is
shown on the case (`show`, `sla`).
"""

from __future__ import annotations

from datetime import datetime

from cstool import api
from cstool.api import _, hookimpl

KIND = "complaint"
WAITING = "awaiting_approval"
BACK_TO = "investigating"
STEPS = ("approval_requested", "approved", "rejected")


def needs_approval(record: dict, policy) -> bool:
    """Whether policy wants a supervisor to approve this case's proposal before the reply."""
    rules = policy.get("complaints.approval") or {}
    if rules.get("every_reply"):  # 申请领导批准后答复: the documents' procedure, for every complaint
        return True
    above = rules.get("above_compensation")
    if above is not None and (record.get("compensation") or 0) > above:
        return True
    return record.get("complainant_type") in (rules.get("complainant_types") or [])


def approval_step(record: dict) -> dict | None:
    """The last approval event of the trail (requested, approved or rejected), if any."""
    return next((e for e in reversed(record.get("events") or []) if e.get("type") in STEPS), None)


def deciders(policy, record: dict) -> set[str]:
    """Who may decide: the manager and the supervisor of the case's department."""
    department = (policy.get("departments") or {}).get(record.get("department") or "", {})
    return {
        department[role] for role in ("manager", "supervisor") if isinstance(department, dict) and department.get(role)
    }


def waited(policy, record: dict, since: str, until: datetime) -> float | None:
    """Working minutes from ``since`` to ``until`` on the case's own calendar."""
    plan = api.SlaPolicy(policy).plan_for(record)
    if plan is None:
        return None
    return round(plan[0].business_minutes(datetime.fromisoformat(since), until), 1)


@hookimpl
def cstool_check_reply(kind, record, policy):
    if kind.name != KIND or not needs_approval(record, policy):
        return None
    step = approval_step(record)
    if step is None:
        return _("{id} needs a supervisor's approval before the reply: propose it (cstool propose {id} …)").format(
            id=record["id"]
        )
    if step["type"] == "approval_requested":
        return _("{id} awaits approval since {at}; the reply waits for it (cstool approve {id})").format(
            id=record["id"], at=_short(step["at"])
        )
    if step["type"] == "rejected":
        return _("{id}: its proposal was rejected ({reason}); propose another").format(
            id=record["id"], reason=step.get("reason")
        )
    return None


@hookimpl
def cstool_record_notes(kind, record, policy, lang):
    if kind.name != KIND:
        return None
    step = approval_step(record)
    if step is None:
        return None
    requested = next((e for e in reversed(record["events"]) if e.get("type") == "approval_requested"), step)
    title = "审批" if lang == "zh" else "Approval"
    if step["type"] == "approval_requested":
        minutes = waited(policy, record, requested["at"], api.now_in(policy.timezone))
        text = _("awaiting approval since {at} ({minutes} working minutes so far)").format(
            at=_short(requested["at"]), minutes=minutes
        )
    else:
        minutes = waited(policy, record, requested["at"], datetime.fromisoformat(step["at"]))
        text = _("{decision} by {by} at {at}, after {minutes} working minutes").format(
            decision=_("approved") if step["type"] == "approved" else _("rejected"),
            by=step.get("by"),
            at=_short(step["at"]),
            minutes=minutes,
        )
    return [(title, text)]


def _short(instant: str) -> str:
    return instant[:16].replace("T", " ")


@hookimpl
def cstool_check_policy(policy):
    rules = policy.get("complaints.approval")
    if rules is None:
        return []
    base = ("complaints", "approval")
    if not isinstance(rules, dict):
        return [api.Problem(base, _("must be a table with above_compensation, complainant_types and wait"))]
    problems = []
    above = rules.get("above_compensation", 0)
    if isinstance(above, bool) or not isinstance(above, int | float) or above < 0:
        problems.append(api.Problem((*base, "above_compensation"), _("must be an amount, 0 or more")))
    if not isinstance(rules.get("every_reply", False), bool):
        problems.append(api.Problem((*base, "every_reply"), _("must be true or false")))
    if rules.get("wait", "counted") not in ("counted", "paused"):
        problems.append(api.Problem((*base, "wait"), _('must be "counted" or "paused"')))
    types = rules.get("complainant_types", [])
    if not (isinstance(types, list) and all(isinstance(t, str) for t in types)):
        problems.append(api.Problem((*base, "complainant_types"), _("must be a list of complainant types")))
    return problems


@hookimpl
def cstool_policy_keys():
    return [f"complaints.approval.{key}" for key in ("every_reply", "above_compensation", "complainant_types", "wait")]


def _step(app, when: str, type_: str, **details) -> dict:
    return {"at": when, "by": app.user, "type": type_, **{k: v for k, v in details.items() if v is not None}}


def propose(app, record_id: str, values: dict) -> dict:
    """Set the proposed resolution (``values``: compensation, resolution) and, when policy
    says it needs approval, ask for it and hold the reply until a supervisor decides."""
    if values:
        app.book.update(record_id, values, None)

    def ask(kind, record, when):
        if not needs_approval(record, app.policy):
            return
        if (approval_step(record) or {}).get("type") == "approval_requested":
            raise api.CstoolError(_("{id} awaits approval already").format(id=record["id"]))
        record["events"].append(_step(app, when, "approval_requested", compensation=record.get("compensation")))
        if (app.policy.get("complaints.approval.wait") or "counted") == "paused" and record["status"] != WAITING:
            app.book.apply_status(kind, record, WAITING, when, _("waiting for approval"))
        record["updated_at"] = when

    return app.book.change(record_id, None, ask)


def decide(app, record_id: str, decision: str, note: str | None) -> dict:
    """Approve or reject the proposal awaiting approval (only its department's deciders)."""
    app.require("approve")

    def apply(kind, record, when):
        allowed, department = deciders(app.policy, record), record.get("department")
        if app.user not in allowed:
            names = ", ".join(sorted(allowed)) or _("nobody")
            raise api.CstoolError(
                _("only the manager or supervisor of {department} decides ({names}); --as names who decides").format(
                    department=app.shown(department), names=names
                )
            )
        if (approval_step(record) or {}).get("type") != "approval_requested":
            raise api.CstoolError(_("{id} has no proposal awaiting approval").format(id=record["id"]))
        details = {"note": note} if decision == "approved" else {"reason": note}
        record["events"].append(_step(app, when, decision, **details))
        if record["status"] == WAITING:
            app.book.apply_status(kind, record, BACK_TO, when, None)
        record["updated_at"] = when

    return app.book.change(record_id, None, apply)


@hookimpl
def cstool_reminders(kind, record, app):
    """At the desk of one who decides: a proposal waiting for their approval."""
    if kind.name != KIND or (approval_step(record) or {}).get("type") != "approval_requested":
        return None
    if not app.may("approve") or app.user not in deciders(app.policy, record):
        return None
    text = _("{id}: a proposal waits for your approval (p on the case)").format(id=record["id"])
    return [(f"approval:{record['id']}:{len(record['events'])}", text)]


@hookimpl
def cstool_case_actions(kind, record, app):
    """At the desk: propose a resolution, approve or reject it."""
    if kind.name != KIND:
        return None
    actions = [
        api.CaseAction(
            "propose",
            {"en": "Propose a resolution", "zh": "提出处理方案"},
            lambda app, record_id, text: propose(app, record_id, {"resolution": text} if text else {}),
            ask={"en": "The resolution proposed to the customer:", "zh": "向客户提出的处理方案："},
        )
    ]
    if (approval_step(record) or {}).get("type") == "approval_requested":
        actions += [
            api.CaseAction(
                "approve",
                {"en": "Approve the proposal", "zh": "批准处理方案"},
                lambda app, record_id, text: decide(app, record_id, "approved", text or None),
                ask={"en": "A word with the approval (may be empty):", "zh": "批准意见（可空）："},
            ),
            api.CaseAction(
                "reject",
                {"en": "Reject the proposal", "zh": "驳回处理方案"},
                lambda app, record_id, text: decide(app, record_id, "rejected", text or _("rejected")),
                ask={"en": "Why (for the next proposal):", "zh": "驳回理由："},
            ),
        ]
    return actions


@hookimpl
def cstool_commands(cli):
    import click

    from cstool.api import format_option, show_record

    @cli.command("propose")
    @click.argument("record_id", metavar="ID", shell_complete=api.complete_id)
    @click.option("--compensation", type=float, help="The compensation offered (拟赔偿金额).")
    @click.option("--resolution", "text", metavar="TEXT", help="The resolution proposed to the customer.")
    @format_option()
    @click.pass_obj
    def propose_command(app, record_id, compensation, text, fmt):
        """Propose a complaint's resolution; when policy says it needs approval, ask for it
        ([complaints.approval]) and hold the reply until a supervisor decides."""
        values = {k: v for k, v in (("compensation", compensation), ("resolution", text)) if v is not None}
        show_record(app, app.kinds.get(KIND), propose(app, record_id, values), fmt)

    @cli.command("approve")
    @click.argument("record_id", metavar="ID", shell_complete=api.complete_id)
    @click.option("--note", metavar="TEXT", help="A word with the approval.")
    @format_option()
    @click.pass_obj
    def approve_command(app, record_id, note, fmt):
        """Approve a complaint's proposed resolution (申请领导批准): the reply may go."""
        show_record(app, app.kinds.get(KIND), decide(app, record_id, "approved", note), fmt)

    @cli.command("reject")
    @click.argument("record_id", metavar="ID", shell_complete=api.complete_id)
    @click.option("--reason", required=True, metavar="TEXT", help="Why, for the next proposal.")
    @format_option()
    @click.pass_obj
    def reject_command(app, record_id, reason, fmt):
        """Reject a complaint's proposed resolution: the reply waits for another proposal."""
        show_record(app, app.kinds.get(KIND), decide(app, record_id, "rejected", reason), fmt)


@hookimpl
def cstool_demo_records(rng, now, policy):
    """Two proposals above the amount: one approved and answered, one still waiting."""
    from datetime import timedelta

    above = (policy.get("complaints.approval") or {}).get("above_compensation")
    if above is None:
        return []
    cases = []
    for hours, decided in ((30, True), (5, False)):
        steps = [("status", "investigating", 30), ("event", "approval_requested", {"compensation": above + 300}, 60)]
        if decided:
            steps += [("event", "approved", {"note": "同意", "by": "王经理"}, 240), ("respond", 300)]
        cases.append(
            api.DemoRecord(
                KIND,
                {
                    "customer_name": rng.choice(["周杰", "Emily Wang"]),
                    "contact_phone": f"13{rng.randint(100000000, 999999999)}",
                    "channel": "phone",
                    "content": "空调安装时损坏墙面，要求赔偿修复费用。",
                    "compensation": above + 300,
                    "resolution": "赔偿墙面修复费用",
                    "created_at": (now - timedelta(hours=hours)).isoformat(),
                },
                steps,
            )
        )
    return cases
