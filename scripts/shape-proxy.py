#!/usr/bin/env python3
"""A TCP proxy that makes a loopback server look far away: latency and a bandwidth cap, for scripts/compare.py --cloud.

    shape-proxy.py UPSTREAM_PORT PORT_FILE [--rtt-ms N] [--rate-mbit M]

Listens on a free 127.0.0.1 port (written to PORT_FILE once listening) and, for every accepted connection, opens one
connection to 127.0.0.1:UPSTREAM_PORT and forwards bytes both ways, untouched (any protocol; HTTP keep-alive works).

    --rtt-ms N      a delay line of N/2 ms in each direction: every piece read is delivered N/2 ms after it was read,
                    in order, while reading goes on. Throughput is not limited by the delay, only latency, as on a long
                    link with a large TCP window (slow start is not modelled). Connection setup pays the handshake: the
                    first bytes from the client are taken as sent one RTT after the connection was accepted, so the
                    first request reaches the server 1.5 RTT and its answer is back 2 RTT after connect(), as over TCP.
    --rate-mbit M   each connection, each direction, at most M megabit/s: a token bucket of 16 KiB, data cut into
                    pieces of at most 16 KiB. The link's buffer before the bottleneck holds 100 ms of data; beyond that
                    the proxy stops reading, and the sender's TCP window fills, as behind a real bottleneck.

The delay and the rate add up like a link's: a piece leaves the bottleneck when the bucket allows, and arrives N/2 ms
later. Data is read in 64 KiB pieces and delivered in batches of what is due, so hundreds of MB cost little CPU. When
one side closes, what is still on the line is delivered and the other side is half-closed; the connection ends when
both directions have; a reset on either side aborts both. SIGTERM or SIGINT closes everything and exits.
"""
import argparse
import asyncio
import collections
import os
import signal
import socket
import struct

READ_SIZE = 64 * 1024
PIECE = 16 * 1024             # the token bucket's depth, and the largest piece under a rate cap
BOTTLENECK_BUFFER = 0.1       # seconds of data queued before the bottleneck before reading stops
MAX_IN_FLIGHT = 32 << 20      # bytes on the delay line per direction before reading stops (memory bound)
EOF = None


def abort(writer):
    """Closes with a reset, so the peer sees the failure instead of a clean end."""
    sock = writer.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


class Direction:
    """One direction of one connection: a reader task puts timed pieces on the line, a writer task delivers them."""

    def __init__(self, reader, writer, delay, rate, not_before):
        self.reader, self.writer = reader, writer
        self.delay, self.rate = delay, rate            # seconds one way; bytes per second or None
        self.not_before = not_before                   # loop time before which nothing is taken as sent
        self.line = collections.deque()                # (delivery time, bytes or EOF)
        self.in_flight = 0
        self.arrived = asyncio.Event()                 # set when the line gets a piece
        self.room = asyncio.Event()                    # set when in_flight drops below MAX_IN_FLIGHT
        self.room.set()
        self.tat = 0.0                                 # the bucket's theoretical arrival time (GCRA)

    def put(self, when, data):
        self.line.append((when, data))
        if data is not EOF:
            self.in_flight += len(data)
            if self.in_flight >= MAX_IN_FLIGHT:
                self.room.clear()
        self.arrived.set()

    async def read_loop(self):
        loop = asyncio.get_running_loop()
        while True:
            data = await self.reader.read(READ_SIZE)
            now = max(loop.time(), self.not_before)
            if not data:
                self.put(max(now, self.tat) + self.delay, EOF)
                return
            if self.rate is None:
                self.put(now + self.delay, data)
            else:
                # GCRA: a piece of n bytes leaves when the bucket of PIECE bytes has its tokens.
                view = memoryview(data)
                depart = now
                for i in range(0, len(data), PIECE):
                    piece = bytes(view[i:i + PIECE])
                    self.tat = max(self.tat, now) + len(piece) / self.rate
                    depart = max(now, self.tat - PIECE / self.rate)
                    self.put(depart + self.delay, piece)
                ahead = depart - loop.time() - BOTTLENECK_BUFFER
                if ahead > 0:
                    await asyncio.sleep(ahead)
            if not self.room.is_set():
                await self.room.wait()

    async def write_loop(self):
        loop = asyncio.get_running_loop()
        while True:
            while not self.line:
                self.arrived.clear()
                await self.arrived.wait()
            wait = self.line[0][0] - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            now = loop.time()
            batch, eof = [], False
            while self.line and self.line[0][0] <= now:
                data = self.line.popleft()[1]
                if data is EOF:
                    eof = True
                    break
                batch.append(data)
                self.in_flight -= len(data)
            if self.in_flight < MAX_IN_FLIGHT:
                self.room.set()
            if batch:
                self.writer.writelines(batch)
                await self.writer.drain()
            if eof:
                if self.writer.can_write_eof():
                    self.writer.write_eof()
                return


async def pipe(client_reader, client_writer, upstream, delay, rate, setup):
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
    except OSError:
        abort(client_writer)
        return
    # The client's first bytes count as sent when its handshake would have completed, one RTT after accept.
    outward = Direction(client_reader, up_writer, delay, rate, start + setup)
    inward = Direction(up_reader, client_writer, delay, rate, 0.0)
    tasks = [asyncio.ensure_future(c) for c in (outward.read_loop(), outward.write_loop(),
                                                 inward.read_loop(), inward.write_loop())]
    try:
        await asyncio.gather(*tasks)
        client_writer.close()
        up_writer.close()
    except (ConnectionError, OSError, asyncio.CancelledError):
        for t in tasks:
            t.cancel()
        abort(client_writer)
        abort(up_writer)


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("upstream_port", type=int)
    ap.add_argument("port_file")
    ap.add_argument("--rtt-ms", type=float, default=0.0)
    ap.add_argument("--rate-mbit", type=float, default=None)
    args = ap.parse_args()
    delay = args.rtt_ms / 2000.0
    rate = args.rate_mbit * 1e6 / 8 if args.rate_mbit else None
    setup = args.rtt_ms / 1000.0
    connections = set()

    def accepted(reader, writer):
        task = asyncio.ensure_future(pipe(reader, writer, args.upstream_port, delay, rate, setup))
        connections.add(task)
        task.add_done_callback(connections.discard)

    server = await asyncio.start_server(accepted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop
    server.close()
    for task in list(connections):
        task.cancel()
    await asyncio.gather(*connections, return_exceptions=True)


asyncio.run(main())
