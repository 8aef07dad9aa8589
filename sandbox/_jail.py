"""The filesystem a sandboxed run sees: a fresh read-only root holding only the system
directories, the interpreter and a private /tmp, built inside a private mount namespace.

Nothing of the host is visible unless listed here, so the daemon's home (wherever it is),
/root, /home and the host's /tmp are not even readable. Runs as root in the run's init
process, before the uid drop.
"""

from __future__ import annotations

import os
import sys

from sandbox import _libc as L

SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32", "etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
WORK_DIR = "/tmp/work"


def interpreter_dirs() -> list[str]:
    """The trees the interpreter needs: its installation (stdlib) and the virtualenv."""
    dirs = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
            os.path.dirname(os.path.realpath(sys.executable))}
    return sorted(dirs)


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _bind_ro(src: str, dst: str) -> None:
    L.mount(src, dst, None, L.MS_BIND | L.MS_REC)
    L.mount(None, dst, None, L.MS_REMOUNT | L.MS_BIND | L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV)


def build(root: str, *, uid: int, tmp_mb: int, extra_ro: list[str], hide: list[str], cwd: str | None = None) -> None:
    """Make `root` the new root and chdir to WORK_DIR (owned by `uid`); root stays read-only.

    `cwd` (run_cmd's): a host directory shown read-only at its own path and made the cwd.
    """
    L.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE)  # nothing we mount leaks to the host
    L.mount("tmpfs", root, "tmpfs", L.MS_NOSUID | L.MS_NODEV, "size=1m,mode=755")
    bound: list[str] = []
    for name in SYSTEM_DIRS:
        host = "/" + name
        if os.path.islink(host):
            os.symlink(os.readlink(host), root + host)
        elif os.path.isdir(host):
            os.mkdir(root + host)
            _bind_ro(host, root + host)
            bound.append(host)
    for host in extra_ro:
        if os.path.isdir(host) and not _inside(host, bound):
            os.makedirs(root + host, exist_ok=True)
            _bind_ro(host, root + host)
            bound.append(host)
    os.mkdir(root + "/dev")
    for dev in DEVICES:
        open(f"{root}/dev/{dev}", "w").close()
        L.mount(f"/dev/{dev}", f"{root}/dev/{dev}", None, L.MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    os.mkdir(root + "/proc")
    L.mount("proc", root + "/proc", "proc", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC)
    os.mkdir(root + "/tmp")
    L.mount("tmpfs", root + "/tmp", "tmpfs", L.MS_NOSUID | L.MS_NODEV, f"size={tmp_mb}m,mode=1777")
    os.mkdir(root + WORK_DIR, 0o700)
    os.chown(root + WORK_DIR, uid, uid)
    if cwd:
        os.makedirs(root + cwd, exist_ok=True)
        _bind_ro(cwd, root + cwd)
    for path in hide:  # a secret inside one of the trees we had to show
        target = root + os.path.realpath(path)
        if os.path.isdir(target):
            L.mount("tmpfs", target, "tmpfs", L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV, "size=4k,mode=700")
        elif os.path.exists(target):
            L.mount("/dev/null", target, None, L.MS_BIND)
    L.mount(None, root, None, L.MS_REMOUNT | L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV, "size=1m,mode=755")
    os.chroot(root)
    os.chdir(cwd or WORK_DIR)
