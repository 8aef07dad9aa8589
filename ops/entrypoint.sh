#!/usr/bin/env bash
# Container entrypoint: run the cogloop supervisor in the foreground.
#
#   cogloop-entrypoint                 -> cogloop up            (the daemon)
#   cogloop-entrypoint --builders 2    -> cogloop up --builders 2
#   cogloop-entrypoint cogloop doctor  -> any other command, as given
#
# `exec` replaces this shell with the supervisor, so SIGTERM/SIGINT from `docker stop` reach it
# directly (no shell in between to swallow them) and its exit status is the container's.
# Under `init: true` (docker-compose.yml) tini is PID 1: it forwards signals and reaps the
# sandbox's orphans; without it the supervisor is PID 1 and still gets every signal.
set -euo pipefail

home="${COGLOOP_HOME:-$HOME/.cogloop}"
mkdir -p "$home"
# The run dir holds the control socket: only the daemon user may look inside.
mkdir -p "$home/run" && chmod 0700 "$home/run"

if [[ $# -eq 0 || "$1" == -* ]]; then
    exec cogloop up --home "$home" "$@"
fi
exec "$@"
