"""HTTP/2 clients that hold requests open, over raw sockets speaking the frames themselves:
a stream whose request never completes is reset after the idle timeout (as HTTP/1.1 cuts a
slow request), request bodies arriving on many streams at once are held to the
connection's budget by flow control — the windows stop reopening — while the oldest
request can still complete and the others follow in turn, and a body over the limit is
answered 413 and its stream reset with NO_ERROR, the connection serving on. The broker keeps serving and nothing is written."""
import socket
import struct
import time
import unittest

from eddy_endpoint import EddyBroker
from hostile_input_test import H2_PREFACE, connect, frame, literal_headers

DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 7, 8
END_STREAM, END_HEADERS = 0x1, 0x4
CANCEL = 8
MAX_FRAME = 16384
MIB = 1 << 20


class H2Client:
    """Just enough HTTP/2 to send requests and obey flow control (no HPACK decoding)."""

    def __init__(self, address):
        self.s = connect(address)
        self.s.sendall(H2_PREFACE + frame(SETTINGS, 0, 0, b""))
        self.buffer = b""
        self.connection_window = 65535
        self.initial_stream_window = 65535
        self.stream_windows = {}
        self.closed = False
        self.events = []  # (type, stream, payload) of HEADERS, RST_STREAM, GOAWAY received

    def open(self, stream, target):
        block = literal_headers([(b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/"),
                                 (b":authority", b"x"),
                                 (b"x-amz-target", b"Kinesis_20131202." + target),
                                 (b"content-type", b"application/x-amz-json-1.1")])
        self.stream_windows[stream] = self.initial_stream_window
        self.s.sendall(frame(HEADERS, END_HEADERS, stream, block))

    def send(self, stream, payload, end=False):
        """Sends `payload` on `stream` as far as the windows allow; returns the bytes sent."""
        sent = 0
        while sent < len(payload):
            room = min(self.connection_window, self.stream_windows[stream], MAX_FRAME,
                       len(payload) - sent)
            if room <= 0:
                return sent
            last = end and sent + room == len(payload)
            self.s.sendall(frame(DATA, END_STREAM if last else 0, stream,
                                 payload[sent:sent + room]))
            self.connection_window -= room
            self.stream_windows[stream] -= room
            sent += room
        if end and not payload:
            self.s.sendall(frame(DATA, END_STREAM, stream, b""))
        return sent

    def send_all(self, stream, payload, timeout):
        """Sends all of `payload` and ends the stream, waiting for window as needed."""
        deadline = time.monotonic() + timeout
        while True:
            sent = self.send(stream, payload, end=True)
            payload = payload[sent:]
            if not payload:
                return
            if time.monotonic() > deadline or not self.pump(0.05):
                raise AssertionError(f"{len(payload)} bytes still unsent on stream {stream}")

    def pump(self, timeout):
        """Reads and handles the frames that arrive within `timeout` s; False once closed."""
        if self.closed:
            return False
        self.s.settimeout(timeout)
        try:
            chunk = self.s.recv(1 << 20)
        except socket.timeout:
            return True
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.buffer += chunk
        while len(self.buffer) >= 9:
            length = struct.unpack(">I", b"\x00" + self.buffer[:3])[0]
            if len(self.buffer) < 9 + length:
                break
            kind, flags = self.buffer[3], self.buffer[4]
            stream = struct.unpack(">I", self.buffer[5:9])[0] & 0x7fffffff
            payload = self.buffer[9:9 + length]
            self.buffer = self.buffer[9 + length:]
            self.handle(kind, flags, stream, payload)
        return True

    def handle(self, kind, flags, stream, payload):
        if kind == SETTINGS and not flags & 0x1:
            for i in range(0, len(payload), 6):
                setting, value = struct.unpack(">HI", payload[i:i + 6])
                if setting == 0x4:  # SETTINGS_INITIAL_WINDOW_SIZE
                    delta = value - self.initial_stream_window
                    self.initial_stream_window = value
                    for key in self.stream_windows:
                        self.stream_windows[key] += delta
            self.s.sendall(frame(SETTINGS, 0x1, 0, b""))
        elif kind == WINDOW_UPDATE:
            increment = struct.unpack(">I", payload)[0] & 0x7fffffff
            if stream == 0:
                self.connection_window += increment
            elif stream in self.stream_windows:
                self.stream_windows[stream] += increment
        elif kind in (HEADERS, RST_STREAM, GOAWAY):
            self.events.append((kind, stream, payload))

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline or not self.pump(0.05):
                if predicate():
                    return
                raise AssertionError(f"no {what} within {timeout} s (events: {self.events})")

    def close(self):
        self.s.close()


class Http2Limits(unittest.TestCase):
    def assertServingAndNothingWritten(self, broker):
        kinesis = broker.boto3_client(retries={"max_attempts": 1})
        self.assertEqual(kinesis.list_streams()["StreamNames"], ["target"])
        iterator = kinesis.get_shard_iterator(
            StreamName="target", ShardId="shardId-000000000000",
            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertEqual(kinesis.get_records(ShardIterator=iterator)["Records"], [])

    def test_a_request_that_never_completes_is_reset_after_the_idle_timeout(self):
        with EddyBroker("--kinesis-idle-timeout-ms", "300") as broker:
            broker.boto3_client().create_stream(StreamName="target", ShardCount=1)
            client = H2Client(broker.kinesis_address)
            try:
                client.open(1, b"PutRecord")
                client.send(1, b'{"StreamName": "target", "PartitionKey": "k", ')
                client.wait_for(lambda: any(kind == RST_STREAM and stream == 1
                                            for kind, stream, _ in client.events),
                                20, "RST_STREAM for the stalled request")
                reset = next(p for kind, stream, p in client.events
                             if kind == RST_STREAM and stream == 1)
                self.assertEqual(struct.unpack(">I", reset)[0], CANCEL)
                # Its only stream gone, the connection is idle and is closed in its turn.
                client.wait_for(lambda: client.closed or any(
                    kind == GOAWAY for kind, _, _ in client.events), 20, "GOAWAY or close")
            finally:
                client.close()
            self.assertServingAndNothingWritten(broker)

    def test_bodies_on_many_streams_are_held_to_a_budget_and_all_complete_in_turn(self):
        # Limits: 16 MiB bodies, a budget of twice that, stream windows of 1 MiB (broker/http/).
        # The request deadline (the idle timeout, 15 s here — room for the oldest request to
        # complete on a loaded machine: a request must arrive whole within it, the clock paused
        # while the broker holds its window back) is shorter than the later streams are held back: a
        # stream waiting for its window waits for the broker, and is not reset.
        budget, window, streams, deadline_s = 32 * MIB, MIB, 40, 15
        with EddyBroker("--kinesis-idle-timeout-ms", str(deadline_s * 1000)) as broker:
            broker.boto3_client().create_stream(StreamName="target", ShardCount=1)
            client = H2Client(broker.kinesis_address)
            try:
                client.wait_for(lambda: client.initial_stream_window == window, 20,
                                "the broker's SETTINGS")
                # The oldest request: a ListStreams whose body is "{" and, later, "}".
                client.open(1, b"ListStreams")
                opened = time.monotonic()
                client.send(1, b"{")
                later = [3 + 2 * i for i in range(streams - 1)]
                for stream in later:
                    client.open(stream, b"ListStreams")
                    client.send(stream, b"{")
                # Push padding on the later streams for as long as the windows let us, up to a
                # cap far above the bound: with windows reopening freely the cap is reached.
                cap, sent = 160 * MIB, 0
                chunk = b" " * (256 << 10)
                deadline = time.monotonic() + 60
                stalled_since = None
                while sent < cap and time.monotonic() < deadline:
                    progress = 0
                    for stream in later:
                        progress += client.send(stream, chunk)
                    sent += progress
                    if progress:
                        stalled_since = None
                    elif stalled_since is None:
                        stalled_since = time.monotonic()
                    elif time.monotonic() - stalled_since > 2:
                        break  # no window for 2 s: held back
                    self.assertTrue(client.pump(0.01), "the broker closed the connection")
                self.assertLess(sent, budget + (streams + 1) * window,
                                f"{sent / MIB:.1f} MiB taken in on {streams - 1} streams")
                self.assertGreater(sent, budget // 2)
                # The oldest request still completes, and is answered.
                client.send_all(1, b" " * (2 * MIB) + b"}", 30)
                client.wait_for(lambda: any(kind == HEADERS and stream == 1
                                            for kind, stream, _ in client.events),
                                30, "the answer to the oldest request")
                answer = next(p for kind, stream, p in client.events
                              if kind == HEADERS and stream == 1)
                self.assertEqual(answer[0], 0x88, answer)  # HPACK static entry 8: ":status 200"
                # The later requests wait past their deadline for the broker to take them in —
                # all but the next oldest, given its window when the oldest completed: it waits
                # for this client, and its own deadline may pass during the wait.
                next_oldest, held = later[0], later[1:]
                # The deadline is checked every quarter of it: past 1.25× it, it has been.
                while time.monotonic() < opened + deadline_s * 1.25 + 1:
                    self.assertTrue(client.pump(0.05), "the broker closed the connection")
                resets = {s: p for kind, s, p in client.events if kind == RST_STREAM}
                self.assertEqual([s for s in held if s in resets], [],
                                 "streams held back by the broker were reset")
                if next_oldest in resets:
                    self.assertEqual(struct.unpack(">I", resets[next_oldest])[0], CANCEL)
                    later = held
                # Each later request gets its window in its turn, completes and is answered.
                for stream in later:
                    client.send_all(stream, b"}", 30)
                    client.wait_for(lambda: any(kind == HEADERS and s == stream
                                                for kind, s, _ in client.events),
                                    30, f"the answer on stream {stream}")
                self.assertEqual([s for kind, s, _ in client.events
                                  if kind == RST_STREAM and s in later], [])
                answers = {s: p for kind, s, p in client.events if kind == HEADERS}
                for stream in later:
                    self.assertEqual(answers[stream][0], 0x88, (stream, answers[stream]))
            finally:
                client.close()
            self.assertServingAndNothingWritten(broker)

    def test_a_body_too_large_is_refused_with_413_and_the_connection_serves_on(self):
        with EddyBroker() as broker:
            broker.boto3_client().create_stream(StreamName="target", ShardCount=1)
            client = H2Client(broker.kinesis_address)
            try:
                client.open(1, b"PutRecord")
                body = b'{"StreamName": "target", "PartitionKey": "k", "Data": "' + \
                    b"A" * (20 * MIB) + b'"}'
                deadline = time.monotonic() + 60
                refused = lambda: any(kind == RST_STREAM and s == 1  # noqa: E731
                                      for kind, s, _ in client.events)
                while body and not refused() and time.monotonic() < deadline:
                    body = body[client.send(1, body, end=True):]
                    self.assertTrue(client.pump(0.01), "the broker closed the connection")
                client.wait_for(refused, 30, "RST_STREAM after the 413")
                status = next(p for kind, s, p in client.events if kind == HEADERS and s == 1)
                self.assertIn(b"413", status)
                reset = next(p for kind, s, p in client.events if kind == RST_STREAM and s == 1)
                self.assertEqual(struct.unpack(">I", reset)[0], 0)  # NO_ERROR: stop sending
                self.assertTrue(body, "the whole 20 MiB body was taken in")
                # The same connection answers the next request.
                client.open(3, b"ListStreams")
                client.send_all(3, b"{}", 30)
                client.wait_for(lambda: any(kind == HEADERS and s == 3
                                            for kind, s, _ in client.events),
                                30, "the answer on stream 3")
                answer = next(p for kind, s, p in client.events if kind == HEADERS and s == 3)
                self.assertEqual(answer[0], 0x88, answer)
            finally:
                client.close()
            self.assertServingAndNothingWritten(broker)


if __name__ == "__main__":
    unittest.main()
