"""The webhook plugin, driven through cstool's commands against a robot on loopback."""

COMPLAINT = (
    "--set",
    "customer_name=张伟",
    "--set",
    "channel=letter",  # one clock: by phone a dispatch standard (30m) would escalate too
    "--set",
    "content=电水壶漏水",
    "--set",
    "contact_phone=13812341234",
    "--at",
    "2026-11-16T09:00:00+08:00",
    "--format",
    "json",
)


def configure(cstool, url):
    assert cstool("policy", "set", "notify.webhook.url", f'"{url}"').exit_code == 0
    assert cstool("policy", "set", "notify.webhook.mention", "true").exit_code == 0


def test_escalation_notices_are_posted_as_text_messages(cstool, robot):
    configure(cstool, robot.url)
    complaint = cstool("record", "complaint", *COMPLAINT).json()
    done = cstool("escalate", "--now", "2026-11-16T13:45:00+08:00")
    assert done.exit_code == 0, done.stderr
    assert len(robot.posts) == 1
    text = robot.posts[0]["text"]
    assert robot.posts[0]["msgtype"] == "text" and complaint["id"] in text["content"]
    assert "first_response" in text["content"] and text["mentioned_list"] == ["tester"]


def test_a_refusing_robot_is_named_and_the_escalation_is_kept(cstool, robot):
    configure(cstool, robot.url)
    robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    complaint = cstool("record", "complaint", *COMPLAINT).json()
    done = cstool("escalate", "--now", "2026-11-16T13:45:00+08:00")
    assert "chat_webhook" in done.stderr and "errcode 93000" in done.stderr
    events = cstool("show", complaint["id"], "--format", "json").json()["events"]
    assert [e["level"] for e in events if e["type"] == "escalated"] == ["remind"]


def test_webhook_test_command_posts_and_reports_unreachable_addresses(cstool, robot):
    configure(cstool, robot.url)
    assert cstool("webhook", "test", "--message", "你好").stdout == "posted\n"
    assert robot.posts == [{"msgtype": "text", "text": {"content": "你好"}}]
    configure(cstool, "http://127.0.0.1:9/nothing-listens-here")
    done = cstool("webhook", "test")
    assert done.exit_code == 1 and "could not be reached" in done.stderr


def test_a_bad_address_in_policy_names_the_key(cstool):
    assert cstool("policy", "set", "notify.webhook.url", '"ftp://example.com"').exit_code == 1
    checked = cstool("policy", "check")
    assert checked.exit_code == 0  # the refused set left the policy as it was
