"""A fast SMTP sink for benchmarks: accepts every message and discards it.

aiosmtpd parses each command through a generic state machine and tops out near 900
messages/s here; this one answers pipelined commands in bulk (one write per read), looks for
the end of data with bytes.find, and can run several processes on one port (SO_REUSEPORT).
It speaks just enough ESMTP for smtplib and Hanji: EHLO (PIPELINING, 8BITMIME, SIZE), MAIL,
RCPT, DATA, RSET, NOOP, QUIT.

    python -m bench._smtp_sink --port 2525 --processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import time
from multiprocessing.sharedctypes import Synchronized

EHLO = b"250-sink.local\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n250 SMTPUTF8\r\n"
END = b"\r\n.\r\n"


class SinkProtocol(asyncio.Protocol):
    def __init__(self, counter, first, last):
        self.counter = counter
        self.first = first
        self.last = last
        self.buffer = b""
        self.in_data = False
        self.local = 0

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 sink.local ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        replies = []
        position = 0
        while True:
            if self.in_data:
                # The terminator may start at the very beginning (an empty body after DATA).
                end = buffer.find(END, max(position - 2, 0))
                if end < 0:
                    # Keep only what could begin a terminator split across reads.
                    self.buffer = buffer[-4:] if len(buffer) - position >= 4 else buffer[position:]
                    if replies:
                        self.transport.write(b"".join(replies))
                    self._flush()
                    return
                position = end + len(END)
                self.in_data = False
                self.local += 1
                replies.append(b"250 2.0.0 Ok: queued\r\n")
                continue
            end = buffer.find(b"\r\n", position)
            if end < 0:
                break
            line = buffer[position:end]
            position = end + 2
            verb = line[:4].upper()
            if verb == b"DATA":
                self.in_data = True
                replies.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                # Data starts right after the command; a "." line may follow at once.
                position -= 2
            elif verb == b"EHLO":
                replies.append(EHLO)
            elif verb == b"QUIT":
                replies.append(b"221 2.0.0 Bye\r\n")
                self.transport.write(b"".join(replies))
                self.transport.close()
                self._flush()
                return
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP", b"HELO"):
                replies.append(b"250 2.0.0 Ok\r\n")
            else:
                replies.append(b"502 5.5.2 Error: command not recognized\r\n")
        self.buffer = buffer[position:]
        if replies:
            self.transport.write(b"".join(replies))
        self._flush()

    def _flush(self) -> None:
        if self.local:
            with self.counter.get_lock():
                now = time.time()
                if self.counter.value == 0:
                    self.first.value = now
                self.counter.value += self.local
                self.last.value = now
            self.local = 0

    def connection_lost(self, exc):
        self._flush()


def _serve(port: int, counter, first, last, ready) -> None:
    async def main():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(512)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SinkProtocol(counter, first, last), sock=sock)
        ready.set()
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


class Sink:
    """`processes` sink processes sharing one port and one message counter."""

    def __init__(self, port: int, processes: int = 1):
        self.port = port
        self.count: Synchronized = multiprocessing.Value("q", 0)
        self.first: Synchronized = multiprocessing.Value("d", 0.0)
        self.last: Synchronized = multiprocessing.Value("d", 0.0)
        self.processes: list[multiprocessing.Process] = []
        context = multiprocessing.get_context("fork")
        for _ in range(processes):
            ready = context.Event()
            process = context.Process(
                target=_serve, args=(port, self.count, self.first, self.last, ready), daemon=True
            )
            process.start()
            ready.wait(10)
            self.processes.append(process)

    @property
    def received(self) -> int:
        return self.count.value

    def reset(self) -> None:
        with self.count.get_lock():
            self.count.value = 0
            self.first.value = 0.0
            self.last.value = 0.0

    def rate(self) -> float:
        """Messages a second as the sink saw them: all it received, from the first message
        to the last (whoever sent them is timed the same way)."""
        with self.count.get_lock():
            received, span = self.count.value, self.last.value - self.first.value
        return received / span if span > 0 else 0.0

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    sink = Sink(args.port, args.processes)
    print(f"sink on 127.0.0.1:{args.port} ({args.processes} processes); Ctrl-C stops")
    try:
        while True:
            time.sleep(5)
            print(f"{sink.received} messages")
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
