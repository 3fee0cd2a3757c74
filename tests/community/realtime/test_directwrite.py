"""Direct websocket writes (community/realtime/directwrite.py): what a reader receives, and in what order.

An Engine.IO socket on one end of a socket pair; the test reads the other end as the browser would,
decoding websocket frames with wsproto's own frame parser (with permessage-deflate negotiated, as
browsers do).
"""
from __future__ import annotations

import socket
import threading
import time

import engineio
import pytest
from engineio import packet
from engineio import socket as eio_socket_module
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import FrameProtocol, Opcode

from community.realtime import directwrite


class FakeSimpleWebSocket:
    """simple-websocket's Server as Engine.IO's transport uses it: `sock`, `connected`, `send`."""

    def __init__(self, sock):
        self.sock, self.connected, self.mode = sock, True, "test"

    def send(self, data):
        self.sock.send(directwrite.websocket_frame(data))


class Browser:
    """The reading end: websocket frames decoded by wsproto's client side, compression negotiated."""

    def __init__(self, sock):
        self.sock = sock
        deflate = PerMessageDeflate()
        deflate.finalize(deflate.offer())  # as if the server had accepted the browser's offer
        self.frames = FrameProtocol(client=True, extensions=[deflate])
        self.messages: list[str] = []
        self.partial = ""

    def read(self, count: int, timeout: float = 5) -> list[str]:
        self.sock.settimeout(timeout)
        while len(self.messages) < count:
            self.frames.receive_bytes(self.sock.recv(65536))
            for frame in self.frames.received_frames():  # a long message may come in pieces
                assert frame.opcode in (Opcode.TEXT, Opcode.CONTINUATION)
                self.partial += frame.payload
                if frame.message_finished:
                    self.messages.append(self.partial)
                    self.partial = ""
        return self.messages


@pytest.fixture()
def wired():
    """An upgraded Engine.IO socket writing to one end of a socket pair, and the browser at the other."""
    server = engineio.Server(async_mode="threading")
    directwrite.install(server)
    server_end, browser_end = socket.socketpair()
    eio = eio_socket_module.Socket(server, "sid-1")
    transport = directwrite.DirectWebSocket(eio._websocket_handler, server)
    transport.ws = FakeSimpleWebSocket(server_end)
    transport._attach()
    yield eio, transport, Browser(browser_end)
    server_end.close()
    browser_end.close()


def message(text: str) -> packet.Packet:
    return packet.Packet(packet.MESSAGE, data=text)


def run_writer(eio, transport) -> threading.Thread:
    """Engine.IO's websocket writer thread, as `Socket._websocket_handler` runs it."""
    def writer():  # an empty poll (QueueEmpty) ends the connection, as in Engine.IO
        while True:
            try:
                packets = eio.poll()
            except engineio.exceptions.QueueEmpty:
                return
            if not packets:
                return
            for pkt in packets:
                transport.send(pkt.encode())

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    return thread


def test_frames_decode_to_the_packets_text_of_any_length():
    frames = FrameProtocol(client=True, extensions=[])
    for text in ("2", '2["post_created",{"post_id":7}]', "x" * 200, "长" * 30000):
        frames.receive_bytes(directwrite.websocket_frame("4" + text))
        (frame,) = frames.received_frames()
        assert frame.payload == "4" + text


def test_a_broadcast_is_framed_once_and_written_without_the_writer_thread(wired):
    eio, transport, browser = wired
    eio.upgraded = True
    pkt = message('2["post_created",{"post_id":1}]')
    eio.send(pkt)
    assert eio.queue.empty()  # nothing left for a writer thread to wake for
    assert browser.read(1) == ['42["post_created",{"post_id":1}]']
    assert pkt._websocket_frame == directwrite.websocket_frame(pkt.encode())


def test_a_packet_never_overtakes_one_queued_before_it(wired):
    eio, transport, browser = wired
    eio.send(message("2[\"first\"]"))  # still upgrading: queued for the writer thread
    eio.upgraded = True
    eio.send(message("2[\"second\"]"))  # the queue is not empty: queued behind, not written past it
    assert eio.queue.qsize() == 2
    writer = run_writer(eio, transport)
    assert browser.read(2) == ['42["first"]', '42["second"]']
    eio.send(message("2[\"third\"]"))  # nothing waits any more: written at once
    assert browser.read(3)[-1] == '42["third"]'
    eio.queue.put(None)
    writer.join(5)
    assert eio.queue.taken == 0


def test_a_reader_too_slow_to_take_a_frame_gets_every_message_in_order(wired):
    eio, transport, browser = wired
    eio.upgraded = True
    transport.writer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    sent = [f'2["post_created",{{"post_id":{n},"pad":"{"p" * 300}"}}]' for n in range(400)]
    for text in sent:  # the browser reads nothing yet: the kernel's buffer fills, frames are cut, then queued
        eio.send(message(text))
    assert eio.queue.qsize() > 0
    writer = run_writer(eio, transport)
    assert browser.read(len(sent), timeout=10) == ["4" + text for text in sent]
    eio.queue.put(None)
    writer.join(5)


def test_simple_websockets_own_writes_wait_for_the_rest_of_a_cut_frame(wired):
    eio, transport, browser = wired
    eio.upgraded = True
    transport.writer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    text = "2" + "x" * 50000
    eio.send(message(text))  # far more than the buffer: cut, the rest kept
    assert transport.writer.rest
    reading = threading.Thread(target=browser.read, args=(2, 10))
    reading.start()
    transport.ws.send("3")  # e.g. simple-websocket answering on its own thread: after the whole frame
    reading.join(10)
    assert browser.messages == ["4" + text, "3"]


def test_a_quiet_healthy_connection_stays_open_and_a_silent_peer_is_closed():
    """Pings and broadcasts skip the queue, so it stays empty: Engine.IO's writer thread must not take that
    for a dead peer (it closed every connection after ping_interval + ping_timeout, ~45 s in production,
    and live events stopped until the browser reconnected); a peer that leaves a ping unanswered is closed."""
    server = engineio.Server(async_mode="threading", ping_interval=0.1, ping_timeout=0.1)
    directwrite.install(server)
    server_end, browser_end = socket.socketpair()
    eio = eio_socket_module.Socket(server, "sid-quiet")
    server.sockets["sid-quiet"] = eio
    transport = directwrite.DirectWebSocket(eio._websocket_handler, server)
    transport.ws = FakeSimpleWebSocket(server_end)
    transport._attach()
    browser = Browser(browser_end)
    eio.upgraded, eio.last_ping = True, None  # the client answered the last ping

    thread = run_writer(eio, transport)
    try:
        thread.join(1.0)  # five times ping_interval + ping_timeout with nothing queued
        assert thread.is_alive() and not eio.closed
        eio.send(message('2["post_created",{"post_id":9}]'))
        assert browser.read(1) == ['42["post_created",{"post_id":9}]']
        eio.last_ping = time.time() - 1  # a ping went unanswered for longer than ping_timeout
        thread.join(2.0)
        assert not thread.is_alive() and eio.closed
    finally:
        eio.closed = True
        eio.queue.put(None)
        server_end.close()
        browser_end.close()
