"""Backup and restore: one archive; a restore checks everything before it replaces anything."""

from __future__ import annotations

import io
import tarfile

from conftest import complaint_args, data_snapshot, record_file


def test_backup_then_restore_brings_back_the_records(ws_cli, workspace, tmp_path):
    first = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    archive = tmp_path / "ws.tar.gz"
    result = ws_cli("backup", archive)
    assert result.exit_code == 0 and "backup written" in result.stdout
    names = tarfile.open(archive).getnames()
    month = record_file(workspace, first).relative_to(workspace)
    assert "policy.toml" in names and month.as_posix() in names and not any(n.endswith(".lock") for n in names)
    ws_cli("record", "complaint", *complaint_args(customer_name="后来的"))
    ws_cli("policy", "set", "workspace.language", "en")
    restored = ws_cli("restore", archive)
    assert restored.exit_code == 0, restored.stderr
    ids = [r["id"] for r in ws_cli("list", "complaint", "--format", "json").json()["records"]]
    assert ids == [first]
    assert ws_cli("policy", "show", "--format", "json").json()["workspace"]["language"] == "zh"
    kept = [p for p in workspace.parent.iterdir() if p.name.startswith("ws.before-restore-")]
    assert len(kept) == 1 and (kept[0] / month).exists()


def _archive(path, files):
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            data = content.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_bad_archive_replaces_nothing(ws_cli, workspace, tmp_path):
    rid = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    month = record_file(workspace, rid).relative_to(workspace).as_posix()
    before = data_snapshot(workspace)
    policy = (workspace / "policy.toml").read_text(encoding="utf-8")
    cases = {
        "not-an-archive.tar.gz": None,
        "no-workspace.tar.gz": {"notes.txt": "hello"},
        "broken-data.tar.gz": {"policy.toml": policy, month: '{"complaint": {"1": '},
        "broken-policy.tar.gz": {"policy.toml": "[workspace\n", "data/complaint.json": "{}"},
        "escape.tar.gz": {"policy.toml": policy, "data/x.json": "{}", "../evil.txt": "x"},
    }
    for name, files in cases.items():
        path = tmp_path / name
        if files is None:
            path.write_bytes(b"this is not gzip")
        else:
            _archive(path, files)
        result = ws_cli("restore", path)
        assert result.exit_code == 1 and "nothing was restored" in result.stderr, (name, result.stderr)
    assert data_snapshot(workspace) == before
    assert not (tmp_path / "evil.txt").exists() and not (workspace.parent / "evil.txt").exists()
    assert not [p for p in workspace.parent.iterdir() if p.name.startswith((".ws.restore-", "ws.before-restore-"))]
