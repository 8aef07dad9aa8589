"""Runtime benchmark: each cogloop figure beside a raw pyzmq baseline measured in this run.

    python bench/runtime.py [--quick] [--no-real]

1. `status` round trip (Client -> supervisor -> Client) vs raw REQ/REP over ipc, one of each
   in turn so both see the same load (the box is shared).
2. actor-to-actor ask through the bus (echo-1 -> supervisor -> echo-2 and back) vs a raw
   DEALER -> ROUTER forwarder -> DEALER ping-pong over ipc, in turns of 50 asks each (the mean
   includes the forwarded ask that carries each turn of 50, as before).
3. bus throughput (tells echo-1 -> echo-2 through the supervisor) vs the same raw forwarder.
4. restart latency: kill -9 of an actor until it answers again (no raw baseline:
   supervisord and circus poll once a second); then for each real actor kind, kill -9 until
   `status` shows it running and until it answers an op of its own (bench/restarts.py).
Goals (issue 4): status <= 2x raw, ask <= 3x raw, throughput >= 25% raw, restart p50 <= 250 ms;
(issue 17) every real kind kill -9 -> running p50 <= 50 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
import zmq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

from bench import restarts  # noqa: E402
from tests.daemon_helpers import Daemon, running_pid  # noqa: E402


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


# --- raw baselines (child processes) ---------------------------------------------------
def _rep_server(endpoint: str) -> None:
    ctx = zmq.Context()
    s = ctx.socket(zmq.REP)
    s.bind(endpoint)
    while True:
        msg = s.recv()
        if msg == b"quit":
            s.send(b"bye")
            return
        s.send(msg)


def _forwarder(front: str) -> None:
    """A ROUTER that forwards [dest, payload] from a DEALER to the DEALER named dest."""
    ctx = zmq.Context()
    r = ctx.socket(zmq.ROUTER)
    r.setsockopt(zmq.ROUTER_MANDATORY, 1)
    r.bind(front)
    while True:
        sender, dest, payload = r.recv_multipart()
        if payload == b"quit":
            return
        try:
            r.send_multipart([dest, sender, payload])
        except zmq.ZMQError:  # not connected (yet): dropped, like the bus answers an error
            pass


def _peer(front: str, name: bytes, mode: str) -> None:
    ctx = zmq.Context()
    d = ctx.socket(zmq.DEALER)
    d.setsockopt(zmq.IDENTITY, name)
    d.connect(front)
    d.send_multipart([b"a", b"hello"])  # announce
    n = 0
    while True:
        sender, payload = d.recv_multipart()
        if payload == b"quit":
            return
        if mode == "echo":
            d.send_multipart([sender, payload])
        else:
            n += 1
            if payload == b"last":
                d.send_multipart([sender, str(n).encode()])
                n = 0


class RawReqRep:
    """REQ -> REP over ipc: the status baseline, asked in turn with the daemon (interleaved, so
    both see the same load on a shared machine)."""

    def __init__(self, tmp: Path) -> None:
        ep = f"ipc://{tmp / 'raw-rep.sock'}"
        self.proc = mp.Process(target=_rep_server, args=(ep,), daemon=True)
        self.proc.start()
        self.ctx = zmq.Context()
        self.s = self.ctx.socket(zmq.REQ)
        self.s.connect(ep)
        for _ in range(50):
            self.ask()

    def ask(self) -> float:
        t = time.perf_counter()
        self.s.send(b"status?")
        self.s.recv()
        return time.perf_counter() - t

    def close(self) -> None:
        self.s.send(b"quit"), self.s.recv()
        self.s.close(0)
        self.ctx.term()
        self.proc.join(5)


class RawForwarder:
    """DEALER -> ROUTER forwarder -> DEALER over ipc: the baseline of the ask and the throughput."""

    def __init__(self, tmp: Path) -> None:
        front = f"ipc://{tmp / 'raw-fwd.sock'}"
        self.fwd = mp.Process(target=_forwarder, args=(front,), daemon=True)
        self.fwd.start()
        time.sleep(0.2)
        self.ctx = zmq.Context()
        self.d = self.ctx.socket(zmq.DEALER)
        self.d.setsockopt(zmq.IDENTITY, b"a")
        self.d.connect(front)
        time.sleep(0.2)
        self.peers = [mp.Process(target=_peer, args=(front, b"b", "echo"), daemon=True),
                      mp.Process(target=_peer, args=(front, b"c", "sink"), daemon=True)]
        for p in self.peers:
            p.start()
        for _ in range(2):  # the announcements of b and c
            self.d.recv_multipart()

    def asks(self, n: int) -> list[float]:
        times = []
        for _ in range(n):
            t = time.perf_counter()
            self.d.send_multipart([b"b", b"ping"])
            self.d.recv_multipart()
            times.append(time.perf_counter() - t)
        return times

    def flood(self, n_flood: int) -> float:
        t = time.perf_counter()
        for i in range(n_flood):
            self.d.send_multipart([b"c", b"last" if i == n_flood - 1 else b"x"])
        _, count = self.d.recv_multipart()
        return int(count) / (time.perf_counter() - t)

    def close(self) -> None:
        for dest in (b"b", b"c"):
            self.d.send_multipart([dest, b"quit"])
        self.d.send_multipart([b"a", b"quit"])
        time.sleep(0.1)
        self.d.close(0)
        self.ctx.term()
        for p in (self.fwd, *self.peers):
            p.join(2)
            p.kill()


# --- cogloop ---------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-real", action="store_true", help="skip the real actors' restart latency (bench/restarts.py)")
    args = ap.parse_args()
    n = 500 if args.quick else 2000
    n_flood = 5000 if args.quick else 20000
    kills = 8 if args.quick else 15
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        home = tmp / "home"
        home.mkdir()
        d = Daemon(home, "echo-1:echo,echo-2:echo", COGLOOP_DAEMON_HEARTBEAT_S="1.0",
                   COGLOOP_DAEMON_BACKOFF_MAX_S="0.3", COGLOOP_DAEMON_RESTART_INTENSITY="1000",
                   COGLOOP_DAEMON_BACKLOG=str(n_flood + 10)).start()
        try:
            c = d.client
            for _ in range(50):
                c.call("status")
            rep = RawReqRep(tmp)
            st, raw_st = [], []
            for _ in range(n):  # one of each in turn: the same machine load for both
                t = time.perf_counter()
                c.call("status")
                st.append(time.perf_counter() - t)
                raw_st.append(rep.ask())
            # and each in its own tight loop, as the first version of this benchmark did
            st_seq = []
            cpu0 = cpu_s(d.proc.pid), cpu_s(os.getpid())
            for _ in range(n):
                t = time.perf_counter()
                c.call("status")
                st_seq.append(time.perf_counter() - t)
            cpu_status = [(cpu_s(d.proc.pid) - cpu0[0]) / n, (cpu_s(os.getpid()) - cpu0[1]) / n]
            raw_seq = [rep.ask() for _ in range(n)]
            rep.close()

            # actor-to-actor: echo-1 asks echo-2 `chunk` times inside one forwarded ask, in turn
            # with as many raw pings through the raw forwarder
            fwd = RawForwarder(tmp)
            d.forward("echo-1", "echo.relay", {"to": "echo-2", "count": 50})
            chunk = 50
            ask_total, raw_ask = 0.0, []
            echo_pids = [d.proc.pid] + [d.child(e)["pid"] for e in ("echo-1", "echo-2")]
            ask_cpu = [0.0, 0.0, 0.0]
            for _ in range(n // chunk):
                before = [cpu_s(p) for p in echo_pids]
                t = time.perf_counter()
                out = d.forward("echo-1", "echo.relay", {"to": "echo-2", "count": chunk}, timeout=120)
                ask_total += time.perf_counter() - t
                ask_cpu = [a + cpu_s(p) - b for a, p, b in zip(ask_cpu, echo_pids, before)]
                assert not out["errors"], out["errors"][:3]
                raw_ask += fwd.asks(chunk)
            ask_mean = ask_total / (n // chunk * chunk)
            raw_rate = fwd.flood(n_flood)
            fwd.close()

            before = d.forward("echo-2", "echo.stats")["handled"]
            t = time.perf_counter()
            d.forward("echo-1", "echo.flood", {"to": "echo-2", "count": n_flood}, timeout=120)
            while d.forward("echo-2", "echo.stats")["handled"] - before < n_flood:
                time.sleep(0.002)
            rate = n_flood / (time.perf_counter() - t)

            restart = []
            for _ in range(kills):
                old = d.child("echo-2")["pid"]
                time.sleep(0.4)  # longer than backoff_max: each kill counts as a first crash
                t = time.perf_counter()
                os.kill(old, signal.SIGKILL)
                while True:
                    try:
                        if d.forward("echo-2", "echo", {}, timeout=2, retries=1)["pid"] != old:
                            break
                    except Exception:
                        time.sleep(0.002)
                restart.append(time.perf_counter() - t)
                running_pid(d, "echo-2", old)
        finally:
            d.stop()

    us = 1e6
    rows = [
        ("status round trip p50", pct(st, 50) * us, pct(raw_st, 50) * us, "us", "<= 2x"),
        ("status round trip p99", pct(st, 99) * us, pct(raw_st, 99) * us, "us", ""),
        ("actor->actor ask (mean)", ask_mean * us, statistics.mean(raw_ask) * us, "us", "<= 3x"),
        ("bus throughput", rate, raw_rate, "msg/s", ">= 25%"),
    ]
    print(f"{'figure':<26}{'cogloop':>12}{'raw':>12}  {'unit':<6}{'ratio':>8}  goal")
    for name, ours, raw, unit, goal in rows:
        print(f"{name:<26}{ours:>12.0f}{raw:>12.0f}  {unit:<6}{ours / raw:>8.2f}  {goal}")
    print(f"{'status p50, tight loops':<26}{pct(st_seq, 50) * us:>12.0f}{pct(raw_seq, 50) * us:>12.0f}  "
          f"{'us':<6}{pct(st_seq, 50) / pct(raw_seq, 50):>8.2f}  (each side alone: raw REQ/REP at its fastest)")
    asks = n // 50 * 50
    print(f"CPU per status call (tight loop): supervisor {cpu_status[0] * us:.0f} us, client {cpu_status[1] * us:.0f} us; "
          f"per actor->actor ask: supervisor {ask_cpu[0] / asks * us:.0f} us, echo-1 {ask_cpu[1] / asks * us:.0f} us, "
          f"echo-2 {ask_cpu[2] / asks * us:.0f} us")
    print(f"{'restart kill -9 -> serving':<26} p50 {pct(restart, 50) * 1000:.0f} ms, "
          f"p90 {pct(restart, 90) * 1000:.0f} ms over {len(restart)} kills (goal p50 <= 250 ms)")
    if not args.no_real:
        restarts.report(restarts.restarts(4 if args.quick else 8))
    return 0


if __name__ == "__main__":
    sys.exit(main())
