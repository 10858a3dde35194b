"""Public pages under load: `hanji web` serving an anonymous reader, cached and uncached.

1. Seeds a fresh SQLite database under var/bench-pages: one Korean publication with 200 posts
   of a few KB each (headings, a list, a quote, some with a captioned image).
2. Starts `hanji web --workers 2` and `hanji worker` (or granian and db_worker directly when
   the CLI is not there), production-like: DEBUG off, SQLite in WAL mode.
3. Measures the idle memory of web + worker (RSS and PSS summed over every process).
4. Drives a post page and the home page with wrk (50 connections, 10 s each), with the
   anonymous page cache warm and with it off (HANJI_PAGE_CACHE=0), once with the cache in
   Redis (REDIS_URL, as in production) and once in the default file cache.

Environment: HANJI_BENCH_SECONDS (default 10), HANJI_BENCH_CONNECTIONS (50),
HANJI_BENCH_REDIS_URL (redis://127.0.0.1:6379/0; keys get a prefix of their own and are
removed afterwards), HANJI_BENCH_DATABASE_URL (default: SQLite in the bench data dir).
`python -m bench.pages seed` is the seeding step, run inside the bench's own environment.
"""

from __future__ import annotations

import importlib.util
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "var" / "bench-pages"
SECONDS = int(os.environ.get("HANJI_BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("HANJI_BENCH_CONNECTIONS", "50"))
REDIS_URL = os.environ.get("HANJI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
WEB_WORKERS = int(os.environ.get("HANJI_BENCH_WORKERS", "2"))
# Request threads per web worker; empty means the default of `hanji web`.
WEB_THREADS = os.environ.get("HANJI_BENCH_THREADS", "")
POSTS = 200
BUDGET = {
    "cached_rps": 3000,
    "cached_p99_ms": 50,
    "uncached_rps": 300,
    "idle_mb": 200,
}

# --- seeding (runs in a child process with the bench environment) ------------------------------

SENTENCES = [
    "반도체 업황이 바닥을 지났다는 분석이 나오면서 장비 업체들의 주문도 조금씩 늘고 있습니다.",
    "샌프란시스코의 사무실 공실률은 여전히 30%를 넘고, 재택근무는 이제 예외가 아니라 기본값이 됐습니다.",
    "이번 주에는 오픈소스 라이선스를 바꾼 회사들이 왜 다시 원래 라이선스로 돌아가는지 살펴봤습니다.",
    "작은 팀이 큰 회사를 이기는 방법은 결국 더 빨리 배우고 더 자주 고객을 만나는 것입니다.",
    "금리가 내려가기 시작하면 스타트업 투자 시장도 숨을 돌리겠지만, 예전 같은 거품은 돌아오지 않을 겁니다.",
    "전기차 판매가 주춤한 사이 하이브리드가 다시 주목받고 있다는 점도 흥미롭습니다.",
    "한국 개발자들이 실리콘밸리에서 일하며 가장 많이 묻는 질문은 비자와 연봉 협상입니다.",
    "검색 광고 시장은 생성형 인공지능 때문에 처음으로 구조적인 변화를 맞고 있습니다.",
    "데이터센터 전력 수요가 늘면서 소형 원자로에 투자하는 빅테크 회사도 생겼습니다.",
    "좋은 글은 독자가 이미 아는 것에서 출발해 모르는 것으로 데려갑니다.",
    "구독자 여러분이 보내 주신 질문 가운데 가장 많았던 것을 골라 답해 보겠습니다.",
    "회사가 커질수록 회의는 늘고 결정은 느려지는데, 이를 막는 장치는 생각보다 단순합니다.",
    "서울과 베이 에어리어의 시차는 열일곱 시간, 아침 회의가 한국의 새벽이 되는 일이 잦습니다.",
    "채용 시장이 얼어붙었다고들 하지만 인공지능 인프라 엔지니어는 여전히 귀한 대접을 받습니다.",
    "스톡옵션의 행사 가격과 세금 문제는 입사 전에 반드시 따져 봐야 합니다.",
    "이번 분기 실적 발표에서 가장 눈에 띈 숫자는 매출이 아니라 설비 투자였습니다.",
    "뉴스레터를 오래 쓰는 비결은 거창한 계획이 아니라 매주 같은 요일에 보내는 습관입니다.",
    "클라우드 비용을 줄이려고 자체 서버로 돌아가는 회사들의 이야기는 절반만 사실입니다.",
    "규제 당국은 플랫폼의 자사 우대를 문제 삼았고, 앱 마켓 수수료도 다시 도마에 올랐습니다.",
    "한 줄로 요약하면, 기술보다 유통이 이기는 시대가 다시 왔습니다.",
    "지난호에 대한 피드백 가운데 숫자가 너무 많다는 의견이 있어 이번에는 그림을 더 넣었습니다.",
    "로봇 청소기 회사의 몰락은 하드웨어 스타트업이 얼마나 어려운지 보여 주는 사례입니다.",
    "주말에는 산호세의 한인 마트에 들러 떡볶이 재료를 샀습니다.",
    "결국 중요한 것은 고객이 돈을 내고 쓰는 제품을 만드는 일입니다.",
]
HEADINGS = [
    "무슨 일이 있었나",
    "왜 중요한가",
    "숫자로 보기",
    "현장에서 들은 이야기",
    "앞으로 지켜볼 것",
    "독자 질문에 답합니다",
]
TOPICS = [
    "반도체",
    "인공지능",
    "스타트업 투자",
    "빅테크 실적",
    "전기차",
    "채용 시장",
    "클라우드",
    "오픈소스",
]
CATEGORIES = ["테크", "경제", "커리어", "생활"]


def post_markdown(rng: random.Random, with_image: bool) -> str:
    def paragraph(count: int) -> str:
        return " ".join(rng.sample(SENTENCES, count))

    parts = [paragraph(4), paragraph(3)]
    if with_image:
        parts.append(
            '![회의실 화이트보드에 그린 공급망 지도](/media/bench/figure.png "회의실 화이트보드에 '
            '그린 공급망 지도. 화살표 하나가 한 달의 협상이다.")'
        )
    for heading in rng.sample(HEADINGS, 3):
        parts += [f"## {heading}", paragraph(rng.randint(3, 5)), paragraph(3)]
    parts.append("\n".join(f"- {s}" for s in rng.sample(SENTENCES, 3)))
    parts.append(f"> {rng.choice(SENTENCES)}")
    parts.append(paragraph(4))
    return "\n\n".join(parts)


def seed() -> None:
    """Create the bench publication and its posts (run with DJANGO_SETTINGS_MODULE set)."""
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone
    from PIL import Image, ImageDraw

    from hanji.posts.actions import publish_post, save_post
    from hanji.posts.models import Post
    from hanji.publications.models import Author, Publication

    media = Path(settings.MEDIA_ROOT) / "bench"
    media.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (1200, 675), (236, 228, 212))
    draw = ImageDraw.Draw(image)
    for x in range(0, 1200, 40):
        draw.line([(x, 0), (x + 300, 675)], fill=(200, 190, 170), width=4)
    image.save(media / "figure.png", "PNG", optimize=True)

    publication = Publication.objects.create(
        name="주간 실리콘밸리",
        slug="weekly",
        description="실리콘밸리에서 일어나는 일을 매주 한국어로 정리합니다",
        bio="베이 에어리어에서 10년째 일하는 엔지니어가 씁니다. 매주 목요일 아침에 보냅니다.",
        company_name="주식회사 한지레터",
        representative="김한지",
        business_number="123-45-67890",
        mail_order_number="2025-서울마포-0000",
        address="서울특별시 마포구 독막로 1",
        contact_email="hello@example.com",
        terms="이용약관",
        privacy="개인정보처리방침",
    )
    author = Author.objects.create(
        publication=publication, name="김한지", slug="hanji", bio="글 쓰는 엔지니어"
    )
    rng = random.Random(2)
    now = timezone.now()
    for number in range(1, POSTS + 1):
        topic = rng.choice(TOPICS)
        post = save_post(
            publication,
            title=f"{topic}, 지금 무슨 일이 벌어지고 있나 (제{number}호)",
            subtitle=f"{rng.choice(HEADINGS)}: {topic} 편",
            body_markdown=post_markdown(rng, with_image=number % 3 == 0),
            category=rng.choice(CATEGORIES),
            tags=rng.sample(TOPICS, 2),
            authors=[author],
        )
        publish_post(post, at=now - timedelta(days=7 * (POSTS - number)))
        Post.objects.filter(pk=post.pk).update(
            view_count=rng.randint(100, 20_000), like_count=rng.randint(0, 300)
        )
    sizes = [len(body.encode()) for body in Post.objects.values_list("body", flat=True)]
    print(
        f"seeded {len(sizes)} posts, body {min(sizes) / 1024:.1f}–{max(sizes) / 1024:.1f} KB "
        f"(mean {sum(sizes) / len(sizes) / 1024:.1f} KB)"
    )


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def has_command(name: str) -> bool:
    return importlib.util.find_spec(f"hanji.core.management.commands.{name}") is not None


def base_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTEST_VERSION", "DATABASE_URL", "REDIS_URL", "HANJI_PAGE_CACHE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hanji.settings",
        HANJI_DATA_DIR=str(DATA_DIR),
        DEBUG="0",
        HANJI_LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if url := os.environ.get("HANJI_BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = url
    env.update(extra)
    return env


def hanji(*args: str) -> list[str]:
    return [sys.executable, "-m", "hanji.cli", *args]


class Stack:
    """`hanji web` + `hanji worker`, started together and stopped together (or `hanji run`)."""

    def __init__(
        self, env: dict[str, str], port: int, workers: int | None = WEB_WORKERS, run=False
    ):
        self.env, self.port, self.workers, self.run = env, port, workers, run
        self.url = f"http://127.0.0.1:{port}"
        self.processes: list[subprocess.Popen] = []
        self.how = ""

    def _web_and_worker(self) -> list[list[str]]:
        if has_command("web"):
            web = hanji("web", "--host", "127.0.0.1", "--port", str(self.port))
            self.how = "hanji web"
            if self.workers:
                web += ["--workers", str(self.workers)]
                self.how += f" --workers {self.workers}"
            if WEB_THREADS:
                web += ["--threads", WEB_THREADS]
                self.how += f" --threads {WEB_THREADS}"
        else:
            granian = str(Path(sys.executable).with_name("granian"))
            web = [granian, "--interface", "wsgi", "--workers", str(self.workers or 1)]
            web += ["--host", "127.0.0.1", "--port", str(self.port), "hanji.wsgi:application"]
            self.how = f"granian --workers {self.workers or 1} (no hanji web yet)"
        worker = hanji("worker") if has_command("worker") else hanji("db_worker")
        self.how += " + " + ("hanji worker" if has_command("worker") else "db_worker")
        return [web, worker]

    def start(self) -> None:
        log = open(DATA_DIR / "server.log", "ab")  # noqa: SIM115 (closed with the processes)
        if self.run:
            commands = [hanji("run", "--host", "127.0.0.1", "--port", str(self.port))]
            self.how = "hanji run"
        else:
            commands = self._web_and_worker()
        for command in commands:
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args} exited; see {DATA_DIR / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"the server did not answer in 60 s; see {DATA_DIR / 'server.log'}")

    def memory_mb(self) -> dict[str, float]:
        import psutil

        rss = pss = 0
        count = 0
        for process in self.processes:
            try:
                parent = psutil.Process(process.pid)
                for one in [parent, *parent.children(recursive=True)]:
                    info = one.memory_full_info()
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
                    count += 1
            except psutil.NoSuchProcess:
                continue
        return {"rss_mb": rss / 2**20, "pss_mb": pss / 2**20, "processes": count}

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the web server's processes (not the worker)."""
        import psutil

        total = 0.0
        parent = psutil.Process(self.processes[0].pid)
        for one in [parent, *parent.children(recursive=True)]:
            try:
                times = one.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return total

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


@contextmanager
def running(env: dict[str, str], workers: int | None = WEB_WORKERS, run: bool = False):
    stack = Stack(env, free_port(), workers, run)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


# --- load ----------------------------------------------------------------------------------------


def wrk_path() -> str | None:
    if path := shutil.which("wrk"):
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install wrk)", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            check=False,
        )
    return shutil.which("wrk")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def load_wrk(wrk: str, url: str) -> dict[str, float]:
    command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", output, re.M))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "requests": requests,
        "errors": (int(bad.group(1)) if bad else 0)
        + (sum(int(n) for n in errors.groups()) if errors else 0),
    }


