"""The sending loop that runs inside one worker task: claim → check → send → record.

1. Claim a batch of due deliveries (one conditional UPDATE, with a lease).
2. Right before handing a chunk to the transport, re-read those subscribers: anyone no longer
   active or subscribed is skipped (an unsubscribe during a send stops their mail); night-time
   advertising without night consent is held until 08:00 Asia/Seoul.
3. Fill the placeholders and hand the chunk to the transport's connection threads.
4. Record outcomes as they come back (sent rows in one UPDATE per flush).
5. Heartbeat, renew leases, take over lapsed claims of dead workers; stop on pause, cancel,
   a halting transport error, too many refusals, or SIGTERM (then drain: in-flight messages
   finish and are recorded, unsent claims are released).
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from hanji.sending import claims, clock, conf, dkim, events, queue, transitions
from hanji.sending.compose import MessageTemplate, date_header, sender_domain
from hanji.sending.models import Send, SendState, sending_settings
from hanji.sending.personalize import Personalizer, message_id
from hanji.sending.ratelimit import RateLimiter, warmup_limit
from hanji.sending.recipients import still_receiving
from hanji.sending.transports import (
    DOWN,
    FAILED,
    HALT,
    HELD,
    RETRY,
    SENT,
    Dispatcher,
    OutMessage,
    transport_for,
)

logger = logging.getLogger(__name__)
SEOUL = ZoneInfo("Asia/Seoul")
HEARTBEAT = 0.5  # also how soon a loop notices a pause or a cancel


def night_until(now: datetime) -> datetime | None:
    """The end of the night hold (08:00 Seoul) if `now` is between 21:00 and 08:00 there."""
    local = now.astimezone(SEOUL)
    if dtime(8) <= local.time() < dtime(21):
        return None
    day = local.date() + (timedelta(days=1) if local.time() >= dtime(21) else timedelta())
    return datetime.combine(day, dtime(8), SEOUL)


def night_starts(now: datetime) -> datetime:
    """The next 21:00 Seoul after `now`: from then on, held messages may no longer leave."""
    local = now.astimezone(SEOUL)
    day = local.date() + (timedelta(days=1) if local.time() >= dtime(21) else timedelta())
    return datetime.combine(day, dtime(21), SEOUL)


# Set once SIGTERM or SIGINT reached a loop of this process (see SendLoop._signals).
_signalled = False


class SendLoop:
    def __init__(self, send_id: int):
        self.send_id = send_id
        host = socket.gethostname()[:16]
        self.loop_id = f"{host}-{os.getpid()}-{secrets.token_hex(3)}"
        self.claim_number = 0
        self.cursor = 0  # the highest delivery id this loop claimed (keyset)
        self.ready: deque[claims.Claimed] = deque()
        self.in_flight: dict[int, claims.Claimed] = {}
        self.stopping = ""
        self.draining = False
        self.down_until = 0.0
        self.down_streak = 0
        self.down_since = 0.0
        self.recent: deque[bool] = deque(maxlen=max(200, conf.get("PAUSE_FAILURE_MIN")))
        self.last_refusal = ""
        self.sent = 0
        self.unrecorded: list = []
        self.unrecorded_since = 0.0
        # Deliveries this loop held (the night hold): one that comes back to the same loop
        # would be held again at once, and the loop would spin (see _claim).
        self.held: set[int] = set()

    # --- setup ---------------------------------------------------------------------------
    def _load(self) -> bool:
        send = Send.objects.select_related("publication", "newsletter").get(pk=self.send_id)
        if send.state != SendState.SENDING or not send.compiled:
            return False
        self.send = send
        options = sending_settings(send.publication_id)
        self.options = options
        self.template = MessageTemplate(send.compiled)
        self.personalizer = Personalizer(send, options.unsubscribe_mailto)
        self.domain = sender_domain(send)
        self.transport = transport_for(options)
        self.limiter = RateLimiter(
            self.transport, self.domain, warmup_limit(options.warmup_started_at)
        )
        self.night_hold = send.is_advertising and options.night_hold
        # Held messages stop this long before 21:00: a chunk handed to a connection just
        # before it still has to go through the SMTP transaction or the API call.
        self.night_margin = timedelta(seconds=conf.get("NIGHT_MARGIN_SECONDS"))
        self.lease = conf.get("LEASE_SECONDS")
        self.batch = conf.get("BATCH_SIZE")
        return True

    def _signals(self):
        """Chain our SIGTERM/SIGINT handler before the worker's own (which, while a task
        runs, only stops it from taking the next task)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}

        def handler(signum, frame):
            global _signalled
            _signalled = True
            old = previous.get(signum)
            if self.draining and not callable(old):
                # A second signal with no worker behind us: stop now, the default way.
                for sig, value in previous.items():
                    signal.signal(sig, value)
                os.kill(os.getpid(), signum)
                return
            self.draining = True
            self.stopping = self.stopping or "signal"
            if callable(old):
                old(signum, frame)

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, handler)
        return previous

    # --- the loop ------------------------------------------------------------------------
    def run(self) -> str:
        if _signalled:
            # This process was asked to stop while an earlier loop ran: a loop task queued
            # behind it (in-line backends run them one after another) must not start.
            return "signal"
        if not self._load():
            return "not sending"
        previous = self._signals()
        self.dispatcher = Dispatcher(
            self.transport, self.template, dkim.signer_for(self.options, self.domain)
        )
        self.next_beat = self.next_takeover = 0.0
        self.slice_end = (
            time.monotonic() + conf.get("SLICE_SECONDS") if queue.defer_supported() else None
        )
        try:
            while self._step():
                pass
        finally:
            self._collect(self.dispatcher.close())
            self._flush(force=True)
            claims.release(self.send_id, self.loop_id)
            for sig, old in previous.items():
                signal.signal(sig, old)
        if self.draining or self.stopping == "slice":
            self._continue_later()
        logger.info(
            "send %s loop %s stopped (%s), %s sent",
            self.send_id,
            self.loop_id,
            self.stopping or "done",
            self.sent,
        )
        return self.stopping or "done"

    def _step(self) -> bool:
        """One turn of the loop: keep time, collect results, hand out more; False to stop."""
        now = time.monotonic()
        if self.slice_end is not None and now > self.slice_end and not self.stopping:
            self.stopping = "slice"
        if now >= self.next_beat:
            self._heartbeat()
            self.next_beat = now + HEARTBEAT
        if now >= self.next_takeover and not self.stopping:
            self._take_over()
            self.next_takeover = now + max(1.0, min(10.0, self.lease / 4))
        waiting = self.dispatcher.in_flight > 0
        self._collect(self.dispatcher.results(timeout=0.02 if waiting else 0))
        if self.stopping:
            self._flush(force=True)
            return self.dispatcher.in_flight > 0
        if self.down_until > time.monotonic():
            if time.monotonic() - self.down_since > conf.get("DOWN_SECONDS"):
                self.stopping = "transport down"
            self._collect(self.dispatcher.results(timeout=0.1))
            return True
        room = self.dispatcher.room
        # Refill in halves: fewer, larger chunks (one recipient check each) while the
        # connections still have half the queue to work on.
        if room <= 0 or (self.dispatcher.in_flight and room < self.dispatcher.capacity // 2):
            return True
        if not self.ready and not self._claim():
            if self.dispatcher.in_flight or self.stopping:
                return True
            self._flush(force=True)
            return not self._nothing_due()
        self._hand_out(room)
        return True

    def _hand_out(self, room: int) -> None:
        """Give the connections as many ready rows as the rate limit allows."""
        granted = self.limiter.acquire(min(room, len(self.ready)))
        if granted == 0:
            if self.limiter.wait > conf.get("IDLE_SECONDS"):
                self.stopping = "rate limit"
            else:
                time.sleep(min(self.limiter.wait, 0.25))
            return
        self._submit([self.ready.popleft() for _ in range(granted)])

    # --- steps ---------------------------------------------------------------------------
    def _heartbeat(self) -> None:
        alive = Send.objects.filter(pk=self.send_id, state=SendState.SENDING).update(
            heartbeat_at=clock.now()
        )
        if not alive:
            self.stopping = self.stopping or "state"
            return
        claims.renew(self.send_id, self.loop_id, self.lease)

    def _tag(self) -> str:
        self.claim_number += 1
        return f"{self.loop_id}:{self.claim_number}"

    def _claim(self) -> bool:
        rows = claims.claim(self.send_id, self._tag(), self.batch, self.lease, after=self.cursor)
        if not rows and self.cursor:
            # Back to the start once: rows retried after a backoff sit below the cursor.
            self.cursor = 0
            rows = claims.claim(self.send_id, self._tag(), self.batch, self.lease)
        if rows:
            self.cursor = rows[-1].id
        again = [r.id for r in rows if r.id in self.held]
        if again:
            # A row this loop held is due again already: its clock and the claim's disagree,
            # or its hold ended while the loop ran. Either way it is work for later: give the
            # rows back and stop (the watcher, or the periodic job, wakes a fresh loop) rather
            # than hold and claim the same rows again without end.
            claims.release(self.send_id, self.loop_id, ids=[r.id for r in rows])
            logger.info("send %s: %s held deliveries due again, later", self.send_id, len(again))
            self.stopping = "later"
            return False
        self.ready.extend(rows)
        return bool(rows)

    def _take_over(self) -> None:
        rows = claims.claim(self.send_id, self._tag(), self.batch, self.lease, expired=True)
        if rows:
            logger.warning(
                "send %s: took over %s deliveries of a stopped worker", self.send_id, len(rows)
            )
            self.ready.extendleft(reversed(rows))

    def _nothing_due(self) -> bool:
        """Nothing could be claimed: finish the send, wait a little, or leave (True)."""
        left = claims.left(self.send_id)
        if left.pending == 0 and left.claimed == 0:
            if transitions.finish(self.send_id):
                logger.info("send %s finished", self.send_id)
            self.stopping = "done"
            return True
        now = clock.now()
        if left.claimed:
            # Another worker is sending these, or died holding them: wait for it or its lease.
            time.sleep(0.2)
            return False
        wait = (left.next_due - now).total_seconds() if left.next_due else 0
        if wait <= conf.get("IDLE_SECONDS"):
            time.sleep(max(0.05, min(wait, 0.5)))
            return False
        # Work due later (retries, the night hold, a daily limit): the watcher wakes it up.
        self.stopping = "later"
        return True

    def _submit(self, rows: list[claims.Claimed]) -> None:
        receiving = still_receiving([r.subscriber_id for r in rows], self.send.newsletter_id)
        now = clock.now()
        night = night_until(now + self.night_margin) if self.night_hold else None
        # Checked here and again where each chunk is handed to its connection: a chunk
        # checked at 20:59:50 may wait in the queue past 21:00.
        evening = None
        if self.night_hold and night is None:
            evening = night_starts(now) - self.night_margin
        messages, gone, held, unusable = [], [], [], []
        date = date_header()
        for row in rows:
            who = receiving.get(row.subscriber_id)
            if who is None:
                gone.append(row)
                continue
            if night and not who.night_consent:
                held.append(row)
                continue
            try:
                values = self.personalizer.values(who.id, who.email, who.name, date)
            except ValueError:
                unusable.append(row)
                continue
            envelope = self.personalizer.envelope(who.id, who.email)
            messages.append(
                OutMessage(
                    row.id, who.id, envelope.sender, who.email, "paid" if row.paid else "free",
                    values, message_id(self.send_id, who.id, self.domain),
                    None if who.night_consent else evening,
                )
            )  # fmt: skip
            self.in_flight[row.id] = row
        if gone or held or unusable:
            recorder = claims.Recorder(self.send_id)
            with transaction.atomic():
                if gone:
                    recorder.skipped(gone, "no longer subscribed")
                if unusable:
                    recorder.skipped(unusable, "address cannot be used in a header")
                if held:
                    recorder.hold(held, night, "held for the night (no night-time consent)")
                    self.held.update(r.id for r in held)
        self.dispatcher.submit(messages)

    def _collect(self, results) -> None:
        """Keep outcomes until a flush: sent rows are written together (one transaction for
        up to FLUSH_MESSAGES or FLUSH_SECONDS); anything else is written at once."""
        if not results:
            self._flush()
            return
        if not self.unrecorded:
            self.unrecorded_since = time.monotonic()
        self.unrecorded.extend(results)
        urgent = any(outcome.status != SENT for _message, outcome in results)
        self._flush(force=urgent)

    def _flush(self, force: bool = False) -> None:
        if not self.unrecorded:
            return
        if (
            force
            or len(self.unrecorded) >= conf.get("FLUSH_MESSAGES")
            or time.monotonic() - self.unrecorded_since >= conf.get("FLUSH_SECONDS")
        ):
            results, self.unrecorded = self.unrecorded, []
            self._record(results)

    def _record(self, results) -> None:
        if not results:
            return
        recorder = claims.Recorder(self.send_id)
        now = clock.now()
        sent, down, refused, held = [], [], [], []
        halt = ""
        for message, outcome in results:
            row = self.in_flight.pop(message.delivery_id)
            if outcome.status == SENT:
                sent.append((row, outcome.provider_id))
            elif outcome.status == HELD:
                held.append((row, message.leave_before))
            elif outcome.status in (DOWN, HALT):
                down.append((row, outcome))
                if outcome.status == HALT:
                    halt = outcome.detail
            else:
                refused.append((row, message, outcome))
        with transaction.atomic():
            if sent:
                recorder.sent(sent, now)
            for row, _message, outcome in refused:
                if outcome.status == RETRY:
                    if recorder.retry(row, outcome.code, outcome.detail, now):
                        self.recent.append(False)
                elif outcome.status == FAILED:
                    recorder.failed(row, outcome.code, outcome.detail)
                    events.refused(self.send, row.id, row.subscriber_id, outcome)
                    self.recent.append(True)
                    self.last_refusal = outcome.detail
            if down:
                wait = max((o.retry_after or 0) for _, o in down)
                recorder.requeue([r for r, _ in down], down[-1][1].detail, now)
            if held:
                morning = night_until(max(clock.now(), held[0][1]) + self.night_margin)
                reason = "held for the night (no night-time consent)"
                recorder.hold([r for r, _ in held], morning or now, reason)
                self.held.update(r.id for r, _ in held)
        self.recent.extend([False] * len(sent))
        self.sent += len(sent)
        if recorder.lost:
            logger.warning(
                "send %s: %s results came after another worker took the rows over",
                self.send_id,
                recorder.lost,
            )
        if sent and self.down_streak:
            self.down_streak = 0
            Send.objects.filter(pk=self.send_id).update(transport_error="", transport_error_at=None)
        if sent and not self.send.first_sent_at:
            self.send.first_sent_at = now
            Send.objects.filter(pk=self.send_id, first_sent_at__isnull=True).update(
                first_sent_at=now
            )
        if down:
            self._transport_down(down[-1][1].detail, wait)
        if halt:
            self._pause(halt)
        self._check_failures()

    def _transport_down(self, detail: str, retry_after: float) -> None:
        if not self.down_streak:
            self.down_since = time.monotonic()
        self.down_streak += 1
        delay = retry_after or min(30.0, 0.25 * 2 ** min(self.down_streak, 8))
        self.down_until = time.monotonic() + delay
        if self.down_streak == 1 or self.down_streak % 20 == 0:
            Send.objects.filter(pk=self.send_id).update(
                transport_error=detail[:300], transport_error_at=clock.now()
            )
            logger.warning(
                "send %s: transport failing (%s); waiting %.1fs", self.send_id, detail, delay
            )

    def _check_failures(self) -> None:
        minimum = conf.get("PAUSE_FAILURE_MIN")
        if len(self.recent) < minimum:
            return
        failures = sum(self.recent)
        if failures / len(self.recent) >= conf.get("PAUSE_FAILURE_RATIO"):
            with translation.override(self.send.publication.language):
                reason = gettext(
                    "Paused: %(failures)s of the last %(count)s messages were refused "
                    "(the last said: %(detail)s)"
                ) % {"failures": failures, "count": len(self.recent), "detail": self.last_refusal}
            self._pause(reason)

    def _pause(self, reason: str) -> None:
        transitions.pause(self.send_id, reason=reason)
        self.stopping = "paused"

    def _continue_later(self) -> None:
        """After a drain or at the end of a slice, queue a loop task so that whichever worker
        is free next continues."""
        left = claims.left(self.send_id)
        if not left.pending and not left.claimed:
            # The slice ended with the last rows in flight: nobody else would finish the send.
            if transitions.finish(self.send_id):
                logger.info("send %s finished", self.send_id)
            return
        if not queue.defer_supported():
            return  # tasks run in-line (tests): the caller decides what runs next
        if left.pending and Send.objects.filter(pk=self.send_id, state=SendState.SENDING).exists():
            queue.enqueue_loops(self.send_id, count=1)
