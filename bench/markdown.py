"""What one request to the editor's Markdown endpoint can cost (issue 11, point 14).

Measures the CPU time (median of 3) of `check_markdown` + `markdown_to_html`, as the endpoint
runs them, for prose at the length cap, the costliest characters at their cap, and the
issue's 400,000 `[` (refused before conversion), and the same conversions without the caps
for comparison. No server: the endpoint adds only the request around it.
Budget: every answer under 1 s of CPU.
"""

from __future__ import annotations

import os
import statistics
import time

ROUNDS = int(os.environ.get("HANJI_BENCH_ROUNDS", "3"))
BUDGET_SECONDS = 1.0


def _cpu(work) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times)


def _endpoint(text: str):
    from hanji.posts.body import MarkdownRefused, check_markdown, markdown_to_html

    def run() -> None:
        try:
            check_markdown(text)
        except MarkdownRefused:
            return
        markdown_to_html(text)

    return run


def main() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanji.settings")
    import django

    django.setup()
    from hanji.posts.body import MARKDOWN_MAX_CHARS, MARKDOWN_MAX_OPENERS, markdown_to_html

    paragraph = "이것은 **보통** 글입니다. [링크](https://example.com)와 `code`가 있어요.\n\n"
    prose = (paragraph * (MARKDOWN_MAX_CHARS // len(paragraph) + 1))[:MARKDOWN_MAX_CHARS]
    cases = {
        "prose_at_cap": prose,
        "brackets_at_cap": "[" * MARKDOWN_MAX_OPENERS,
        "lt_at_cap": "<" * MARKDOWN_MAX_OPENERS,
        "brackets_400k_refused": "[" * 400_000,
        "brackets_100k_refused": "[" * 100_000,
    }
    figures = {name: round(_cpu(_endpoint(text)), 4) for name, text in cases.items()}
    uncapped = {
        "uncapped_brackets_400k": "[" * 400_000,
        "uncapped_brackets_100k": "[" * 100_000,
    }
    for name, text in uncapped.items():
        figures[name] = round(_cpu(lambda t=text: markdown_to_html(t)), 4)
    for name, seconds in figures.items():
        print(f"{name:28} {seconds * 1000:9.1f} ms CPU")
    worst = max(v for k, v in figures.items() if not k.startswith("uncapped"))
    figures["within_budget"] = worst < BUDGET_SECONDS
    print(f"worst capped answer {worst * 1000:.1f} ms CPU (budget {BUDGET_SECONDS * 1000:.0f} ms)")
    return figures


if __name__ == "__main__":
    main()
