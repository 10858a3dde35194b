"""The public search page: what each reader finds, and what never leaves for whom."""

import time

import pytest

from hanji.posts.models import Post

pytestmark = pytest.mark.django_db

PAYWALLED = "공개된 앞부분 반도체 이야기\n\n{paywall}\n\n숨겨진 뒷부분 양자컴퓨터 비밀"


def search(client, q: str, marks: bool = False) -> str:
    """The page's HTML (without its <mark> tags unless `marks`)."""
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    return html if marks else html.replace("<mark>", "").replace("</mark>", "")


@pytest.fixture
def paid_post(make_post):
    return make_post(title="유료 회원 특집", body=PAYWALLED, visibility="paid")


def test_the_header_search_box_finds_a_post_by_a_word_in_its_body(client, make_post):
    make_post(title="이번 주 소식", body="샘알트만이 오픈AI로 돌아왔다.")
    assert "이번 주 소식" in search(client, "알트만")
    assert "샘<mark>알트만</mark>이" in search(client, "알트만", marks=True)


def test_a_paywalled_post_is_found_by_its_public_part_and_its_title(client, paid_post):
    assert "유료 회원 특집" in search(client, "반도체")
    assert "유료 회원 특집" in search(client, "특집")


def test_paid_text_is_never_matched_nor_quoted_for_an_anonymous_reader(client, paid_post):
    html = search(client, "양자컴퓨터")
    assert "유료 회원 특집" not in html and "결과가 없어요" in html
    html = search(client, "반도체")
    assert "양자" not in html and "비밀" not in html and "숨겨진" not in html


def test_a_paid_post_without_a_divider_is_found_only_by_its_title(client, make_post):
    make_post(title="멤버 전용 글", body="전부 유료인 본문 메타버스", visibility="paid")
    assert "멤버 전용 글" in search(client, "멤버")
    html = search(client, "메타버스")
    assert "멤버 전용 글" not in html
    assert "메타버스</mark>" not in search(client, "메타버스", marks=True)


def test_a_signed_in_subscriber_finds_a_subscribers_post_by_its_whole_text(
    client, make_post, reader, sign_in
):
    make_post(title="구독자 전용", body=PAYWALLED, visibility="subscribers")
    assert "구독자 전용" not in search(client, "양자컴퓨터")
    sign_in(client, reader)
    assert "구독자 전용" in search(client, "양자컴퓨터")
    assert "<mark>양자컴퓨터</mark>" in search(client, "양자컴퓨터", marks=True)


def test_a_signed_in_free_reader_never_sees_a_paid_posts_paid_text(
    client, paid_post, reader, sign_in
):
    sign_in(client, reader)
    assert "유료 회원 특집" not in search(client, "양자컴퓨터")


def test_drafts_and_other_publications_posts_are_never_found(client, make_post, other_publication):
    make_post(title="초안 반도체", publish=False)
    make_post(title="남의 반도체", pub=other_publication)
    html = search(client, "반도체")
    assert "초안 반도체" not in html and "남의 반도체" not in html


def test_the_snippet_is_escaped_before_it_is_marked(client, make_post):
    make_post(title="<b>굵은</b> 제목", body="코드 `<script>alert(1)</script>` 반도체")
    html = search(client, "반도체", marks=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;굵은&lt;/b&gt;" in html


BAD_QUERIES = [
    "",
    " ",
    "가",
    "a",
    "반" * 10_000,
    "x" * 10_240,
    '"',
    '"반도체',
    "*",
    "반도*",
    "NEAR",
    "NEAR(반도체 이야기, 2)",
    "OR",
    "AND",
    "반도체 OR",
    "AND 반도체",
    "-",
    "-반도체",
    "^",
    "^반도체",
    "(",
    "((반도체",
    ")",
    "반도체)",
    "{t_title}: 반도체",
    "t_body:반도체",
    "'; DROP TABLE posts_post; --",
    "' OR '1'='1",
    "1; SELECT * FROM auth_user",
    "반도체\x00이야기",
    "\x01\x02\x1b[31m",
    "\u202e반도체",
    "\ufffd",
    "😀 반도체",
    "':* & !",
    "a:*A | b",
    "반도체 " * 500,
]


@pytest.mark.parametrize("q", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_bad_queries_give_results_or_nothing_found_never_an_error(client, make_post, q):
    make_post(title="반도체 이야기", body="반도체 이야기를 합니다")
    started = time.monotonic()
    html = search(client, q)
    assert time.monotonic() - started < 5  # a hang bound, not a speed test
    if q.strip():
        assert "반도체 이야기" in html or "결과가 없어요" in html


def test_invalid_utf8_in_the_query_string_is_nothing_found_not_an_error(client, make_post):
    make_post(title="반도체 이야기")
    for raw in ["%FF%FE", "%C3%28", "%ED%A0%80", "%E1%80", "%F8%88%80%80%80"]:
        response = client.get("/search/?q=" + raw)
        assert response.status_code == 200, raw
    response = client.get("/search/?q=%EB%B0%98%EB%8F%84%EC%B2%B4%FF")  # 반도체 + a bad byte
    assert response.status_code == 200
    assert "<mark>반도체</mark> 이야기" in response.content.decode()


def test_a_repeated_q_parameter_uses_one_value(client, make_post):
    make_post(title="반도체 이야기")
    response = client.get("/search/?q=반도체&q=(&q=반도체")
    assert response.status_code == 200


def test_the_search_page_counts_no_query_per_result(
    client, make_post, django_assert_max_num_queries
):
    for n in range(8):
        make_post(title=f"반도체 {n}", slug=f"chip-{n}", category="테크")
    with django_assert_max_num_queries(12):
        assert search(client, "반도체").count('class="post-card search-result"') == 8
    assert Post.objects.count() == 8
