from django.urls import path

from hanji.studio.views import (
    analytics,
    auth,
    editing,
    home,
    outbox,
    posts,
    search,
    sends,
    settings,
    signup,
    subscribers,
)

app_name = "studio"

P = "p/<slug:slug>/"

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    # signing in
    path("login/", auth.sign_in, name="login"),
    path("login/code/", auth.sign_in_code, name="login_code"),
    path("login/link/", auth.sign_in_link, name="login_link"),
    path("login/link/<str:token>/", auth.sign_in_link_use, name="login_link_use"),
    path("logout/", auth.sign_out, name="logout"),
    path("account/", auth.account, name="account"),
    path("signup/", signup.sign_up, name="signup"),
    path("new/", signup.publication_new, name="publication_new"),
    path("invitation/<int:publication_id>/<str:token>/", signup.invitation, name="invitation"),
    # the instance's outbox (superusers): every email, the studio's own included
    path("outbox/", outbox.instance_outbox, name="instance_outbox"),
    path("outbox/<int:pk>/", outbox.instance_outbox_message, name="instance_outbox_message"),
    path(
        "outbox/<int:pk>/html/",
        outbox.instance_outbox_message,
        {"part": "html"},
        name="instance_outbox_message_html",
    ),
    path(
        "outbox/<int:pk>/raw/",
        outbox.instance_outbox_message,
        {"part": "raw"},
        name="instance_outbox_message_raw",
    ),
    # one publication
    path(P, home.publication_home, name="home"),
    path(P + "posts/", posts.post_list, name="posts"),
    path(P + "search/", search.post_search, name="post_search"),
    path(P + "analytics/", analytics.publication_analytics, name="analytics"),
    path(
        P + "analytics/<slug:table>.csv",
        analytics.publication_analytics_csv,
        name="analytics_csv",
    ),
    path(P + "posts/<int:post_id>/analytics/", analytics.post_analytics, name="post_analytics"),
    path(
        P + "posts/<int:post_id>/analytics.csv",
        analytics.post_analytics_csv,
        name="post_analytics_csv",
    ),
    path(
        P + "posts/<int:post_id>/links.csv",
        analytics.post_links_csv,
        name="post_links_csv",
    ),
    path(P + "posts/new/", posts.post_new, name="post_new"),
    path(P + "posts/<int:post_id>/", posts.post_edit, name="post_edit"),
    path(P + "posts/<int:post_id>/autosave/", posts.post_autosave, name="post_autosave"),
    path(P + "posts/<int:post_id>/delete/", posts.post_delete, name="post_delete"),
    path(P + "posts/<int:post_id>/send/", posts.post_send, name="post_send"),
    path(P + "posts/<int:post_id>/test/", editing.test_send, name="post_test"),
    path(P + "posts/<int:post_id>/revisions/", posts.post_revisions, name="post_revisions"),
    path(
        P + "posts/<int:post_id>/revisions/<int:revision_id>/restore/",
        posts.revision_restore,
        name="revision_restore",
    ),
    path(P + "posts/<int:post_id>/preview/", editing.preview, name="preview"),
    path(P + "posts/<int:post_id>/preview/web/", editing.preview_web, name="preview_web"),
    path(P + "posts/<int:post_id>/preview/email/", editing.preview_email, name="preview_email"),
    path(P + "editor/image/", editing.upload_image, name="upload_image"),
    path(P + "editor/card/", editing.card, name="card"),
    path(P + "editor/markdown/", editing.markdown, name="markdown"),
    path(P + "recipients/", posts.recipient_count, name="recipients"),
    # sends
    path(P + "sends/", sends.send_list, name="sends"),
    path(P + "sends/<int:send_id>/", sends.send_detail, name="send_detail"),
    path(P + "sends/<int:send_id>/progress/", sends.send_progress, name="send_progress"),
    path(P + "sends/<int:send_id>/<str:action>/", sends.send_control, name="send_control"),
    # subscribers
    path(P + "subscribers/", subscribers.subscriber_list, name="subscribers"),
    path(P + "subscribers/add/", subscribers.subscriber_add, name="subscriber_add"),
    path(P + "subscribers/export/", subscribers.subscriber_export, name="subscriber_export"),
    path(P + "subscribers/segments/", subscribers.segments, name="segments"),
    path(P + "subscribers/<int:subscriber_id>/", subscribers.subscriber_detail, name="subscriber"),
    path(P + "import/", subscribers.import_start, name="import_start"),
    path(P + "import/file/<str:name>/", subscribers.import_map, name="import_map"),
    path(P + "import/<int:import_id>/", subscribers.import_detail, name="import_detail"),
    path(
        P + "import/<int:import_id>/progress/", subscribers.import_progress, name="import_progress"
    ),
    path(
        P + "import/<int:import_id>/rejected.csv",
        subscribers.import_rejections,
        name="import_rejections",
    ),
    # the publication's outbox
    path(P + "outbox/", outbox.outbox, name="outbox"),
    path(P + "outbox/<int:pk>/", outbox.outbox_message, name="outbox_message"),
    path(
        P + "outbox/<int:pk>/html/",
        outbox.outbox_message,
        {"part": "html"},
        name="outbox_message_html",
    ),
    path(
        P + "outbox/<int:pk>/raw/",
        outbox.outbox_message,
        {"part": "raw"},
        name="outbox_message_raw",
    ),
    # settings
    path(P + "settings/", settings.settings_home, name="settings"),
    path(P + "settings/business/", settings.business, name="settings_business"),
    path(P + "settings/engagement/", settings.engagement, name="settings_engagement"),
    path(P + "settings/sending/", settings.sending, name="settings_sending"),
    path(P + "settings/newsletters/", settings.newsletters, name="newsletters"),
    path(P + "settings/domains/", settings.domains, name="domains"),
    path(P + "settings/team/", settings.team, name="team"),
    path(P + "settings/delete/", settings.danger, name="danger"),
]
