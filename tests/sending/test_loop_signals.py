"""A stop signal ends sending in this process: the loop that got it drains and stops, and a
loop task queued behind it (the in-line backend runs them one after another) does not start,
so one SIGTERM is enough to stop a process that sends."""

from __future__ import annotations

import os
import signal

from hanji.sending import loop
from hanji.sending.models import Delivery


def test_a_sigterm_during_a_send_stops_every_loop_of_the_process(
    mail_to, make_post, make_subscribers, send_now, monkeypatch
):
    make_subscribers(6)
    monkeypatch.setattr(loop, "_signalled", False)
    # The worker's own handler stands behind ours, as under db_worker.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    runs: list[str] = []
    real_run = loop.SendLoop.run

    def run_and_signal(self):
        if not runs:
            monkeypatch.setattr(self, "_claim", _signal_then(self._claim))
        runs.append(real_run(self))
        return runs[-1]

    monkeypatch.setattr(loop.SendLoop, "run", run_and_signal)
    try:
        send = send_now(make_post())
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert runs and set(runs) == {"signal"}
    assert not Delivery.objects.filter(send=send, state="claimed").exists()
    # What was in flight went out; a send with nothing left is finished, not left sending.
    sent = Delivery.objects.filter(send=send, state="sent").count()
    assert send.state == ("sent" if sent == 6 else "sending"), (send.state, sent)


def _signal_then(claim):
    def claim_after_a_signal():
        os.kill(os.getpid(), signal.SIGTERM)
        return claim()

    return claim_after_a_signal
