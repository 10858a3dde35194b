"""A requests session whose connections pass hanji.core.addresses (for email-service APIs a
publication configured itself: its `api_url` is the publication's choice, not the operator's).

The check runs when urllib3 opens each connection, and the socket goes to the address that
was checked (TLS still verifies the name), so DNS rebinding cannot swap a private one in.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from hanji.core.addresses import FetchRefused, resolve


class _Pinned:
    def _new_conn(self):
        try:
            address = resolve(self._dns_host, self.port)
        except FetchRefused as refused:
            raise NewConnectionError(self, str(refused)) from None
        name, self._dns_host = self._dns_host, address
        try:
            return super()._new_conn()
        finally:
            self._dns_host = name


class _GuardedHTTPConnection(_Pinned, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Pinned, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def guard(session: requests.Session) -> requests.Session:
    """`session`, with every plain (non-proxy) connection checked and pinned."""
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
