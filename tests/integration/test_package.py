"""The Debian package (issue 14), as `./build.sh package` builds it (build-package/*.deb, or
$TALLY_DEB_DIR): clean under lintian (no error, no warning); its unit passes `systemd-analyze
verify`; `dpkg --root` installs it into a scratch root, running its maintainer scripts (which
create the tally user and enable the unit inside that root only); the installed binary, started
with the installed config as tally.service starts it (`--supervised systemd`), tells systemd it
is ready over $NOTIFY_SOCKET, serves redis-cli, stops on SIGTERM saying STOPPING=1 and keeps its
counters; purging removes the package and leaves the data."""
import glob
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile

from harness import HERE, free_port, run_tests, wait_ready

DEB_DIR = os.environ.get("TALLY_DEB_DIR") or os.path.join(HERE, "..", "..", "build-package")


def deb():
    found = sorted(glob.glob(os.path.join(DEB_DIR, "tally_*.deb")), key=os.path.getmtime)
    assert found, f"no tally_*.deb in {DEB_DIR}: run ./build.sh package first"
    return found[-1]


def run(*cmd, ok=True):
    out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=300)
    if ok:
        assert out.returncode == 0, (cmd, out.stdout, out.stderr)
    return out


def scratch_root():
    """An empty root with a dpkg database, and what the unit refers to outside the package
    (systemd's own units, /bin/kill) as a real system has them."""
    root = tempfile.mkdtemp(prefix="tally-root-")
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "bin",
              "lib/systemd"):
        os.makedirs(os.path.join(root, d))
    for f in ("status", "available"):
        open(os.path.join(root, "var/lib/dpkg", f), "w").close()
    shutil.copytree("/lib/systemd/system", os.path.join(root, "lib/systemd/system"),
                    symlinks=True)
    shutil.copy("/bin/kill", os.path.join(root, "bin/kill"))
    return root


def dpkg(root, *args):
    # Scripts run outside a chroot with $DPKG_ROOT set (the scratch root has no shell); its
    # dependencies are the host's libraries, which the root's empty database does not list.
    return run("dpkg", f"--root={root}", "--log=/dev/null", "--force-script-chrootless",
               "--force-depends", *args)


def test_lintian_is_clean():
    out = run("lintian", "--fail-on", "error,warning", "--no-tag-display-limit", deb(), ok=False)
    tags = [l for l in out.stdout.splitlines() if l[:2] in ("E:", "W:")]
    assert out.returncode == 0 and not tags, out.stdout + out.stderr


def test_contents_and_control():
    listing = run("dpkg-deb", "-c", deb()).stdout
    for path in ("./usr/bin/tallyd", "./etc/tally/tally.conf", "./lib/systemd/system/tally.service",
                 "./etc/logrotate.d/tally", "./usr/lib/sysusers.d/tally.conf",
                 "./usr/share/man/man1/tallyd.1.gz", "./usr/share/doc/tally/copyright"):
        assert f" {path}\n" in listing + "\n", path
    control = run("dpkg-deb", "-f", deb(), "Depends").stdout
    # Computed from the shared libraries tallyd links (dpkg-shlibdeps), not written by hand.
    for lib in ("libc6", "libstdc++6", "libsystemd0", "libhttp-parser", "libspdlog", "libabsl",
                "libjemalloc2"):
        assert lib in control, control
    conffiles = run("dpkg-deb", "-I", deb(), "conffiles").stdout.split()
    assert conffiles == ["/etc/tally/tally.conf", "/etc/logrotate.d/tally"], conffiles


def test_unit_verifies_and_installs_into_a_scratch_root():
    root = scratch_root()
    dpkg(root, "-i", deb())
    unit = os.path.join(root, "lib/systemd/system/tally.service")
    out = run("systemd-analyze", f"--root={root}", "--man=no", "verify",
              "/lib/systemd/system/tally.service")
    assert out.stderr.strip() == "", out.stderr  # unknown keys and values are only warnings
    text = open(unit).read()
    for line in ("Type=notify", "User=tally", "StateDirectory=tally", "Restart=on-failure",
                 "KillSignal=SIGTERM", "LimitNOFILE=65536"):
        assert line + "\n" in text, line
    # The maintainer scripts ran inside the root: the tally user, the unit enabled.
    assert any(l.startswith("tally:") for l in open(os.path.join(root, "etc/passwd")))
    assert os.path.islink(
        os.path.join(root, "etc/systemd/system/multi-user.target.wants/tally.service"))
    conf = open(os.path.join(root, "etc/tally/tally.conf")).read()
    assert "\ndir /var/lib/tally\n" in conf and "\nlogfile /var/log/tally/tally.log\n" in conf
    # The installed binary checks the installed config.
    run(os.path.join(root, "usr/bin/tallyd"), "--test-config",
        os.path.join(root, "etc/tally/tally.conf"))

    # Start it as the unit does, with the root's paths; systemd's notify socket is ours.
    argv = shlex.split(next(l for l in text.splitlines() if l.startswith("ExecStart=")
                            ).split("=", 1)[1])
    assert argv[:3] == ["/usr/bin/tallyd", "/etc/tally/tally.conf", "--supervised"]
    state = os.path.join(root, "var/lib/tally")
    logs = os.path.join(root, "var/log/tally")
    os.makedirs(state)  # StateDirectory= and LogsDirectory=
    os.makedirs(logs)
    notify_path = os.path.join(root, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(30)
    port = free_port()
    cmd = [root + argv[0], root + argv[1]] + argv[2:] + [
        "--dir", state, "--logfile", os.path.join(logs, "tally.log"), "--port", str(port),
        "--http-port", "0"]
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    proc = subprocess.Popen(cmd, cwd=state, env=env)
    try:
        assert b"READY=1" in notify.recv(4096)
        wait_ready(port, proc)
        cli = ["redis-cli", "-p", str(port)]
        assert run(*cli, "INCRBY", "installed", "41").stdout.strip() == "41"
        proc.send_signal(signal.SIGTERM)
        assert b"STOPPING=1" in notify.recv(4096)
        assert proc.wait(timeout=60) == 0
        assert "ready" in open(os.path.join(logs, "tally.log")).read()
        proc = subprocess.Popen(cmd, cwd=state, env=env)
        wait_ready(port, proc)
        assert run(*cli, "INCR", "installed").stdout.strip() == "42"
    finally:
        proc.kill()
        proc.wait()
        notify.close()
    # Purge: the package's files and the unit's links go, the counters stay.
    dpkg(root, "--purge", "tally")
    assert not os.path.exists(os.path.join(root, "usr/bin/tallyd"))
    assert not os.path.exists(os.path.join(root, "etc/tally/tally.conf"))
    assert not os.path.exists(
        os.path.join(root, "etc/systemd/system/multi-user.target.wants/tally.service"))
    assert os.path.isdir(os.path.join(state, "db"))
    shutil.rmtree(root)


if __name__ == "__main__":
    run_tests([
        test_lintian_is_clean,
        test_contents_and_control,
        test_unit_verifies_and_installs_into_a_scratch_root,
    ])
