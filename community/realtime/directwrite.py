"""Socket.IO packets written straight to each websocket, framed once per broadcast (threading mode).

In Engine.IO's threading mode (`python wsgi.py`, gunicorn gthread) every packet is queued for the
socket's own writer thread, which frames it with wsproto (and compresses it when the browser asked for
permessage-deflate) and writes it. A broadcast to a room of 1 000 readers woke 1 000 threads and framed
the same bytes 1 000 times: about 0.1 ms of CPU per reader, the bulk of a live reply's cost.

Here the sending thread writes the frame itself, with one non-blocking `send` per socket. The frame is
built once per packet, and python-socketio hands every reader of a broadcast the same packet object.
The writer thread stays for what cannot go out at once, in order:
- a packet goes out directly only when nothing is waiting for the socket: its queue is empty, the writer
  thread holds no packet it took from it, and no earlier frame was cut short; otherwise it is queued
  behind the others, as before;
- when the kernel takes only part of a frame (the reader is slow and its buffer full) the rest is kept
  and a marker is queued: the writer thread writes the rest before anything else (nothing else reaches
  the socket first: every write to it, simple-websocket's own answers included, goes through one lock
  that writes the rest first);
- a socket that cannot take a byte at once, or whose lock is busy, gets its packet queued: the sending
  thread never waits for one slow reader.
Frames are sent uncompressed: under permessage-deflate an uncompressed message (RSV1 unset) is valid
(RFC 7692 section 6) and leaves both sides' compression contexts as they were. Sockets with a timeout
or TLS keep the queued path entirely.
"""
from __future__ import annotations

import queue
import socket
import struct
import threading

from engineio import exceptions as eio_exceptions
from engineio import socket as eio_socket_module
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

FLUSH = object()  # what the marker packet encodes to: "write the rest of the cut frame"


class _FlushPacket:
    """Queued after a partial write; the writer thread's `ws.send(pkt.encode())` then writes the rest."""

    packet_type = 6  # NOOP, for Engine.IO's logging
    data = None

    def encode(self, b64=False):
        return FLUSH


