"""The client address behind a reverse proxy: rate limits and view counting key on it."""

from __future__ import annotations

import os
import subprocess
import sys

from django.test import RequestFactory

from hanji.core.ratelimit import client_ip


def test_without_a_trusted_header_the_peer_address_is_the_client(settings):
    settings.HANJI_TRUSTED_PROXY_HEADER = ""
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="1.2.3.4")
    assert client_ip(request) == "10.0.0.5"  # a header a client sent is not believed


def test_behind_a_proxy_the_header_it_sets_is_the_client(settings):
    settings.HANJI_TRUSTED_PROXY_HEADER = "HTTP_X_REAL_IP"
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")
    assert client_ip(request) == "203.0.113.9"
    missing = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    assert client_ip(missing) == "127.0.0.1"


def test_the_operator_names_the_header_as_the_proxy_writes_it(tmp_path):
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="hanji.settings",
        HANJI_DATA_DIR=str(tmp_path),
        HANJI_TRUSTED_PROXY_HEADER="X-Real-IP",
    )
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.HANJI_TRUSTED_PROXY_HEADER)"
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert shown == "HTTP_X_REAL_IP"
