"""run_cmd's deny-list: a shell command is parsed with shlex into simple commands (split at
|, ;, &&, ||, &, and inside $(...) and backticks) and each is checked by its words, never
by substring. Pure: no process is started here. The jail is the real guard; this refuses the
obviously destructive so the Builder gets a clear reason instead of a mysterious failure.
"""

from __future__ import annotations

import os
import re
import shlex

OPERATORS = {"|", "||", "&", "&&", ";", ";;", "(", ")", "\n", "|&"}
WRAPPERS = {"env", "nohup", "nice", "time", "timeout", "xargs", "command", "builtin", "exec", "stdbuf", "ionice", "setsid", "chroot"}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "python", "python3", "perl", "ruby", "node"}
PRIVILEGE = {"sudo", "su", "doas", "pkexec", "runuser"}
POWER = {"shutdown", "reboot", "halt", "poweroff", "telinit"}
SYSTEM_PATHS = {"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root",
                "/sbin", "/sys", "/usr", "/var", "/srv", "/mnt", "/media", "/run", "~", "$HOME", "${HOME}"}


class CommandRefused(Exception):
    """run_cmd refused a command; `reason` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _tokens(cmd: str) -> list[str]:
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        return list(lex)
    except ValueError as exc:
        raise CommandRefused(f"cannot parse command: {exc}") from None


def _substitutions(cmd: str) -> list[str]:
    """The bodies of $(...) and `...`, checked as commands of their own."""
    return re.findall(r"\$\(([^()]*)\)", cmd) + re.findall(r"`([^`]*)`", cmd)


def split_commands(cmd: str) -> list[list[str]]:
    """Simple commands (lists of words) in order; a pipeline's parts stay adjacent."""
    out: list[list[str]] = [[]]
    for tok in _tokens(cmd):
        if tok in OPERATORS or set(tok) <= set("|&;()<>"):
            out.append([tok])  # operator marker, kept for pipeline checks
            out.append([])
        else:
            out[-1].append(tok)
    return [c for c in out if c]


def _strip_wrappers(words: list[str]) -> list[str]:
    """The command a line really runs: without VAR=value prefixes and wrappers (env, nice...)."""
    valued = {"-n", "-c", "-s", "-k", "-u", "-i", "-o", "-e", "--signal", "--kill-after"}
    while words:
        head = os.path.basename(words[0])
        if "=" in words[0] and not words[0].startswith(("=", "-")):  # VAR=value prefix
            words = words[1:]
        elif head in WRAPPERS:
            rest = words[1:]
            while rest and rest[0].startswith("-"):
                rest = rest[2:] if rest[0] in valued else rest[1:]
            if head == "timeout" and rest:
                rest = rest[1:]  # the duration
            words = rest
        else:
            break
    return words


def _norm(path: str) -> str:
    """A target as the rules compare it: `~`, `$HOME/`, `/usr/*`, `//etc/` all fold."""
    for home in ("${HOME}", "$HOME"):
        if path == home or path.startswith(home + "/"):
            path = "~" + path[len(home):]
    path = path.rstrip("/") or "/"
    while path.endswith("/*"):
        path = path[:-2] or "/"
    return os.path.normpath(path) if path.startswith("/") else path


def _check_simple(words: list[str]) -> None:
    words = _strip_wrappers(words)
    if not words:
        return
    name = os.path.basename(words[0])
    args = words[1:]
    flags = "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("--"))
    long_flags = {a for a in args if a.startswith("--")}
    targets = [_norm(a) for a in args if not a.startswith("-")]
    if name in PRIVILEGE:
        raise CommandRefused(f"{name}: gaining privileges is not allowed")
    if name in POWER or (name in ("init", "telinit") and args[:1] in (["0"], ["6"])) or \
            (name == "systemctl" and set(args) & {"poweroff", "reboot", "halt", "kexec"}):
        raise CommandRefused(f"{name}: shutting down or rebooting is not allowed")
    if name.startswith("mkfs") or name in ("mke2fs", "fdisk", "sfdisk", "parted", "wipefs", "mkswap"):
        raise CommandRefused(f"{name}: making or changing file systems is not allowed")
    if name == "rm" and ("r" in flags.lower() or "--recursive" in long_flags) and \
            any(t in SYSTEM_PATHS for t in targets):
        raise CommandRefused(f"rm: recursive removal of {next(t for t in targets if t in SYSTEM_PATHS)} is not allowed")
    if name == "rm" and "--no-preserve-root" in long_flags:
        raise CommandRefused("rm --no-preserve-root is not allowed")
    if name == "dd" and any(a.startswith("of=/dev/") for a in args):
        raise CommandRefused("dd: writing to a device is not allowed")
    if name in ("chmod", "chown", "chgrp") and any(t in SYSTEM_PATHS or t.startswith(("/etc/", "/usr/", "/bin/", "/sbin/", "/boot/", "/lib")) for t in targets):
        raise CommandRefused(f"{name}: changing system paths is not allowed")
    if name in ("mv", "cp") and any(t in SYSTEM_PATHS for t in targets[:-1]):
        raise CommandRefused(f"{name}: moving system directories is not allowed")


def _fork_bomb(tokens: list[str]) -> bool:
    """A shell function that pipes into itself: `:(){ :|:& };:`, `bomb() { bomb | bomb & }; bomb`."""
    for i, tok in enumerate(tokens):
        if tok.endswith("()") and len(tok) > 2:
            name, body = tok[:-2], tokens[i + 1:]
        elif i + 1 < len(tokens) and tokens[i + 1] == "()":
            name, body = tok, tokens[i + 2:]
        elif i + 2 < len(tokens) and tokens[i + 1] == "(" and tokens[i + 2] == ")":
            name, body = tok, tokens[i + 3:]
        else:
            continue
        words = [w.strip("{}") for w in body]
        for j in range(len(words) - 2):
            if words[j] == name and words[j + 1] in ("|", "|&") and words[j + 2] == name:
                return True
    return False


def check_command(cmd: str) -> list[str]:
    """argv for the command (through /bin/sh when it uses shell syntax); raises CommandRefused."""
    if not cmd.strip():
        raise CommandRefused("empty command")
    tokens = _tokens(cmd)
    if _fork_bomb(tokens):
        raise CommandRefused("fork bomb: a shell function piping into itself is not allowed")
    commands = split_commands(cmd)
    for i, words in enumerate(commands):
        if words[0] in OPERATORS or set(words[0]) <= set("|&;()<>"):
            if words[0] in ("|", "|&") and 0 < i < len(commands) - 1:
                left = _strip_wrappers(commands[i - 1])
                right = _strip_wrappers(commands[i + 1])
                if left and right and os.path.basename(left[0]) in ("curl", "wget", "fetch") and \
                        os.path.basename(right[0]) in SHELLS:
                    raise CommandRefused(f"{left[0]} piped into {right[0]}: running downloaded code is not allowed")
            continue
        _check_simple(words)
        if os.path.basename(_strip_wrappers(words)[0] if _strip_wrappers(words) else "") in SHELLS:
            inner = _strip_wrappers(words)
            if "-c" in inner[1:-1]:
                check_command(inner[inner.index("-c") + 1])
    for body in _substitutions(cmd):
        check_command(body) if body.strip() else None
    plain = all(w not in OPERATORS and not (set(w) <= set("|&;()<>")) for w in tokens) and \
        not re.search(r"[$`*?~<>]", cmd)
    return shlex.split(cmd) if plain else ["/bin/sh", "-c", cmd]
