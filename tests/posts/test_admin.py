import pytest

from hanji.posts.models import Post

pytestmark = pytest.mark.django_db


def test_bodies_saved_through_the_admin_are_sanitized(admin_client, publication):
    response = admin_client.post(
        "/admin/posts/post/add/",
        {
            "publication": publication.pk,
            "title": "관리자 글",
            "slug": "admin-post",
            "body": '<p onclick="x()">안녕</p><script>alert(1)</script>',
            "status": "draft",
            "visibility": "public",
            "view_count": 0,
            "like_count": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(slug="admin-post")
    assert post.body == "<p>안녕</p>"
    assert post.excerpt == "안녕"