def load_python(url: str) -> dict[str, float]:
    """Fallback load generator: keep-alive connections in threads (slower than wrk)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = [0] * CONNECTIONS
    stop = time.monotonic() + SECONDS

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                connection.request("GET", parts.path)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[index] += 1
            except OSError:
                errors[index] += 1
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            latencies[index].append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - t0
    every = sorted(x for one in latencies for x in one)
    return {
        "rps": len(every) / took,
        "p50_ms": every[len(every) // 2],
        "p99_ms": every[int(len(every) * 0.99)],
        "requests": len(every),
        "errors": sum(errors),
    }


def fetch(url: str) -> tuple[int, str, int]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("X-Hanji-Cache", ""), len(response.read())


# --- the benchmark -------------------------------------------------------------------------------


def prepare() -> str:
    """A fresh data dir, migrated and seeded; returns the slug of the post to load."""
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    env = base_env()
    subprocess.run(hanji("migrate", "--verbosity", "0"), cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-m", "bench.pages", "seed"], cwd=ROOT, env=env, check=True)
    slug = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from hanji.posts.models import Post; "
            "print(Post.objects.order_by('-published_at')[9].slug)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return slug


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001 (any failure means "no Redis here")
        return False


def drop_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def settle_memory(stack: Stack, seconds: float = 3.0) -> dict[str, float]:
    time.sleep(seconds)
    return stack.memory_mb()


def main() -> dict:
    started = time.monotonic()
    wrk = wrk_path()
    load = (lambda url: load_wrk(wrk, url)) if wrk else load_python
    tool = f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s" if wrk else "Python threads (no wrk)"
    slug = prepare()
    pages = {"post": f"/posts/{urllib.request.quote(slug)}/", "home": "/"}
    configurations = []
    prefix = f"hanji-bench-{uuid.uuid4().hex[:8]}"
    if redis_answers(REDIS_URL):
        configurations.append(("redis", {"REDIS_URL": REDIS_URL, "HANJI_CACHE_PREFIX": prefix}))
    else:
        print(f"Redis does not answer at {REDIS_URL}: measuring the file cache only")
    configurations.append(("file cache", {}))
    database = "PostgreSQL" if os.environ.get("HANJI_BENCH_DATABASE_URL") else "SQLite (WAL)"
    print(f"load: {tool}; database: {database}; post page {pages['post']}")

    results: dict = {"tool": tool, "database": database, "configurations": {}}
    try:
        for name, extra in configurations:
            figures: dict = {}
            for mode in ("cached", "uncached"):
                env = base_env(**extra, HANJI_PAGE_CACHE="1" if mode == "cached" else "0")
                with running(env) as stack:
                    results["server"] = stack.how
                    if mode == "cached":
                        figures["idle_after_start"] = settle_memory(stack)
                    for page, path in pages.items():
                        for _ in range(2):
                            status, cache_state, size = fetch(stack.url + path)
                        assert status == 200, (path, status)
                        if mode == "cached":
                            assert cache_state == "hit", f"{path} is not served from the cache"
                        else:
                            assert cache_state == "", f"{path} went through the page cache"
                        figures.setdefault("page_kb", {})[page] = round(size / 1024, 1)
                    if mode == "cached":
                        figures["idle_after_warmup"] = settle_memory(stack, 1)
                    for page, path in pages.items():
                        cpu = stack.cpu_seconds()
                        row = load(stack.url + path)
                        # Server CPU per request: what a page costs, whatever else the machine
                        # (and the load generator) is doing meanwhile.
                        row["cpu_ms"] = (stack.cpu_seconds() - cpu) * 1000 / max(row["requests"], 1)
                        figures[f"{page} {mode}"] = row
                    figures[f"after load ({mode})"] = settle_memory(stack, 1)
            results["configurations"][name] = figures
        # What a newcomer starts (`make run`): `hanji run`, or web + worker with defaults.
        with running(base_env(), workers=None, run=has_command("run")) as stack:
            idle = settle_memory(stack)
            idle["server"] = stack.how
            results["default_idle"] = idle
    finally:
        if any(name == "redis" for name, _ in configurations):
            drop_redis_keys(REDIS_URL, prefix)
    results["seconds"] = round(time.monotonic() - started)
    print_report(results)
    return results


def print_report(results: dict) -> None:
    print(
        f"\nserver: {results['server']}; database: {results['database']}; load: {results['tool']}"
    )
    for name, figures in results["configurations"].items():
        print(
            f"\n[{name}]  pages: post {figures['page_kb']['post']} KB, home {figures['page_kb']['home']} KB"
        )
        print(
            f"  {'page':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
            f"{'CPU ms/req':>12}  budget"
        )
        for key in ("post cached", "home cached", "post uncached", "home uncached"):
            row = figures[key]
            if key.endswith(" cached"):
                ok = row["rps"] >= BUDGET["cached_rps"] and row["p99_ms"] < BUDGET["cached_p99_ms"]
                goal = f"≥{BUDGET['cached_rps']}/s, p99 <{BUDGET['cached_p99_ms']} ms"
            else:
                ok = row["rps"] >= BUDGET["uncached_rps"]
                goal = f"≥{BUDGET['uncached_rps']}/s"
            verdict = "met" if ok and not row["errors"] else "MISSED"
            print(
                f"  {key:<18}{row['rps']:>9.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
                f"{row['errors']:>8}{row['cpu_ms']:>12.2f}  {verdict} ({goal})"
            )
        for key in (
            "idle_after_start",
            "idle_after_warmup",
            "after load (cached)",
            "after load (uncached)",
        ):
            memory = figures[key]
            verdict = ""
            if key.startswith("idle"):
                ok = memory["rss_mb"] < BUDGET["idle_mb"]
                verdict = f"  {'met' if ok else 'MISSED'} (<{BUDGET['idle_mb']} MB RSS)"
            print(
                f"  memory {key:<22} RSS {memory['rss_mb']:6.0f} MB, PSS {memory['pss_mb']:6.0f} MB"
                f" over {memory['processes']} processes{verdict}"
            )

    idle = results["default_idle"]
    verdict = "met" if idle["rss_mb"] < BUDGET["idle_mb"] else "MISSED"
    print(
        f"\n[{idle['server']}, file cache]  memory idle after start: RSS {idle['rss_mb']:.0f} MB,"
        f" PSS {idle['pss_mb']:.0f} MB over {idle['processes']} processes"
        f"  {verdict} (<{BUDGET['idle_mb']} MB RSS)"
    )
    print(
        "  (RSS counts the pages that forked web workers share once per process; PSS divides"
        " them among the processes and is the memory the machine actually spends.)"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        seed()
    else:
        main()
