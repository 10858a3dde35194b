"""Local stand-ins for Stripe's and PortOne's APIs on 127.0.0.1, following their documented
requests and responses (Stripe: form-encoded bodies, Bearer keys, `object` fields; PortOne
V2: JSON, `Authorization: PortOne <secret>`, typed errors), with the state a test needs, and
webhook signing as each provider signs (Stripe-Signature; Standard Webhooks)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

STRIPE_KEY = "sk_test_hanji_fake"
STRIPE_WEBHOOK_SECRET = "whsec_stripe_test_secret"
PORTONE_SECRET = "portone-api-secret-test"
PORTONE_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"portone-webhook-test-secret-32b!").decode()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part, following in zip(parts, parts[1:] + [None], strict=False):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


class _Server:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    fake: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs
    disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms ACK wait)

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body, headers: dict | None = None) -> None:
        html = isinstance(body, str)
        data = body.encode() if html else json.dumps(body).encode()
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault(
            "Content-Type", "text/html; charset=utf-8" if html else "application/json"
        )
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self._route("GET", b"")

    def do_POST(self) -> None:
        self._route("POST", self._body())

    def do_DELETE(self) -> None:
        self._route("DELETE", self._body())

    def _route(self, method: str, body: bytes) -> None:
        path, query = urlsplit(self.path).path, urlsplit(self.path).query
        if path.startswith(("/pay/", "/browser-sdk")):  # the provider's own page or script
            self._answer(*self.fake.page(method, path, body))
            return
        with self.fake.lock:
            self.fake.requests.append((method, path))
            self.fake.query = query
            status, answer = self.fake.handle(method, path, body, self.headers)
        self._answer(status, answer)


class FakeStripe(_Server):
    """Customers, Checkout Sessions, Subscriptions and billing-portal sessions."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)
        self.sessions: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.coupons: dict[str, dict] = {}
        self.query = ""  # the query string of the request being answered

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self.ids):06d}"

    def handle(self, method, path, body, headers):
        if headers.get("Authorization") != f"Bearer {STRIPE_KEY}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
        params = _nest(parse_qsl(body.decode())) if body else {}
        if method == "POST" and path == "/v1/checkout/sessions":
            sid = self._id("cs_test")
            session = {
                "id": sid,
                "object": "checkout.session",
                "url": f"{self.url}/pay/{sid}",
                "mode": params.get("mode"),
                "customer": None,
                "subscription": None,
                "client_reference_id": params.get("client_reference_id"),
                "customer_email": params.get("customer_email"),
                "success_url": params.get("success_url"),
                "params": params,
                "status": "open",
            }
            self.sessions[sid] = session
            return 200, session
        if method == "GET" and (match := re.fullmatch(r"/v1/checkout/sessions/(\w+)", path)):
            found = self.sessions.get(match[1])
            return (200, {k: v for k, v in found.items() if k != "params"}) if found else (404, {})
        if match := re.fullmatch(r"/v1/subscriptions/([\w]+)", path):
            sub = self.subscriptions.get(match[1])
            if sub is None:
                return 404, {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": f"No such subscription: '{match[1]}'",
                    }
                }
            if method == "POST":
                if "cancel_at_period_end" in params:
                    sub["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
                if "items" in params:
                    price = params["items"][0]["price_data"]
                    sub["items"]["data"][0]["price"]["recurring"]["interval"] = price["recurring"][
                        "interval"
                    ]
                    sub["items"]["data"][0]["price"]["unit_amount"] = int(price["unit_amount"])
            expand = _nest(parse_qsl(self.query)).get("expand") or []
            if "discounts" not in expand:  # each discount as its id unless expanded
                return 200, {**sub, "discounts": [d["id"] for d in sub.get("discounts", [])]}
            return 200, sub
        if method == "POST" and path == "/v1/coupons":
            coupon = {"id": self._id("coupon"), "object": "coupon", **params}
            self.coupons[coupon["id"]] = coupon
            return 200, coupon
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return 200, {
                "id": self._id("bps"),
                "object": "billing_portal.session",
                "url": f"{self.url}/portal/{params.get('customer')}",
                "return_url": params.get("return_url"),
            }
        return 404, {"error": {"type": "invalid_request_error", "message": f"{method} {path}"}}

    # --- what happens at Stripe when the reader pays (test helpers) ---------------------

    def page(self, method: str, path: str, body: bytes = b""):
        """Stripe Checkout's hosted page, stubbed: one button that pays."""
        session_id = path.rsplit("/", 1)[1]
        session = self.sessions.get(session_id)
        if session is None:
            return 404, "<h1>No such session</h1>"
        if method == "POST":
            self.pay(session_id)
            return 303, "", {"Location": session["success_url"]}
        return 200, (
            f'<!doctype html><title>Stripe Checkout (test)</title><form method="post">'
            f'<p>{session["customer_email"]}</p><button id="stripe-pay">Pay</button></form>'
        )

    def pay(self, session_id: str, *, status: str = "active") -> dict:
        """The reader paid on Stripe's page: a customer and a subscription exist now.
        Returns the checkout.session.completed event's object."""
        with self.lock:
            session = self.sessions[session_id]
            params = session["params"]
            price = params["line_items"][0]["price_data"]
            if session["mode"] == "payment":  # a one-time payment (a gift)
                session.update(
                    status="complete",
                    payment_status="paid",
                    amount_total=int(price["unit_amount"]),
                    currency=price["currency"],
                )
                return dict(session)
            trial = int(params.get("subscription_data", {}).get("trial_period_days", 0) or 0)
            days = trial or (365 if price["recurring"]["interval"] == "year" else 30)
            end = int(time.time()) + days * 86400
            sub_id = self._id("sub")
            self.subscriptions[sub_id] = {
                "id": sub_id,
                "object": "subscription",
                "status": "trialing" if trial else status,
                "customer": self._id("cus"),
                "cancel_at_period_end": False,
                "metadata": params.get("subscription_data", {}).get("metadata", {}),
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": self._id("si"),
                            "object": "subscription_item",
                            "current_period_end": end,
                            "price": {
                                "id": self._id("price"),
                                "object": "price",
                                "product": self._id("prod"),
                                "unit_amount": int(price["unit_amount"]),
                                "currency": price["currency"],
                                "recurring": {"interval": price["recurring"]["interval"]},
                            },
                        }
                    ],
                },
            }
            self.subscriptions[sub_id]["discounts"] = [
                self._discount(sub_id, found["coupon"]) for found in params.get("discounts", [])
            ]
            session.update(
                status="complete",
                subscription=sub_id,
                customer=self.subscriptions[sub_id]["customer"],
            )
            return dict(session)

    def _discount(self, sub_id: str, coupon_id: str) -> dict:
        """A coupon applied to a subscription: "repeating" ones end after their months."""
        coupon = self.coupons[coupon_id]
        start = int(time.time())
        months = int(coupon.get("duration_in_months") or 0)
        repeating = coupon.get("duration") == "repeating"
        return {
            "id": self._id("di"),
            "object": "discount",
            "source": {"type": "coupon", "coupon": coupon_id},
            "subscription": sub_id,
            "start": start,
            "end": start + months * 30 * 86400 if repeating else None,
        }

    def end_discounts(self, sub_id: str) -> dict:
        """What Stripe does when a coupon's months are over: the discount leaves the
        subscription (customer.subscription.updated says so). Returns the event's object."""
        with self.lock:
            sub = self.subscriptions[sub_id]
            ended = sub["discounts"]
            sub["discounts"] = []
            return {**sub, "previous_attributes": {"discounts": [d["id"] for d in ended]}}

    def set_status(self, sub_id: str, status: str, **changes) -> dict:
        with self.lock:
            self.subscriptions[sub_id].update(status=status, **changes)
            return dict(self.subscriptions[sub_id])

    @staticmethod
    def event(kind: str, obj: dict, event_id: str | None = None) -> bytes:
        return json.dumps(
            {
                "id": event_id
                or f"evt_{hashlib.md5(json.dumps(obj, sort_keys=True).encode() + kind.encode()).hexdigest()[:16]}",
                "object": "event",
                "type": kind,
                "created": int(time.time()),
                "data": {"object": obj},
            }
        ).encode()

    @staticmethod
    def sign(payload: bytes, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None) -> str:
        at = int(time.time()) if at is None else at
        mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={at},v1={mac}"


