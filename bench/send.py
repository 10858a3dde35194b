"""Benchmark: send one post of about 20 KB to 100,000 active subscribers through a local SMTP
sink, on SQLite and on PostgreSQL.

    .venv/bin/python -m bench.send                  # both databases
    .venv/bin/python -m bench.send --db sqlite      # one

Figures (DESIGN.md budgets in brackets):
- the sink's own ceiling: aiosmtpd, and the fast sink of bench/_smtp_sink.py (used when
  aiosmtpd is the limit, which it is);
- bare smtplib pushing prebuilt messages (Hanji's own bytes) over the same number of processes
  and connections, as many as Hanji sends: the ceiling Hanji is held to. Both are timed the
  same way, by the sink, from its first message to its last;
- Hanji with 1 and 2 workers (`manage.py db_worker --queue-name sending`): messages/s
  [≥ 1,000 with 2 workers], ratio to the bare ceiling [≥ 70%], time from "send" to the first
  message, time to prepare the 100,000 Delivery rows [< 10 s], peak memory per worker and its
  memory at 10/50/90% of the send [< 300 MB, flat].

BENCH_SEND_SUBSCRIBERS and BENCH_SEND_CONNECTIONS change the list size and the connections per
worker; PostgreSQL is at BENCH_SEND_PG (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBERS = int(os.environ.get("BENCH_SEND_SUBSCRIBERS", "100000"))
CONNECTIONS = int(os.environ.get("BENCH_SEND_CONNECTIONS", "2"))
PG = os.environ.get("BENCH_SEND_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "bench_send_hanji"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- bare smtplib -------------------------------------------------------------------------


def _push(port: int, messages: list[tuple[str, bytes]], count: int, connections: int, out) -> None:
    """One process: `connections` threads, each its own smtplib connection."""

    def one(offset: int, n: int) -> None:
        client = smtplib.SMTP("127.0.0.1", port)
        for i in range(n):
            rcpt, data = messages[(offset + i) % len(messages)]
            client.sendmail("letter@bench.example.com", [rcpt], data)
        client.quit()

    share = count // connections
    threads = [threading.Thread(target=one, args=(k * 997, share)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(share * connections)


def bare_smtplib(sink, messages, processes: int, connections: int, total: int) -> dict:
    """Bare smtplib.sendmail() of prebuilt messages, `total` of them (as many as Hanji sends),
    timed by the sink from its first message to its last, exactly as Hanji is timed; the
    wall time including forks and connections is kept beside it."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    per = total // processes
    workers = [
        context.Process(target=_push, args=(sink.port, messages, per, connections, out))
        for _ in range(processes)
    ]
    sink.reset()
    start = time.perf_counter()
    for w in workers:
        w.start()
    sent = sum(out.get() for _ in workers)
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    settle = time.time() + 10
    while sink.received < sent and time.time() < settle:
        time.sleep(0.05)
    return {
        "sent": sink.received,
        "messages_per_s": round(sink.rate(), 1),
        "wall_messages_per_s": round(sent / wall, 1),
    }


def aiosmtpd_ceiling(message: bytes, seconds: float = 4.0) -> float:
    """What aiosmtpd (the tests' server) accepts from one bare smtplib connection."""
    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        client = smtplib.SMTP("127.0.0.1", port)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            client.sendmail("a@bench.example.com", ["b@bench.example.com"], message)
            n += 1
        client.quit()
        return n / (time.perf_counter() - start)
    finally:
        controller.stop()


