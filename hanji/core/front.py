"""The web server's front: idle and slow clients cost a coroutine, never a request thread.

granian speaks HTTP in Rust and calls `Front` (an RSGI application) on its event loop for each
request. Served as plain WSGI, granian hands a request to a Python thread before its body has
arrived, and Hanji has two such threads per process: a client that announces a megabyte and
sends seven bytes held one for ever, and granian's connection limit (which also counts idle
keep-alive connections) held the rest in the listen queue.

Here the body is read first, asynchronously, with an idle timeout and a size cap; only a
complete request takes one of the request threads, where Django (the WSGI application) runs
unchanged. Headers have granian's own read timeout (`hanji web` sets it), which also closes
keep-alive connections left idle that long.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

# A body may pause this long between two pieces before the request is refused (408). Real
# uploads, even over a slow phone network, send something every few hundred milliseconds.
BODY_IDLE_TIMEOUT = float(os.environ.get("HANJI_BODY_IDLE_TIMEOUT", "15"))
# Bodies larger than this are refused (413) before a byte is read. CSV imports of a million
# rows are ~50 MB; Django's own limits then apply to what fits.
MAX_BODY = int(os.environ.get("HANJI_MAX_BODY_MB", "256")) * 1024 * 1024
# Bodies up to this size are read in one piece; larger ones are spooled to a temporary file.
SMALL_BODY = 1024 * 1024
# A response body is gathered into one buffer up to this size, then streamed.
BUFFER_RESPONSE = 1024 * 1024

PLAIN = [("content-type", "text/plain; charset=utf-8"), ("connection", "close")]


class Refused(Exception):
    def __init__(self, status: int, message: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.message = message


class Front:
    """Serve a WSGI application over RSGI with THREADS request threads."""

    def __init__(self, application: Callable, threads: int) -> None:
        self.application = application
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hanji-request")

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            protocol.close(1003)  # no WebSockets here
            return
        try:
            body, length = await read_body(scope, protocol)
        except Refused as refused:
            protocol.response_bytes(refused.status, PLAIN, refused.message)
            return
        environ = wsgi_environ(scope, body, length)
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.pool, self.respond, environ)
        await answer.send(protocol, loop, self.pool)

    def respond(self, environ: dict) -> Answer:
        """Run the WSGI application in a request thread (called through the pool)."""
        started: list = []

        def start_response(status: str, headers: list, exc_info=None) -> Callable:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [int(status[:3]), [(str(k), str(v)) for k, v in headers]]
            return unsupported_write

        result = self.application(environ, start_response)
        try:
            if isinstance(result, FileWrapper) and (path := result.whole_file(started)):
                return Answer(*started, file=path, result=result)
            chunks, size, rest = [], 0, iter(result)
            for chunk in rest:
                if chunk:
                    chunks.append(chunk)
                    size += len(chunk)
                if size > BUFFER_RESPONSE:
                    return Answer(*started, chunks=chunks, rest=rest, result=result)
        except BaseException:
            close(result)
            raise
        close(result)
        return Answer(*started, chunks=chunks)


class Answer:
    """What the application answered: whole bytes, a file on disk, or chunks still to come."""

    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        chunks: list[bytes] | None = None,
        rest: Iterator[bytes] | None = None,
        file: str | None = None,
        result: Iterable | None = None,
    ) -> None:
        self.status, self.headers = status, headers
        self.chunks, self.rest, self.file, self.result = chunks or [], rest, file, result

    async def send(self, protocol: Any, loop: asyncio.AbstractEventLoop, pool) -> None:
        if self.file:
            protocol.response_file(self.status, self.headers, self.file)
            await loop.run_in_executor(pool, close, self.result)
        elif self.rest is None:
            protocol.response_bytes(self.status, self.headers, b"".join(self.chunks))
        else:
            await self.stream(protocol, loop, pool)

    async def stream(self, protocol: Any, loop: asyncio.AbstractEventLoop, pool) -> None:
        """A long answer (an export, a large file): each next piece is made in a request thread,
        and the thread is free while the client receives the previous one."""
        transport = protocol.response_stream(self.status, self.headers)
        try:
            for chunk in self.chunks:
                await transport.send_bytes(chunk)
            while (chunk := await loop.run_in_executor(pool, next, self.rest, None)) is not None:
                if chunk:
                    await transport.send_bytes(chunk)
        except Exception:  # the client went away; nothing to tell it
            pass
        finally:
            await loop.run_in_executor(pool, close, self.result)


class FileWrapper:
    """wsgi.file_wrapper: a file the application answers with (static files, audio).

    When it is the whole of a file on disk, granian sends it from Rust, with no request thread.
    """

    def __init__(self, filelike: BinaryIO, block_size: int = 8192) -> None:
        self.filelike, self.block_size = filelike, block_size

    def whole_file(self, started: list) -> str | None:
        name = getattr(self.filelike, "name", None)
        if not started or started[0] != 200 or not isinstance(name, str):
            return None
        length = next((v for k, v in started[1] if k.lower() == "content-length"), None)
        try:
            whole = self.filelike.tell() == 0 and int(length) == os.path.getsize(name)
        except (OSError, TypeError, ValueError):
            return None
        return name if whole else None

    def __iter__(self) -> Iterator[bytes]:
        while block := self.filelike.read(self.block_size):
            yield block

    def close(self) -> None:
        self.filelike.close()


async def read_body(scope: Any, protocol: Any) -> tuple[BinaryIO, int]:
    """The whole request body, or Refused: too large (413), too slow (408), malformed (400)."""
    headers = scope.headers
    announced = headers.get("content-length")
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    if announced is None and not chunked:
        return io.BytesIO(b""), 0
    try:
        length = int(announced) if announced is not None else None
    except ValueError:
        raise Refused(400, b"Bad Content-Length\n") from None
    if length is not None and (length < 0 or length > MAX_BODY):
        raise Refused(413, b"Request body too large\n")
    if length == 0:
        return io.BytesIO(b""), 0
    try:
        if length is not None and length <= SMALL_BODY:
            async with asyncio.timeout(BODY_IDLE_TIMEOUT):
                data = await protocol()
            return io.BytesIO(data), len(data)
        return await spool_body(protocol)
    except TimeoutError:
        raise Refused(408, b"Request body timed out\n") from None


async def spool_body(protocol: Any) -> tuple[BinaryIO, int]:
    spool = tempfile.SpooledTemporaryFile(max_size=SMALL_BODY)
    pieces = protocol.__aiter__()
    received = 0
    while True:
        try:
            async with asyncio.timeout(BODY_IDLE_TIMEOUT):
                piece = await anext(pieces)
        except StopAsyncIteration:
            break
        received += len(piece)
        if received > MAX_BODY:
            spool.close()
            raise Refused(413, b"Request body too large\n")
        spool.write(piece)
    spool.seek(0)
    return spool, received


def wsgi_environ(scope: Any, body: BinaryIO, length: int) -> dict:
    """The WSGI environ granian itself would build (PEP 3333: paths as latin-1 strings)."""
    server_host, _, server_port = scope.server.rpartition(":")
    client_host = scope.client.rpartition(":")[0].strip("[]")
    environ = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server_host.strip("[]"),
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": "HTTP/1.0"
        if scope.http_version == "1"
        else f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": client_host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
    }
    headers = scope.headers
    for name in set(headers.keys()):
        values = headers.get_all(name)
        if name == "content-type":
            environ["CONTENT_TYPE"] = values[0]
        elif name in ("content-length", "transfer-encoding"):
            continue
        else:
            joined = "; ".join(values) if name == "cookie" else ",".join(values)
            environ["HTTP_" + name.upper().replace("-", "_")] = joined
    if length or scope.method in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(length)
    environ.setdefault("HTTP_HOST", scope.authority or "")
    return environ


def close(result: Any) -> None:
    if hasattr(result, "close"):
        result.close()


def unsupported_write(data: bytes) -> None:
    raise NotImplementedError("the WSGI write() callable is not supported; return an iterable")