class FakePortOne(_Server):
    """Payments by billing key and payment lookups (PortOne V2 REST API)."""

    def __init__(self) -> None:
        super().__init__()
        self.payments: dict[str, dict] = {}
        self.failing_keys: set[str] = set()
        self.charged: dict[str, int] = {}  # payment id -> how many times money moved
        self.tamper: dict[str, int] = {}  # payment id -> the amount the PG "actually" took
        self.billing_keys: dict[str, dict] = {}  # issued by the browser SDK stub

    def handle(self, method, path, body, headers):
        if headers.get("Authorization") != f"PortOne {PORTONE_SECRET}":
            return 401, {"type": "UNAUTHORIZED", "message": "인증 정보가 올바르지 않습니다."}
        if match := re.fullmatch(r"/payments/([^/]+)/billing-key", path):
            return self._pay(match[1], json.loads(body))
        if match := re.fullmatch(r"/billing-keys/([^/]+)", path):
            return self._billing_key(method, unquote(match[1]))
        if method == "GET" and (match := re.fullmatch(r"/payments/([^/]+)", path)):
            payment = self.payments.get(match[1])
            if payment is None:
                return 404, {"type": "PAYMENT_NOT_FOUND", "message": "결제 건이 존재하지 않습니다."}
            return 200, payment
        return 404, {"type": "INVALID_REQUEST", "message": f"{method} {path}"}

    def _billing_key(self, method: str, key: str):
        """GET /billing-keys/{billingKey} (the key's info) and DELETE (PortOne forgets it)."""
        info = self.billing_keys.get(key)
        if info is None:
            return 404, {"type": "BILLING_KEY_NOT_FOUND", "message": "빌링키가 존재하지 않습니다."}
        if method == "GET":
            return 200, info
        if method != "DELETE":
            return 404, {"type": "INVALID_REQUEST", "message": f"{method} billing key"}
        if info["status"] == "DELETED":
            return 409, {
                "type": "BILLING_KEY_ALREADY_DELETED",
                "message": "이미 삭제된 빌링키입니다.",
            }
        info.update(status="DELETED", deletedAt=_now_iso())
        return 200, {"deletedAt": info["deletedAt"]}

    def issue_billing_key(
        self, customer_id: str, issue_id: str = "", store_id: str = "store-test"
    ) -> str:
        """What requestIssueBillingKey does at PortOne when the card is accepted."""
        key = f"billing-key-{len(self.billing_keys) + 1}"
        self.billing_keys[key] = {
            "status": "ISSUED",
            "billingKey": key,
            "merchantId": "merchant-1",
            "storeId": store_id,
            "channels": [
                {
                    "type": "TEST",
                    "id": "channel-1",
                    "key": "channel-key-test",
                    "name": "토스페이먼츠 테스트",
                    "pgProvider": "TOSSPAYMENTS",
                    "pgMerchantId": "tosstest",
                }
            ],
            "customer": {"id": customer_id},
            "issueId": issue_id,
            "requestedAt": _now_iso(),
            "issuedAt": _now_iso(),
        }
        return key

    def _pay(self, payment_id: str, request: dict):
        found = self.payments.get(payment_id)
        if found and found["status"] == "PAID":
            return 409, {"type": "ALREADY_PAID", "message": "이미 결제가 완료된 결제 건입니다."}
        if self.billing_keys.get(request["billingKey"], {}).get("status") == "DELETED":
            return 409, {
                "type": "BILLING_KEY_ALREADY_DELETED",
                "message": "이미 삭제된 빌링키입니다.",
            }
        total = request["amount"]["total"]
        base = {
            "id": payment_id,
            "transactionId": f"tx-{payment_id}",
            "merchantId": "merchant-1",
            "storeId": "store-test",
            "version": "V2",
            "requestedAt": _now_iso(),
            "updatedAt": _now_iso(),
            "statusChangedAt": _now_iso(),
            "orderName": request["orderName"],
            "currency": request["currency"],
            "customer": {"id": (request.get("customer") or {}).get("id", "")},
            "billingKey": request["billingKey"],
            "channel": {"type": "TEST", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "tosstest"},
            "origin": {"platformType": "API", "ipAddress": "127.0.0.1"},
        }
        if request["billingKey"] in self.failing_keys:
            self.payments[payment_id] = {
                **base,
                "status": "FAILED",
                "failedAt": _now_iso(),
                "amount": self._amount(total, 0),
                "failure": {"reason": "카드 한도 초과", "pgCode": "LIMIT", "pgMessage": "한도초과"},
            }
            return 400, {
                "type": "PG_PROVIDER",
                "message": "카드 한도 초과",
                "pgCode": "LIMIT",
                "pgMessage": "한도초과",
            }
        paid = self.tamper.get(payment_id, total)
        self.charged[payment_id] = self.charged.get(payment_id, 0) + 1
        self.payments[payment_id] = {
            **base,
            "status": "PAID",
            "paidAt": _now_iso(),
            "pgTxId": f"pg-{payment_id}",
            "amount": self._amount(paid, paid),
            "disputes": [],
        }
        return 200, {"payment": {"pgTxId": f"pg-{payment_id}", "paidAt": _now_iso()}}

    def page(self, method: str, path: str, body: bytes = b""):
        """PortOne's browser SDK, stubbed: requestIssueBillingKey answers with a billing key
        PortOne now holds for the customer, at once (the card window is PortOne's, not ours
        to test)."""
        cors = {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}
        if method == "POST" and path == "/browser-sdk/issue":
            request = json.loads(body or b"{}")
            with self.lock:
                key = self.issue_billing_key(
                    str((request.get("customer") or {}).get("customerId", "")),
                    str(request.get("issueId", "")),
                    str(request.get("storeId", "")),
                )
            return 200, json.dumps({"billingKey": key}), cors
        if method == "POST" and path.startswith("/browser-sdk/pay/"):
            # What PortOne's payment window does when the reader pays: the payment exists.
            payment_id = path.rsplit("/", 1)[1]
            with self.lock:
                self.record_paid(payment_id, int(body or b"0"), "KRW")
            return (
                200,
                "{}",
                {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
            )
        script = (
            "window.PortOne = {requestIssueBillingKey: function (params) {"
            " window.__portoneParams = params;"
            f" return fetch('{self.url}/browser-sdk/issue', {{method: 'POST',"
            " body: JSON.stringify(params)}).then(function (r) { return r.json(); }); },"
            " requestPayment: function (params) { window.__portoneParams = params;"
            f" return fetch('{self.url}/browser-sdk/pay/' + params.paymentId,"
            " {method: 'POST', body: String(params.totalAmount)})"
            " .then(function () { return {paymentId: params.paymentId}; }); }};"
        )
        return 200, script, {"Content-Type": "application/javascript"}

    def record_paid(self, payment_id: str, amount: int, currency: str) -> None:
        """A payment made in PortOne's own window (one-time card payment)."""
        self.charged[payment_id] = self.charged.get(payment_id, 0) + 1
        self.payments[payment_id] = {
            "id": payment_id,
            "transactionId": f"tx-{payment_id}",
            "merchantId": "merchant-1",
            "storeId": "store-test",
            "version": "V2",
            "requestedAt": _now_iso(),
            "updatedAt": _now_iso(),
            "statusChangedAt": _now_iso(),
            "orderName": "gift",
            "currency": currency,
            "customer": {"id": ""},
            "status": "PAID",
            "paidAt": _now_iso(),
            "pgTxId": f"pg-{payment_id}",
            "disputes": [],
            "channel": {"type": "TEST", "pgProvider": "TOSSPAYMENTS", "pgMerchantId": "tosstest"},
            "origin": {"platformType": "PC", "ipAddress": "127.0.0.1"},
            "amount": self._amount(amount, amount),
        }

    @staticmethod
    def _amount(total: int, paid: int) -> dict:
        return {
            "total": total,
            "taxFree": 0,
            "vat": 0,
            "supply": total,
            "discount": 0,
            "paid": paid,
            "cancelled": 0,
            "cancelledTaxFree": 0,
        }

    @staticmethod
    def event(kind: str, payment_id: str) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "timestamp": _now_iso(),
                "data": {
                    "paymentId": payment_id,
                    "storeId": "store-test",
                    "transactionId": f"tx-{payment_id}",
                },
            }
        ).encode()

    @staticmethod
    def sign(
        payload: bytes,
        msg_id: str,
        secret: str = PORTONE_WEBHOOK_SECRET,
        at: datetime | None = None,
    ) -> dict[str, str]:
        from standardwebhooks import Webhook

        at = at or datetime.now(UTC)
        signature = Webhook(secret).sign(msg_id, at, payload.decode())
        return {
            "HTTP_WEBHOOK_ID": msg_id,
            "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
            "HTTP_WEBHOOK_SIGNATURE": signature,
        }


def a_day_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=1)
