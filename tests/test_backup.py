"""Backup and restore: one archive; a restore checks everything before it replaces anything."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile

import pytest
from conftest import complaint_args, data_snapshot, record_file, run_process


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
    kept = [p for p in workspace.iterdir() if p.name.startswith("before-restore-")]
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
    assert not [p for p in workspace.iterdir() if p.name.startswith((".staging-", "before-restore-"))]


def _workspace_with_a_backup(ws_cli, workspace, tmp_path):
    first = ws_cli("record", "complaint", *complaint_args(), "--format", "json").json()["id"]
    archive = tmp_path / "ws.tar.gz"
    assert ws_cli("backup", archive).exit_code == 0
    later = ws_cli("record", "complaint", *complaint_args(customer_name="后来的"), "--format", "json").json()["id"]
    return first, later, archive


@pytest.mark.parametrize("steps", range(8))
def test_a_restore_killed_at_any_point_is_finished_by_the_next_command(ws_cli, workspace, tmp_path, monkeypatch, steps):
    """A restore renames its journal into place, then moves each part out and the new one in
    (3 parts: 6 moves). Killed before the journal, nothing was restored; after it, at any
    point, the next cstool command, a real process, finishes the swap."""
    from cstool.core import backup

    first, later, archive = _workspace_with_a_backup(ws_cli, workspace, tmp_path)
    real_replace, done = os.replace, []

    def killed_after_some(src, dst):
        if len(done) == steps:
            raise KeyboardInterrupt  # the process ends here, as a kill would
        done.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(backup.os, "replace", killed_after_some)
    ws_cli("restore", archive)
    monkeypatch.setattr(backup.os, "replace", real_replace)
    listed = run_process("--workspace", workspace, "list", "complaint", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    ids = [r["id"] for r in json.loads(listed.stdout)["records"]]
    assert not (workspace / backup.JOURNAL).exists()
    if steps == 0:
        assert ids == [first, later]
        return
    assert ids == [first]
    kept = [p for p in workspace.iterdir() if p.name.startswith("before-restore-")]
    assert (
        len(kept) == 1
        and (kept[0] / "data").is_dir()
        and later in "".join(p.read_text(encoding="utf-8") for p in (kept[0] / "data").rglob("*.json"))
    )


def test_writers_during_a_restore_lose_nothing_silently(ws_cli, workspace, tmp_path):
    import subprocess
    import sys

    first, later, archive = _workspace_with_a_backup(ws_cli, workspace, tmp_path)
    env = {**os.environ, "CSTOOL_LOAD_ENTRYPOINTS": "0"}

    def writer(n):
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cstool",
                "--workspace",
                str(workspace),
                "record",
                "complaint",
                *complaint_args(customer_name=f"写入{n}"),
                "--format",
                "json",
                "--reveal",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    procs = [writer(n) for n in range(10)]
    restoring = subprocess.Popen(
        [sys.executable, "-m", "cstool.testing", "--workspace", str(workspace), "restore", archive],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    procs += [writer(n) for n in range(10, 20)]
    assert restoring.wait(timeout=120) == 0, restoring.stderr.read()
    written = [json.loads(p.communicate(timeout=120)[0])["customer_name"] for p in procs if p.wait() == 0]
    kept = next(p for p in workspace.iterdir() if p.name.startswith("before-restore-"))
    everywhere = "".join(
        p.read_text(encoding="utf-8") for folder in (workspace, kept) for p in (folder / "data").rglob("*.json")
    )
    missing = [name for name in written if name not in everywhere]
    assert not missing, f"writers reported done but their records are nowhere: {missing}"
    restored = "".join(p.read_text(encoding="utf-8") for p in (workspace / "data").rglob("*.json"))
    assert first in restored and "后来的" not in restored, "a writer put the old file back over the restored one"


def test_a_restore_brings_no_code_unless_asked_and_sets_its_own_modes(ws_cli, workspace, tmp_path):
    policy = (workspace / "policy.toml").read_text(encoding="utf-8")
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, content, mode in (
            ("policy.toml", policy, 0o777),
            ("data/complaint.json", "{}", 0o4777),
            ("plugins/evil.py", "print('ran')\n", 0o777),
        ):
            data = content.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.uid, info.gid = len(data), mode, 4242, 4242
            tar.addfile(info, io.BytesIO(data))
    assert ws_cli("restore", archive).exit_code == 0
    assert not (workspace / "plugins" / "evil.py").exists()
    for path in (workspace / "policy.toml", workspace / "data" / "complaint.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.stat().st_uid == os.geteuid(), path
    assert stat.S_IMODE((workspace / "data").stat().st_mode) == 0o700
    again = ws_cli("restore", archive, "--with-plugins")  # the same second: a kept folder of its own
    assert again.exit_code == 0, again.stderr
    assert (workspace / "plugins" / "evil.py").exists()
    assert len([p for p in workspace.iterdir() if p.name.startswith("before-restore-")]) == 2


def test_a_decompression_bomb_is_refused(ws_cli, workspace, tmp_path):
    policy = (workspace / "policy.toml").read_text(encoding="utf-8")
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (("policy.toml", policy.encode()), ("data/complaint.json", b"{" + b" " * 200_000_000 + b"}")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    before = data_snapshot(workspace)
    result = ws_cli("restore", archive)
    assert result.exit_code == 1 and "times its own size" in result.stderr and "nothing was restored" in result.stderr
    assert data_snapshot(workspace) == before
