"""Staff assessment (月度考核): `report staff` against figures reckoned here from the same
events, the supervisor's rating kind, and who may see whose line."""

from __future__ import annotations

import pytest
from conftest import complaint_args

from cstool.api import department_leaders


def case(ws_cli, at: str, owner: str, **values) -> str:
    result = ws_cli("--no-input", "record", "complaint", *complaint_args(**values), "--at", at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rid = result.json()["id"]
    assert ws_cli("assign", rid, owner, "--at", at).exit_code == 0
    return rid


def run(ws_cli, *args):
    result = ws_cli(*args)
    assert result.exit_code == 0, result.stderr
    return result


CRITERIA = (
    "language",
    "knowledge",
    "analysis",
    "composure",
    "communication",
    "patience",
    "teamwork",
    "integrity",
    "learning",
    "innovation",
)  # fmt: skip  (policy.toml's [staff.criteria])


def rate(ws_cli, agent: str, *scores: int, by: str = "李主管", assessment: str = "supervisor"):
    """Scores for the policy's ten criteria: those given, then the last repeated."""
    given = [*scores, *[scores[-1]] * (len(CRITERIA) - len(scores))]
    text = "; ".join(f"{name}={value}" for name, value in zip(CRITERIA, given))
    return ws_cli("--as", by, "--no-input", "record", "staff_rating", "--set", f"agent={agent}",
                  "--set", "month=2026-11", "--set", f"scores={text}", "--set", f"assessment={assessment}")  # fmt: skip


def test_the_figures_and_the_score_are_the_ones_reckoned_here(ws_cli, backend):
    # 小王: two cases, one answered in 30 minutes and resolved, one never answered; one reopened
    fast = case(ws_cli, "2026-11-16 09:00", "小王")
    run(ws_cli, "respond", fast, "--at", "2026-11-16 09:30")
    run(ws_cli, "status", fast, "responded", "--at", "2026-11-16 10:00")
    run(ws_cli, "status", fast, "reopened", "--at", "2026-11-16 10:30")
    run(ws_cli, "respond", fast, "--at", "2026-11-16 11:00")
    run(ws_cli, "status", fast, "responded", "--at", "2026-11-16 11:30")
    case(ws_cli, "2026-11-16 09:00", "小王")
    # 小李: one case answered in time; a complaint about her attitude names her
    other = case(ws_cli, "2026-11-17 09:00", "小李")
    run(ws_cli, "respond", other, "--at", "2026-11-17 09:10")
    case(ws_cli, "2026-11-18 09:00", "小王", content="客服小李态度恶劣，直接挂断了我的电话")
    run(ws_cli, "--no-input", "record", "call", "--set", "direction=outbound", "--set", "outcome=answered",
        "--set", "agent=小王", "--set", f"linked_record={fast}", "--at", "2026-11-16 09:45")  # fmt: skip
    assert rate(ws_cli, "小王", 4, 4, 5, 3, 4).exit_code == 0  # mean 4.0
    report = run(
        ws_cli,
        "--as",
        "李主管",
        "report",
        "staff",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--now",
        "2026-11-30 18:00",
        "--format",
        "json",
    ).json()  # fmt: skip  (a leader sees every line)
    rows = {row["agent"]: row for row in report["rows"]}
    wang, li = rows["小王"], rows["小李"]
    assert wang["cases"] == 3 and li["cases"] == 1
    assert wang["reopen_pct"] == round(100 * 1 / 3, 2)
    # resolved once, after two replies and one linked call made before the first resolution... and the
    # second reply before the second resolution: every contact before the case's resolved_at
    sla = {clock["name"]: clock["state"] for clock in ws_cli(
        "sla", fast, "--now", "2026-11-30 18:00", "--format", "json").json()["clocks"]}  # fmt: skip
    assert sla["first_response"] == "met"
    assert wang["contacts_per_resolved"] == 3.0  # two replies and the call, one resolved case
    assert li["complaints_against"] == 1 and wang["complaints_against"] == 0
    assert wang["rating"] == 4.0 and li["rating"] is None
    assert wang["calls"] == 1
    # 小李 has no rating and no survey: not measured, not missed; the complaint against her is missed
    assert "complaints_against" in li["missed"] and "rating" not in li["missed"]
    assert {"rating", "csat_pct"} <= set(li["unmeasured"]) and "csat_pct" not in wang["missed"]
    # the score, reckoned here from the default targets
    targets = {
        "first_response_pct": ("at_least", 90, 20), "resolution_pct": ("at_least", 85, 20),
        "reopen_pct": ("at_most", 5, 10), "contacts_per_resolved": ("at_most", 3, 10),
        "complaints_against": ("at_most", 0, 10), "csat_pct": ("at_least", 80, 15), "rating": ("at_least", 4, 15),
    }  # fmt: skip

    def reckoned(row):
        earned = counted = 0.0
        for name, (way, goal, weight) in targets.items():
            value = row[name]
            if value is None:
                continue  # not measured: out of the score
            counted += weight
            if way == "at_least":
                earned += weight * min(1.0, value / goal)
            else:
                earned += weight * (1.0 if value <= goal else goal / value)
        return round(100 * earned / counted, 2)

    assert wang["score"] == reckoned(wang) and li["score"] == reckoned(li)
    assert [row["rank"] for row in report["rows"]] == [1, 2]
    assert report["rows"][0]["score"] >= report["rows"][1]["score"]
    # again, the clocks now remembered: a database counts them itself, to the same figures
    again = run(ws_cli, "--as", "李主管", "report", "staff", "--since", "2026-11-01", "--until", "2026-11-30",
                "--now", "2026-11-30 18:00", "--format", "json").json()  # fmt: skip
    assert again["rows"] == report["rows"]
    table = run(ws_cli, "--lang", "zh", "report", "staff", "--month", "2026-11").stdout
    assert "员工月度考核" in table and "未达标项目" in table and "无数据项目" in table
    whole = run(ws_cli, "--lang", "zh", "report", "staff").stdout  # every month: not titled as one
    assert "员工考核" in whole and "员工月度考核" not in whole


def test_only_a_supervisor_rates_and_a_rating_is_checked(ws_cli):
    refused = rate(ws_cli, "小王", 4, 4, 4, 4, by="小张")
    assert refused.exit_code == 1 and "only a supervisor or manager rates staff" in refused.stderr
    out_of_range = rate(ws_cli, "小王", 6, 4, 4, 4)
    assert out_of_range.exit_code == 1 and "language" in out_of_range.stderr
    bad_month = ws_cli("--as", "李主管", "--no-input", "record", "staff_rating", "--set", "agent=小王",
                       "--set", "month=11/2026", "--set", "scores=" + "; ".join(f"{c}=4" for c in CRITERIA))  # fmt: skip
    assert bad_month.exit_code == 1 and "is not a month" in bad_month.stderr


@pytest.mark.usefixtures("pg_url")
def test_on_a_shared_store_an_agent_sees_only_their_own_line(ws_cli, pg_url, monkeypatch):
    monkeypatch.setenv("CSTOOL_STORE_URL", pg_url)
    case(ws_cli, "2026-11-16 09:00", "小王")
    case(ws_cli, "2026-11-16 10:00", "小李")
    mine = run(ws_cli, "--as", "小王", "report", "staff", "--month", "2026-11", "--format", "json").json()
    assert [row["agent"] for row in mine["rows"]] == ["小王"]
    everyone = run(ws_cli, "--as", "李主管", "report", "staff", "--month", "2026-11", "--format", "json").json()
    assert {row["agent"] for row in everyone["rows"]} >= {"小王", "小李"}


def test_department_leaders_are_the_managers_and_supervisors_the_policy_names():
    policy = {
        "departments": {
            "hotline": {"manager": "王经理", "supervisor": "李主管", "staff": ["小王"]},
            "after_sales": {"manager": "王经理", "supervisor": ""},  # a post not yet filled
            "note": "not a department",
        }
    }
    assert department_leaders(policy) == {"王经理", "李主管"}
    assert department_leaders({}) == set()
