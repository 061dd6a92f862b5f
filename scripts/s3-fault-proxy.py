#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the S3 destination's tests.

    s3-fault-proxy.py UPSTREAM_PORT CONTROL_FILE LOG_FILE PORT_FILE

Listens on a free 127.0.0.1 port (written to PORT_FILE once listening) and forwards every HTTP/1.1 request to
the S3 server on 127.0.0.1:UPSTREAM_PORT, one upstream connection per request, answering with
`Connection: close`. Before each request it reads CONTROL_FILE, one line:

    healthy                          forward everything
    down                             reset every connection as soon as it is accepted (the server stays down)
    down-after N                     forward N requests, then behave as `down`
    silent                           accept every connection and never read or answer (a server that hangs)
    faulty EVERY KIND[,KIND...] [STALL_SECONDS]
                                     every EVERY-th request (counted from when the line was written) gets the next fault of the list, in turn:
        503       read the request, answer 503 Slow Down with Retry-After: 0
        reset     read the head and half of the body, then reset the connection
        stall     read the head and half of the body, then say nothing for STALL_SECONDS (default 5) and close
        truncate  forward the request, then send the head and half of the answer's body and reset

Each request is logged to LOG_FILE as `METHOD TARGET FAULT` (FAULT is `-` when forwarded untouched).
"""
import asyncio
import os
import socket
import struct
import sys

UPSTREAM_PORT = int(sys.argv[1])
CONTROL, LOG, PORT_FILE = sys.argv[2], sys.argv[3], sys.argv[4]
counter = 0
current = None


def mode():
    """The control line's words; a new line restarts the request count."""
    global counter, current
    try:
        with open(CONTROL) as f:
            words = f.read().split()
    except OSError:
        words = []
    words = words or ["healthy"]
    if words != current:
        current, counter = words, 0
    return words


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked bodies are not supported by this proxy")
    return 0


def with_connection_close(head):
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
    return b"\r\n".join(lines + [b"Connection: close"])


async def handle(reader, writer):
    global counter
    words = mode()
    if words[0] == "down" or (words[0] == "down-after" and counter >= int(words[1])):
        reset(writer)
        return
    if words[0] == "silent":
        log("- - silent")
        try:
            await reader.read()  # until the client gives up and closes
        except ConnectionError:
            pass
        writer.close()
        return
    try:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        head = head[:-4]
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target = request_line.split(" ")[:2]
        length = content_length(head)
        words = mode()
        fault = "-"
        counter += 1
        if words[0] == "down" or (words[0] == "down-after" and counter > int(words[1])):
            fault = "down"
        elif words[0] == "faulty":
            every, kinds = int(words[1]), words[2].split(",")
            if counter % every == 0:
                fault = kinds[(counter // every - 1) % len(kinds)]
        log(f"{method} {target} {fault}")
        if fault in ("reset", "stall", "down"):
            if length:
                await reader.readexactly(length // 2)
            if fault == "stall":
                await asyncio.sleep(float(words[3]) if len(words) > 3 else 5.0)
                writer.close()
            else:
                reset(writer)
            return
        body = await reader.readexactly(length) if length else b""
        if fault == "503":
            text = b"<Error><Code>SlowDown</Code><Message>injected by the test proxy</Message></Error>"
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Type: application/xml\r\n"
                         + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(text) + text)
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", UPSTREAM_PORT)
        up_writer.write(with_connection_close(head) + b"\r\n\r\n" + body)
        await up_writer.drain()
        answer = await up_reader.read()
        up_writer.close()
        answer_head, _, answer_body = answer.partition(b"\r\n\r\n")
        if fault == "truncate":
            writer.write(answer_head + b"\r\n\r\n" + answer_body[: len(answer_body) // 2])
            await writer.drain()
            reset(writer)
            return
        writer.write(with_connection_close(answer_head) + b"\r\n\r\n" + answer_body)
        await writer.drain()
        writer.close()
        return
    except (ConnectionError, asyncio.IncompleteReadError):
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(PORT_FILE + ".tmp", PORT_FILE)
    async with server:
        await server.serve_forever()


asyncio.run(main())
