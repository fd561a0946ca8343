"""Debian's dovecot, started as a plain process with a configuration of its own under a
temporary folder, on a free port (no system service touched): for the mail tests and
benchmarks/bench_mail.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class DovecotUnavailable(Exception):
    """No dovecot here, or it would not start: the caller skips, saying why."""


def listening(port: int, process: subprocess.Popen, within: float = 15) -> bool:
    """Whether ``process`` listens on ``port`` within ``within`` seconds (False once it has ended)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            if process.poll() is not None:
                return False
            time.sleep(0.1)
    return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ImapServer:
    """Debian's dovecot started for the tests: a user of its own per test (``mailbox()``)."""

    port: int
    passwd: Path
    homes: Path
    tls_port: int | None = None  # IMAPS, when a certificate could be made
    cafile: Path | None = None  # the certificate a client trusts for both IMAPS and STARTTLS

    def mailbox(self) -> tuple[str, str]:
        """A new user with an empty INBOX: (user, password)."""
        import uuid

        user = f"u{uuid.uuid4().hex[:10]}"
        # a file per user: dovecot notices a new file at once, a changed one only a second later
        (self.passwd / user).write_text(f"{user}:{{PLAIN}}secret-{user}\n")
        return user, f"secret-{user}"

    def connect(self, user: str, password: str):
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(user, password)
        imap.select("INBOX")
        return imap

    def deliver(self, user: str, password: str, *messages: bytes, at: float | None = None) -> None:
        import imaplib

        imap = self.connect(user, password)
        for raw in messages:
            imap.append("INBOX", None, imaplib.Time2Internaldate(at or time.time()), raw)
        imap.logout()

    def arrivals(self, user: str, password: str) -> list:
        """When the server says each message arrived (INTERNALDATE), in its order: it keeps the
        date a client gives, but not one ahead of its own clock."""
        import imaplib
        from datetime import datetime

        imap = self.connect(user, password)
        found = imap.fetch("1:*", "(INTERNALDATE)")[1]
        imap.logout()
        return [datetime(*imaplib.Internaldate2tuple(line)[:6]).astimezone() for line in found if line]

    def unseen(self, user: str, password: str) -> int:
        imap = self.connect(user, password)
        found = imap.uid("SEARCH", None, "UNSEEN")[1][0].split()
        imap.logout()
        return len(found)


def start_dovecot():
    """Debian's dovecot as a plain process on a free port: (ImapServer, stop)."""
    import pwd

    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        raise DovecotUnavailable("dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)")
    import tempfile

    # not under pytest's own folder (0700): dovecot's auth process, another user, reads in here
    folder = Path(tempfile.mkdtemp(prefix="cstool-dovecot-"))
    folder.chmod(0o755)
    homes = folder / "home"
    homes.mkdir()
    passwd = folder / "passwd.d"
    passwd.mkdir()
    if os.geteuid() == 0:  # dovecot never serves mail as root: the mail belongs to its own user
        owner = pwd.getpwnam("dovecot")
        internal, login = "dovecot", "dovenull"
        os.chown(homes, owner.pw_uid, owner.pw_gid)
        uid, gid = owner.pw_uid, owner.pw_gid
    else:
        internal = login = pwd.getpwuid(os.getuid()).pw_name
        uid, gid = os.getuid(), os.getgid()
    port, tls_port = free_port(), free_port()
    cafile = _self_signed(folder)  # IMAPS and STARTTLS with a certificate the tests trust, when openssl is here
    tls = f"ssl = yes\nssl_cert = <{folder}/cert.pem\nssl_key = <{folder}/key.pem\n" if cafile else "ssl = no\n"
    config = folder / "dovecot.conf"
    config.write_text(
        f"""protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
{tls}disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={homes}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port if cafile else 0}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""
    )
    server = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if not listening(port, server):
        said = server.stdout.read().decode()[-300:] if server.poll() is not None else "nothing listened within 15 s"
        server.kill()
        raise DovecotUnavailable("dovecot would not start here: " + said)

    def stop() -> None:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(folder, ignore_errors=True)

    return ImapServer(port, passwd, homes, tls_port if cafile else None, cafile), stop


def _self_signed(folder: Path) -> Path | None:
    """A certificate for 127.0.0.1 (its own CA), or None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    made = subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        capture_output=True,
        check=False,
    )  # fmt: skip
    return folder / "cert.pem" if made.returncode == 0 else None
