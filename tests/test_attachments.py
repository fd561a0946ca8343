"""Attachments: added, listed, saved as kept, refused when not what they say, carried by
backup and store copy, gone with an erasure; on both stores."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from conftest import complaint_args

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + b"0" * 3000


def files(tmp_path: Path, **named: bytes) -> list[str]:
    out = []
    for name, data in named.items():
        path = tmp_path / name.replace("_", ".")
        path.write_bytes(data)
        out.append(str(path))
    return out


def new_complaint(ws_cli, **fields) -> str:
    return ws_cli("--no-input", "record", "complaint", *complaint_args(**fields), "--format", "json").json()["id"]


def test_files_are_attached_listed_and_saved_as_kept(backend, ws_cli, tmp_path):
    case = new_complaint(ws_cli)
    added = ws_cli("attach", case, *files(tmp_path, invoice_jpg=JPEG, report_pdf=PDF), "--format", "json")
    assert added.exit_code == 0, added.stderr
    listed = ws_cli("attachment", "list", case, "--format", "json").json()["attachments"]
    assert [(a["name"], a["type"], a["size"]) for a in listed] == [
        ("invoice.jpg", "image/jpeg", len(JPEG)),
        ("report.pdf", "application/pdf", len(PDF)),
    ]
    assert listed[0]["digest"] == hashlib.sha256(JPEG).hexdigest() and listed[0]["by"] == "tester"
    shown = ws_cli("show", case)
    assert "1. invoice.jpg" in shown.stdout and "2. report.pdf" in shown.stdout
    trail = ws_cli("show", case, "--format", "json").json()["events"]
    assert [e["name"] for e in trail if e["type"] == "attached"] == ["invoice.jpg", "report.pdf"]
    out = tmp_path / "saved.pdf"
    assert ws_cli("attachment", "save", case, "2", "--output", str(out)).exit_code == 0
    assert out.read_bytes() == PDF
    again = ws_cli("attachment", "save", case, "2", "--output", str(out))
    assert again.exit_code == 1 and "exists" in again.stderr
    assert ws_cli("attachment", "save", case, "3", "--output", str(tmp_path / "x")).exit_code == 1
    # the same file again adds nothing; the same content on another case is kept once
    ws_cli("attach", case, *files(tmp_path, invoice_jpg=JPEG))
    assert len(ws_cli("attachment", "list", case, "--format", "json").json()["attachments"]) == 2
    other = new_complaint(ws_cli)
    assert ws_cli("attach", other, *files(tmp_path, copy_jpg=JPEG)).exit_code == 0


def test_a_file_that_is_not_what_it_says_or_too_large_is_refused_and_nothing_added(
    backend, ws_cli, workspace, tmp_path
):
    case = new_complaint(ws_cli)
    renamed = ws_cli("attach", case, *files(tmp_path, photo_jpg=JPEG, invoice_jpg=b"MZ\x90\x00" * 64))
    assert renamed.exit_code == 1 and "invoice.jpg: its content is not the image/jpeg its name says" in renamed.stderr
    archive = ws_cli("attach", case, *files(tmp_path, stuff_zip=b"PK\x03\x04" + b"0" * 100))
    assert archive.exit_code == 1 and "files of type application/zip are not taken" in archive.stderr
    with (workspace / "policy.toml").open("a", encoding="utf-8") as policy:
        policy.write("\n[attachments]\nmax_mb = 0.001\n")
    large = ws_cli("attach", case, *files(tmp_path, big_pdf=PDF))
    assert large.exit_code == 1 and "[attachments] max_mb" in large.stderr
    assert ws_cli("attachment", "list", case, "--format", "json").json()["attachments"] == []
    assert ws_cli("attach", "CMP-20261201-9999", *files(tmp_path, x_pdf=PDF)).exit_code == 1


def test_a_link_planted_where_a_file_is_saved_is_refused(workspace, ws_cli, tmp_path):
    case = new_complaint(ws_cli)
    ws_cli("attach", case, *files(tmp_path, invoice_jpg=JPEG))
    target = tmp_path / "elsewhere"
    target.write_text("keep me")
    link = tmp_path / "planted.jpg"
    link.symlink_to(target)
    refused = ws_cli("attachment", "save", case, "1", "--output", str(link), "--force")
    assert refused.exit_code == 1 and target.read_text() == "keep me"


def test_a_kept_file_changed_on_disk_is_never_handed_out(workspace, ws_cli, tmp_path):
    case = new_complaint(ws_cli)
    ws_cli("attach", case, *files(tmp_path, invoice_jpg=JPEG))
    digest = hashlib.sha256(JPEG).hexdigest()
    kept = workspace / "data" / "files" / digest[:2] / digest
    os.chmod(kept, 0o600)
    kept.write_bytes(b"\xff\xd8\xff\xe0 something else")
    refused = ws_cli("attachment", "save", case, "1", "--output", str(tmp_path / "out.jpg"))
    assert refused.exit_code == 1 and "changed on disk" in refused.stderr
    assert not (tmp_path / "out.jpg").exists()


def test_backup_restore_and_store_copy_carry_attachments(workspace, ws_cli, tmp_path, pg_url):
    case = new_complaint(ws_cli)
    ws_cli("attach", case, *files(tmp_path, invoice_jpg=JPEG))
    archive = tmp_path / "ws.tar.gz"
    assert ws_cli("backup", str(archive)).exit_code == 0
    digest = hashlib.sha256(JPEG).hexdigest()
    (workspace / "data" / "files" / digest[:2] / digest).unlink()
    assert ws_cli("restore", str(archive)).exit_code == 0
    assert ws_cli("attachment", "save", case, "1", "--output", str(tmp_path / "a.jpg")).exit_code == 0
    assert (tmp_path / "a.jpg").read_bytes() == JPEG
    assert ws_cli("store", "copy", "--to", pg_url).exit_code == 0
    os.environ["CSTOOL_STORE_URL"] = pg_url
    try:
        saved = ws_cli("attachment", "save", case, "1", "--output", str(tmp_path / "b.jpg"))
    finally:
        del os.environ["CSTOOL_STORE_URL"]
    assert saved.exit_code == 0, saved.stderr
    assert (tmp_path / "b.jpg").read_bytes() == JPEG


def test_deregistering_the_customer_erases_their_attachments(backend, ws_cli, workspace, tmp_path):
    customer = ws_cli(
        "--no-input",
        "record",
        "customer",
        "--set",
        "customer_type=individual",
        "--set",
        "name=王五",
        "--set",
        "phone=13800138000",
        "--format",
        "json",
    ).json()["id"]
    case = new_complaint(ws_cli, customer_id=customer)
    kept = new_complaint(ws_cli)
    ws_cli("attach", case, *files(tmp_path, wang_invoice_jpg=JPEG, wang_pdf=PDF))
    ws_cli("attach", kept, *files(tmp_path, other_pdf=PDF))  # the same content, another customer's case
    assert ws_cli("customers", "deregister", customer, "--reason", "客户要求").exit_code == 0
    erased = ws_cli("show", case, "--format", "json").json()
    assert erased.get("attachments") == []
    assert all(e["name"] == "[erased]" for e in erased["events"] if e["type"] == "attached")
    assert ws_cli("attachment", "save", kept, "1", "--output", str(tmp_path / "kept.pdf")).exit_code == 0
    if backend == "folder":
        kept_files = sorted(p.name for p in (workspace / "data" / "files").glob("*/*"))
        assert kept_files == [hashlib.sha256(PDF).hexdigest()]


def test_the_plugin_api_checks_a_file_and_forgets_contents_no_record_holds(workspace, ws_cli, tmp_path):
    import pytest

    from cstool import api
    from cstool.core.context import Context
    from cstool.core.host import build_host

    app = Context(build_host(workspace, entry_points=False), workspace, lang="en")
    assert api.check_attachment(app.policy, "scan.pdf", PDF) == "application/pdf"
    with pytest.raises(api.CstoolError, match="not the application/pdf its name says"):
        api.check_attachment(app.policy, "scan.pdf", JPEG)
    case = new_complaint(ws_cli)
    api.attach(app, case, [("invoice.jpg", JPEG, None)])
    orphan = app.store.put_file(b"no record lists me")
    assert api.remove_unheld_files(app) == 1
    assert app.store.get_file(orphan) is None and app.store.get_file(hashlib.sha256(JPEG).hexdigest()) == JPEG
    app.finish()


def test_saving_an_attachment_is_a_reveal_an_agent_may_not_make(ws_cli, workspace, tmp_path):
    from conftest import add_directory

    case = new_complaint(ws_cli)
    ws_cli("attach", case, *files(tmp_path, invoice_jpg=JPEG))
    add_directory(workspace)
    agent = ws_cli("--as", "小李", "attachment", "save", case, "1", "--output", str(tmp_path / "a.jpg"))
    assert agent.exit_code == 1 and "reveal" in agent.stderr and not (tmp_path / "a.jpg").exists()
    assert ws_cli("--as", "李主管", "attachment", "save", case, "1", "--output", str(tmp_path / "b.jpg")).exit_code == 0
    trail = ws_cli("show", case, "--format", "json").json()["events"]
    assert [e.get("fields") for e in trail if e["type"] == "revealed"] == [["attachments"]]
