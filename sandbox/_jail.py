"""The filesystem a sandboxed run sees: a read-only root holding only the system
directories, the interpreter, a few devices, a fresh /proc and a private /tmp.

Built in two steps so a run pays for two mounts, not twenty:
- `build_static` (once per fork server, in the zygote: sandbox._zygote) makes a mount and
  network namespace whose root (pivot_root) is a tmpfs with read-only binds of /usr, /bin,
  /lib*, /etc and the interpreter's trees, then drops the host's tree from it entirely.
- `enter_run` (in each run's init, forked ahead and setns'd into that namespace) takes a
  private copy of it (unshare CLONE_NEWNS) and mounts the run's own /proc (its pid namespace);
  `make_tmp`, once the request is there, mounts its /tmp and chroots into the jail.

Nothing of the host is visible unless listed here, so the daemon's home (wherever it is),
/root, /home and the host's /tmp are not even readable.
"""

from __future__ import annotations

import os
import stat
import sys

from sandbox import _libc as L

SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32", "etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
WORK_DIR = "/tmp/work"
TMP_STAGE = "/.tmpstage"
INNER = "/jail"  # the jail tree inside the namespace's root
_COPY_CHUNK = 1 << 20


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


def build_static(root: str, *, extra_ro: list[str], hide: list[str]) -> None:
    """In a fresh mount namespace: make `root` the namespace's read-only root (pivot_root)."""
    L.mount(None, "/", None, L.MS_REC | L.MS_PRIVATE)  # nothing we mount leaks to the host
    L.mount("tmpfs", root, "tmpfs", L.MS_NOSUID | L.MS_NODEV, "size=1m,mode=755")
    os.mkdir(root + "/.oldroot")
    root += INNER
    os.mkdir(root)
    bound: list[str] = []
    for name in SYSTEM_DIRS:
        host = "/" + name
        if os.path.islink(host):
            os.symlink(os.readlink(host), root + host)
        elif os.path.isdir(host):
            os.mkdir(root + host)
            _bind_ro(host, root + host)
            bound.append(host)
    for sub in ("dev", "proc", "tmp"):
        os.mkdir(root + "/" + sub)
    os.chmod(root + "/tmp", 0o1777)
    for dev in DEVICES:
        open(f"{root}/dev/{dev}", "w").close()
        L.mount(f"/dev/{dev}", f"{root}/dev/{dev}", None, L.MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    for host in extra_ro:
        if os.path.isdir(host) and not _inside(host, bound):
            # Under /tmp (a virtualenv there, say): staged, since each run gets a fresh /tmp.
            staged = TMP_STAGE + host if _inside(host, ["/tmp"]) else host
            os.makedirs(root + staged, exist_ok=True)
            _bind_ro(host, root + staged)
            bound.append(host)
    for path in hide:  # a secret inside one of the trees we had to show
        target = root + os.path.realpath(path)
        if os.path.isdir(target):
            L.mount("tmpfs", target, "tmpfs", L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV, "size=4k,mode=700")
        elif os.path.exists(target):
            L.mount("/dev/null", target, None, L.MS_BIND)
    os.chdir(root[: -len(INNER)])
    L.pivot_root(".", ".oldroot")
    L.umount("/.oldroot", L.MNT_DETACH)
    os.rmdir("/.oldroot")
    L.mount(None, "/", None, L.MS_REMOUNT | L.MS_RDONLY | L.MS_NOSUID | L.MS_NODEV, "size=1m,mode=755")
    os.chdir("/")


def enter_run() -> None:
    """In the run's init (pid 1, after setns into the static jail), before its request comes:
    a private copy of the jail's mounts, its own IPC namespace and /proc."""
    L.unshare(L.CLONE_NEWNS | L.CLONE_NEWIPC)
    L.mount("proc", INNER + "/proc", "proc", L.MS_NOSUID | L.MS_NODEV | L.MS_NOEXEC)


def make_tmp(*, uid: int, tmp_mb: int, extra_ro: list[str], src_fd: int | None) -> None:
    """Once the request is known: the run's /tmp (its size follows the limits), the work dir
    (a copy of `src_fd`, a host directory opened before the setns, if given), the chroot."""
    L.mount("tmpfs", INNER + "/tmp", "tmpfs", L.MS_NOSUID | L.MS_NODEV, f"size={tmp_mb}m,mode=1777")
    for host in extra_ro:
        if _inside(host, ["/tmp"]) and os.path.isdir(INNER + TMP_STAGE + host):
            os.makedirs(INNER + host, exist_ok=True)
            _bind_ro(INNER + TMP_STAGE + host, INNER + host)
    # The run's root is a subdirectory of its namespace's root: a chroot, which (with the uid
    # drop) also makes the kernel refuse new user namespaces (unshare -r) inside the run.
    os.chroot(INNER)
    os.mkdir(WORK_DIR, 0o700)
    if src_fd is not None:
        _copy_tree(src_fd, WORK_DIR, uid)
    os.chown(WORK_DIR, uid, uid)
    os.chdir(WORK_DIR)


def _copy_tree(src_fd: int, dst: str, uid: int) -> None:
    """Copy a directory given as an fd (opened before we left the host's mount namespace)."""
    with os.scandir(src_fd) as entries:
        for entry in entries:
            target = os.path.join(dst, entry.name)
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(entry.name, dir_fd=src_fd), target)
            elif stat.S_ISDIR(st.st_mode):
                os.mkdir(target, 0o700)
                sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=src_fd)
                try:
                    _copy_tree(sub, target, uid)
                finally:
                    os.close(sub)
            elif stat.S_ISREG(st.st_mode):
                fin = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=src_fd)
                fout = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, st.st_mode & 0o755 | 0o600)
                try:
                    while chunk := os.read(fin, _COPY_CHUNK):
                        os.write(fout, chunk)
                finally:
                    os.close(fin)
                    os.close(fout)
            else:
                continue
            os.lchown(target, uid, uid)
