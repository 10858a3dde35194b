"""The Korean demo publication (`hanji demo`, and the first `make run` on an empty database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from hanji.core.demo import images, legal
from hanji.core.demo.posts import CATEGORIES, Art, demo_posts
from hanji.core.frontmatter import PostSource
from hanji.posts.actions import get_or_create_category, publish_post, save_post
from hanji.posts.models import Post
from hanji.publications.models import Author, Publication
from hanji.subscribers.actions import ensure_newsletter

DEMO_SLUG = "pangyo-weekly"
ACCENT = "#2f6f5e"

PUBLICATION = {
    "name": "판교 위클리",
    "description": "판교에서 일하는 사람들이 월요일 아침에 읽는 기술과 스타트업 이야기",
    "bio": (
        "매주 월요일 아침 7시, 기술과 스타트업 소식을 한 통의 편지로 보냅니다. "
        "유행어보다 현장의 이야기를, 속보보다 한 번 더 생각한 글을 씁니다."
    ),
    "language": "ko",
    "time_zone": "Asia/Seoul",
    "accent_color": ACCENT,
    "company_name": "주식회사 판교위클리 (데모)",
    "representative": "서하늘",
    "business_number": "123-45-67890",
    "mail_order_number": "제2025-성남분당A-0000호",
    "address": "경기도 성남시 분당구 판교역로 000, 0층 (데모 주소)",
    "contact_email": "hello@pangyo-weekly.example",
    "phone": "031-000-0000",
    "terms": legal.TERMS,
    "privacy": legal.PRIVACY,
    "recurring_terms": legal.RECURRING_TERMS,
    "faq": legal.FAQ,
}

AUTHOR = {
    "name": "서하늘",
    "slug": "seo-haneul",
    "bio": (
        "스타트업 세 곳에서 백엔드 개발자와 프로덕트 매니저로 일했습니다. "
        "지금은 판교의 작은 카페 구석에서 매주 한 통의 편지를 씁니다. "
        "어렵게 쓰지 않는 것, 부풀리지 않는 것이 원칙입니다."
    ),
}


def demo_publication() -> Publication | None:
    return Publication.objects.filter(slug=DEMO_SLUG).first()


def _mondays(count: int, now: datetime) -> list[datetime]:
    """The last `count` Monday 7:00 (Seoul) mornings before `now`, newest first."""
    seoul = now.astimezone(ZoneInfo("Asia/Seoul"))
    monday = (seoul - timedelta(days=seoul.weekday())).replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    if monday > seoul:
        monday -= timedelta(days=7)
    return [monday - timedelta(weeks=i) for i in range(count)]


def _save_picture(name: str, content: bytes) -> str:
    """Stored under MEDIA_ROOT through Django's storage; returns its URL."""
    stored = default_storage.save(f"demo/{name}", ContentFile(content))
    return default_storage.url(stored)


def _create_post(
    publication: Publication, author: Author, source: PostSource, art: Art, seed: int, at
) -> Post:
    body = source.body_markdown
    for name, (palette, motif) in art.images.items():
        url = _save_picture(
            f"{name}.jpg", images.picture(palette, motif, seed=seed + 100, size=(1200, 720))
        )
        body = body.replace(f"{{image:{name}}}", url)
    post = save_post(
        publication,
        title=source.title,
        subtitle=source.subtitle,
        body_markdown=body,
        slug=source.slug,
        category=source.category,
        tags=source.tags,
        authors=[author],
        visibility=source.visibility,
    )
    post.cover_image.save(
        f"{source.slug}.jpg",
        ContentFile(images.picture(art.palette, art.motif, seed=seed)),
        save=False,
    )
    post.cover_alt = art.cover_alt
    post.cover_caption = art.caption
    post.view_count = art.views
    post.like_count = art.likes
    post.save()
    return publish_post(post, at=at)


@transaction.atomic
def create_demo() -> Publication:
    """Create the demo publication with its author, categories, pages and posts.

    Idempotent: when the demo publication already exists it is returned unchanged.
    """
    existing = demo_publication()
    if existing is not None:
        return existing
    publication = Publication(slug=DEMO_SLUG, **PUBLICATION)
    publication.logo.save(
        "pangyo-weekly.png", ContentFile(images.round_mark(ACCENT, "#e0a458")), save=False
    )
    publication.save()
    ensure_newsletter(publication)  # the editor's newsletter menu is never empty
    author = Author(publication=publication, **AUTHOR)
    author.avatar.save(
        "seo-haneul.png", ContentFile(images.round_mark("#e0a458", ACCENT, seed=11)), save=False
    )
    author.save()
    for position, (name, description) in enumerate(CATEGORIES):
        category = get_or_create_category(publication, name)
        category.description = description
        category.position = position
        category.save()
    # Oldest first, so ids follow the order in which the letters went out.
    letters = demo_posts()
    dated = list(enumerate(zip(letters, _mondays(len(letters), timezone.now()), strict=True)))
    for seed, ((source, art), at) in reversed(dated):
        _create_post(publication, author, source, art, seed, at)
    return publication