def raw_pipelined_ceiling(port: int, message: bytes, processes: int, per_process: int) -> float:
    """The fast sink's ceiling: raw sockets, pipelined envelopes, nothing built per message."""
    body = message.replace(b"\r\n.", b"\r\n..") + b".\r\n"

    def blast(out) -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        f = sock.makefile("rb")
        f.readline()
        sock.sendall(b"EHLO bench\r\n")
        while f.readline()[3:4] != b" ":
            pass
        for _ in range(per_process):
            sock.sendall(
                b"MAIL FROM:<a@bench.example.com>\r\nRCPT TO:<b@bench.example.com>\r\nDATA\r\n"
            )
            f.readline(), f.readline(), f.readline()
            sock.sendall(body)
            f.readline()
        sock.close()
        out.put(per_process)

    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [context.Process(target=blast, args=(out,)) for _ in range(processes)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    n = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return n / (time.perf_counter() - start)


# --- the child: one database --------------------------------------------------------------


def _body(kb: int = 20) -> str:
    paragraph = (
        "한지는 창작자가 글을 한 번 쓰면 웹 페이지로 발행하고 모든 구독자에게 이메일로 보내는 "
        "도구입니다. [자세히 보기](https://example.com/more) 그리고 **중요한 내용**을 강조합니다. "
    )
    parts, size = [], 0
    n = 0
    while size < kb * 1024:
        n += 1
        block = f"## {n}번째 이야기\n\n{paragraph * 3}\n\n"
        if n % 4 == 0:
            block += f"![그림 {n}](https://cdn.example.com/{n}.jpg)\n\n"
        parts.append(block)
        size += len(block.encode())
    return "".join(parts)


def _setup(db: str, data_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "hanji.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _population(n: int):
    from django.utils import timezone

    from hanji.publications.models import Publication
    from hanji.subscribers.models import Newsletter, Subscriber, Subscription

    publication = Publication.objects.create(name="벤치 레터", slug="bench")
    newsletter = Newsletter.objects.create(
        publication=publication, name="주간 벤치", slug="weekly",
        sender_name="벤치 레터", sender_email="letter@bench.example.com",
    )  # fmt: skip
    now = timezone.now()
    for start in range(0, n, 10_000):
        rows = Subscriber.objects.bulk_create(
            [
                Subscriber(
                    publication=publication,
                    email=f"reader{i}@bench.example.org",
                    name=f"독자{i}",
                    status="active",
                    created_at=now,
                    confirmed_at=now,
                )  # fmt: skip
                for i in range(start, min(n, start + 10_000))
            ]
        )
        Subscription.objects.bulk_create(
            Subscription(subscriber=s, newsletter=newsletter) for s in rows
        )
    return publication, newsletter


def _post(publication, slug: str):
    from hanji.posts.actions import publish_post, save_post

    return publish_post(
        save_post(publication, title=f"벤치마크 {slug}", slug=slug, body_markdown=_body())
    )


def _prebuilt(post, newsletter, count: int = 500) -> list[tuple[str, bytes]]:
    """Hanji's own bytes for `count` recipients, built ahead: what bare smtplib pushes."""
    from django.utils import timezone

    from hanji.sending.compose import MessageTemplate, compile_send, date_header
    from hanji.sending.models import Send
    from hanji.sending.personalize import Personalizer
    from hanji.subscribers.models import Subscriber

    send = Send(
        pk=999_999, publication=post.publication, post=post, newsletter=newsletter,
        subject=post.title, from_name="벤치", from_email="letter@bench.example.com",
        scheduled_at=timezone.now(),
    )  # fmt: skip
    template = MessageTemplate(compile_send(send))
    personalizer = Personalizer(send)
    out = []
    for s in Subscriber.objects.order_by("id")[:count]:
        values = personalizer.values(s.pk, s.email, s.name, date_header())
        out.append((s.email, template.message("free", values)))
    return out


def _worker_env(port: int, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        {
            "HANJI_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_URL": f"smtp://127.0.0.1:{port}?connections={CONNECTIONS}",
            "HANJI_SEND_LOOPS": str(workers),
            "HANJI_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _hanji(post, sink, port: int, workers: int) -> dict:
    import psutil
    from django.utils import timezone

    from hanji.sending.actions import start_send_for_post
    from hanji.sending.models import Send

    env = _worker_env(port, workers)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--queue-name",
                "sending",
                "--interval",
                "0.1",
                "--no-startup-delay",
                "-v",
                "0",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(workers)
    ]
    time.sleep(3)  # let the workers start and idle
    watched = [psutil.Process(p.pid) for p in procs]
    sink.reset()
    peak = [0] * workers
    at = {}
    t0 = time.time()
    send = start_send_for_post(post)
    deadline = t0 + 900
    reached = None
    while time.time() < deadline:
        received = sink.received
        for k, proc in enumerate(watched):
            try:
                peak[k] = max(peak[k], proc.memory_info().rss)
            except psutil.NoSuchProcess:
                pass
        for mark in (0.1, 0.5, 0.9):
            if mark not in at and received >= SUBSCRIBERS * mark:
                at[mark] = (time.time(), [p.memory_info().rss for p in watched])
        if received >= SUBSCRIBERS and reached is None:
            reached = time.time()
        if reached and Send.objects.values_list("state", flat=True).get(pk=send.pk) == "sent":
            break
        time.sleep(0.1)
    send.refresh_from_db()
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(60)
    first = sink.first.value
    # Timed by the sink, first message to last, like bare smtplib; if the deadline came
    # first, the rate divides only what was sent.
    steady = (SUBSCRIBERS * 0.8) / (at[0.9][0] - at[0.1][0]) if 0.9 in at and 0.1 in at else 0.0
    return {
        "workers": workers,
        "state": send.state,
        "sent": sink.received,
        "finished_before_deadline": reached is not None,
        "messages_per_s": round(sink.rate(), 1),
        "steady_messages_per_s": round(steady, 1),
        "first_message_s": round(first - t0, 2),
        "prepare_s": round((send.prepared_at - send.created_at).total_seconds(), 2),
        "peak_rss_mb": [round(b / 2**20, 1) for b in peak],
        "rss_mb_at_10_50_90": {
            str(mark): [round(b / 2**20, 1) for b in at[mark][1]] for mark in sorted(at)
        },
        "finished_by": timezone.localtime(send.finished_at).isoformat()
        if send.finished_at
        else None,
    }


def _prepare_only(post, newsletter) -> float:
    """Deliveries for the whole list, timed alone (no compile, no queue)."""
    from django.utils import timezone

    from hanji.sending.models import Send
    from hanji.sending.prepare import insert_deliveries

    send = Send.objects.create(
        publication=post.publication, post=post, newsletter=newsletter, subject="prepare",
        scheduled_at=timezone.now(), state="cancelled",
    )  # fmt: skip
    start = time.perf_counter()
    insert_deliveries(send)
    return time.perf_counter() - start


def child(db: str) -> dict:
    from bench._smtp_sink import Sink

    data_dir = Path(tempfile.mkdtemp(prefix="bench-send-"))
    os.environ["HANJI_DATA_DIR"] = str(data_dir)
    if db == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        os.environ["DATABASE_URL"] = f"{PG}/{PG_NAME}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    os.environ["HANJI_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    _setup(db, data_dir)
    result: dict = {
        "database": db,
        "subscribers": SUBSCRIBERS,
        "connections_per_worker": CONNECTIONS,
    }
    start = time.perf_counter()
    publication, newsletter = _population(SUBSCRIBERS)
    result["population_s"] = round(time.perf_counter() - start, 1)
    post = _post(publication, "prepare")
    result["prepare_only_s"] = round(_prepare_only(post, newsletter), 2)
    messages = _prebuilt(_post(publication, "bare"), newsletter)
    result["message_bytes"] = len(messages[0][1])
    result["aiosmtpd_ceiling"] = round(aiosmtpd_ceiling(messages[0][1]), 1)
    port = free_port()
    sink = Sink(port, processes=2)
    try:
        sample = messages[0][1]
        result["sink_ceiling_raw_pipelined"] = round(
            raw_pipelined_ceiling(port, sample, 2, 10_000), 1
        )
        result["bare_smtplib"] = {
            str(w): bare_smtplib(sink, messages, w, CONNECTIONS, SUBSCRIBERS) for w in (1, 2)
        }
        result["hanji"] = []
        for workers in (1, 2):
            run = _hanji(_post(publication, f"send-{workers}"), sink, port, workers)
            bare = result["bare_smtplib"][str(workers)]["messages_per_s"]
            run["ratio_to_bare"] = round(run["messages_per_s"] / bare, 2) if bare else None
            result["hanji"].append(run)
    finally:
        sink.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


# --- the parent -----------------------------------------------------------------------------


def _print(results: dict) -> None:
    for r in results["runs"]:
        if "error" in r:
            print(f"[{r['database']}] failed: {r['error']}")
            continue
        print(
            f"[{r['database']}] {r['subscribers']:,} subscribers, message {r['message_bytes']:,} bytes, {r['connections_per_worker']} connections per worker"
        )
        print(f"  aiosmtpd ceiling (1 smtplib connection): {r['aiosmtpd_ceiling']:.0f} msg/s")
        print(
            f"  fast sink ceiling (raw pipelined, 2 processes): {r['sink_ceiling_raw_pipelined']:.0f} msg/s"
        )
        print(f"  deliveries prepared alone: {r['prepare_only_s']} s (budget < 10 s)")
        for h in r["hanji"]:
            bare = r["bare_smtplib"][str(h["workers"])]
            late = "" if h["finished_before_deadline"] else " (DEADLINE: rate of what was sent)"
            print(
                f"  {h['workers']} worker(s): {h['sent']:,} sent, {h['messages_per_s']:.0f} msg/s{late} (steady {h['steady_messages_per_s']:.0f}),"
                f" bare smtplib {bare['sent']:,} sent, {bare['messages_per_s']:.0f} msg/s (wall incl. forks {bare['wall_messages_per_s']:.0f}), ratio {h['ratio_to_bare']:.0%};"
                f" first message after {h['first_message_s']} s; prepared in {h['prepare_s']} s;"
                f" peak RSS {h['peak_rss_mb']} MB; RSS at 10/50/90% {list(h['rss_mb_at_10_50_90'].values())}; {h['state']}"
            )


def main(databases: tuple[str, ...] = ("sqlite", "postgresql")) -> dict:
    results: dict = {"runs": []}
    for db in databases:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.send", "--child", db],
            cwd=ROOT, capture_output=True, text=True,
            env={**os.environ, "HANJI_LOG_LEVEL": "WARNING"},
        )  # fmt: skip
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            results["runs"].append({"database": db, "error": (proc.stderr or proc.stdout)[-2000:]})
        else:
            results["runs"].append(json.loads(lines[-1]))
    _print(results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["sqlite", "postgresql"])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
    else:
        from bench import run_alone

        run_alone("send", lambda: main(tuple(args.db or ("sqlite", "postgresql"))))