def websocket_frame(payload: str | bytes) -> bytes:
    """One unfragmented, unmasked server frame (text for str, binary for bytes), as wsproto writes it."""
    if isinstance(payload, str):
        opcode, data = 0x81, payload.encode("utf-8")
    else:
        opcode, data = 0x82, bytes(payload)
    size = len(data)
    if size < 126:
        header = struct.pack("!BB", opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", opcode, 126, size)
    else:
        header = struct.pack("!BBQ", opcode, 127, size)
    return header + data


def frame_of(pkt) -> bytes:
    """The websocket frame of an Engine.IO packet, built once and kept on the packet (a broadcast hands
    every recipient the same packet)."""
    frame = getattr(pkt, "_websocket_frame", None)
    if frame is None:
        frame = pkt._websocket_frame = websocket_frame(pkt.encode())
    return frame


class CountingQueue(queue.Queue):
    """A socket's packet queue that also counts the packets its websocket writer thread has taken and
    not yet written (`taken`), so a direct write never overtakes one of them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writer: int | None = None  # the websocket writer thread, once it polls
        self.taken = 0

    def _get(self):  # with self.mutex held
        counted = self.writer is not None and threading.get_ident() == self.writer
        if counted:
            self.taken += 1  # before the item leaves the deque: a reader of both never sees neither
        item = self.queue.popleft()
        if item is None and counted:
            self.taken -= 1
        return item


class DirectWriter:
    """The write side of one websocket: direct writes, the rest of a cut frame, and the lock over both."""

    def __init__(self, sock: socket.socket, eio_socket, ws):
        self.sock, self.eio_socket, self.ws = sock, eio_socket, ws
        self.queue: CountingQueue = eio_socket.queue
        self.lock = threading.RLock()
        self.rest = b""

    def try_write(self, pkt) -> bool:
        """Write `pkt` now if nothing is waiting for this socket and the kernel takes it; False: queue it."""
        frame = frame_of(pkt)
        if not self.lock.acquire(blocking=False):
            return False
        try:
            if self.rest or self.queue.queue or self.queue.taken or not self.ws.connected:
                return False
            try:
                sent = self.sock.send(frame, socket.MSG_DONTWAIT)
            except OSError:  # would block, or the socket is gone: the writer thread handles it as before
                return False
            if sent < len(frame):
                self.rest = frame[sent:]
                self.queue.put(_FlushPacket())
            return True
        finally:
            self.lock.release()

    def write(self, data: bytes) -> int:
        """Blocking write of `data` after the rest of any cut frame (the writer thread, simple-websocket)."""
        with self.lock:
            self.flush()
            if data:
                self.sock.sendall(data)
            return len(data)

    def flush(self) -> None:
        with self.lock:
            if self.rest:
                rest, self.rest = self.rest, b""
                self.sock.sendall(rest)


class _LockedSocket:
    """The connection's socket as simple-websocket sees it: every write goes through the DirectWriter."""

    def __init__(self, sock: socket.socket, writer: DirectWriter):
        self._sock, self._writer = sock, writer

    def send(self, data, *flags):
        return self._writer.write(bytes(data))

    def sendall(self, data, *flags):
        self._writer.write(bytes(data))

    def __getattr__(self, name):  # recv, close, fileno, settimeout...
        return getattr(self._sock, name)


class DirectWebSocket(SimpleWebSocketWSGI):
    """Engine.IO's simple-websocket transport with direct writes once the socket is on websocket."""

    def __init__(self, handler, server, **kwargs):
        super().__init__(self._run, server, **kwargs)
        self.handler = handler
        self.writer: DirectWriter | None = None

    def _run(self, ws):
        self._attach()
        return self.handler(ws)

    def _attach(self) -> None:
        eio_socket = getattr(self.handler, "__self__", None)
        sock = self.ws.sock
        if not (isinstance(eio_socket, eio_socket_module.Socket) and isinstance(eio_socket.queue, CountingQueue)
                and type(sock) is socket.socket and sock.gettimeout() is None):
            return  # TLS, a socket timeout or another server: Engine.IO's own path, unchanged
        writer = self.writer = DirectWriter(sock, eio_socket, self.ws)
        self.ws.sock = _LockedSocket(sock, writer)
        original_poll = eio_socket.poll

        def poll():
            eio_socket.queue.writer = threading.get_ident()  # only the websocket writer thread polls from now on
            while True:
                try:
                    return original_poll()
                except eio_exceptions.QueueEmpty:
                    # Engine.IO's writer thread takes an empty queue for ping_interval + ping_timeout as a
                    # dead peer (its pings would have come through the queue) and closes the connection.
                    # Here pings and broadcasts are written directly, so an empty queue says nothing: the
                    # peer is gone only when its answer to the last ping is overdue.
                    if eio_socket.closed or not eio_socket.check_ping_timeout():
                        raise

        def send(pkt):
            if not eio_socket.check_ping_timeout():
                return
            if eio_socket.upgraded and not eio_socket.upgrading and writer.try_write(pkt):
                return
            eio_socket.queue.put(pkt)

        eio_socket.poll, eio_socket.send = poll, send

    def send(self, message):
        writer = self.writer
        if writer is None:
            return super().send(message)
        counted = threading.get_ident() == writer.queue.writer
        try:
            if message is FLUSH:
                writer.flush()
            else:
                super().send(message)
        finally:
            if counted:
                writer.queue.taken -= 1


def install(eio_server) -> None:
    """Use direct writes on this Engine.IO server (threading mode with simple-websocket only)."""
    if eio_server.async_mode == "threading" and eio_server._async.get("websocket") is SimpleWebSocketWSGI:
        eio_server._async = dict(eio_server._async, queue=CountingQueue, websocket=DirectWebSocket)
