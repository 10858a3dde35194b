from django.urls import path

from hanji.site import views

app_name = "site"
urlpatterns = [
    path("", views.home, name="home"),
    path("archive/", views.archive, name="archive"),
    path("posts/<str:slug>/", views.post_detail, name="post"),
    path("category/<str:slug>/", views.category, name="category"),
    path("tag/<str:slug>/", views.tag, name="tag"),
    path("author/<str:slug>/", views.author, name="author"),
    path("search/", views.search, name="search"),
    path("rss/", views.rss, name="rss"),
    path("atom/", views.atom, name="atom"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots, name="robots"),
    path("terms/", views.legal_page, {"page": "terms"}, name="terms"),
    path("privacy/", views.legal_page, {"page": "privacy"}, name="privacy"),
    path("recurring-terms/", views.legal_page, {"page": "recurring-terms"}, name="recurring_terms"),
    path("faq/", views.legal_page, {"page": "faq"}, name="faq"),
]
