"""The bench publication: one Korean publication with 200 posts of a few KB each (headings, a
list, a quote, some with a captioned image), seeded into a migrated database.

    python -m bench._pages_seed     (with DJANGO_SETTINGS_MODULE and HANJI_DATA_DIR set)
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

POSTS = 200

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


if __name__ == "__main__":
    seed()
