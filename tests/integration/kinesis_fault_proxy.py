#!/usr/bin/env python3
"""An HTTP/1.1 proxy in front of a Kinesis endpoint that damages SubscribeToShard answers,
for the tests of how a worker survives a bad server. Everything else passes unchanged.

    kinesis_fault_proxy.py UPSTREAM_HOST:PORT PORT_FILE FAULT[,FAULT…]

It listens on a free 127.0.0.1 port, written to PORT_FILE once it accepts. Faults are
applied one at a time, in the order given, each to one subscription: the first subscription
that reaches the trigger gets the first fault, and so on; once all are used the proxy only
forwards. The trigger is a subscription's second event that carries records (so every
damaged subscription has delivered something to resume after), except for `http500`,
which answers the next SubscribeToShard call itself. Faults:

    message-crc    the event's message CRC is wrong (one payload byte flipped)
    prelude-crc    the event's prelude CRC is wrong
    truncated      half the event, then the response ends cleanly (terminating chunk)
    dropped        half the event, then the connection is closed
    unknown-event  a well-formed event of a type no client knows, before the real one
                   (harmless: the subscription goes on)
    exception      an InternalFailure exception message instead of the event, then the end
    http500        HTTP 500 with an InternalFailure body instead of the subscription

Each fault applied is printed as a JSON line: {"Fault": name, "Shard": shard id}.
"""
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import zlib

FAULTS = {"message-crc", "prelude-crc", "truncated", "dropped", "unknown-event", "exception",
          "http500"}
TRIGGER_EVENT = 2


class FaultPlan:
    def __init__(self, faults):
        self.faults = list(faults)
        self.lock = threading.Lock()

    def take(self, applies):
        """The next fault if `applies(fault)`, removed from the plan; otherwise None."""
        with self.lock:
            if self.faults and applies(self.faults[0]):
                return self.faults.pop(0)
            return None


def report(fault, shard):
    sys.stdout.write(json.dumps({"Fault": fault, "Shard": shard}) + "\n")
    sys.stdout.flush()


def read_head(reader):
    """The start line and headers of an HTTP/1.1 message, or None at end of file."""
    start = reader.readline()
    if not start:
        return None
    headers = []
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return start, headers
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))


def header(headers, name):
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return ""


def head_bytes(start, headers):
    return start + b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers) + b"\r\n"


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


def read_chunk(reader):
    """One chunk's data from a chunked body; b"" for the last (zero-length) chunk."""
    size = int(reader.readline().split(b";")[0].strip() or b"0", 16)
    data = reader.read(size) if size else b""
    reader.readline()  # the CRLF after the data (or after the trailers' end)
    return data


def event_message(headers, payload):
    """An event-stream message with string headers, CRCs correct."""
    encoded = b"".join(bytes([len(k)]) + k.encode() + b"\x07" + struct.pack(">H", len(v)) +
                       v.encode() for k, v in headers)
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def parse_message(frame):
    """(headers dict, payload) of a well-formed event-stream message."""
    headers_length = struct.unpack(">I", frame[4:8])[0]
    at, end, headers = 12, 12 + headers_length, {}
    while at < end:
        name_length = frame[at]
        name = frame[at + 1:at + 1 + name_length].decode()
        at += 1 + name_length
        kind = frame[at]
        at += 1
        if kind == 7 or kind == 6:
            length = struct.unpack(">H", frame[at:at + 2])[0]
            headers[name] = frame[at + 2:at + 2 + length].decode(errors="replace")
            at += 2 + length
        else:
            break  # Kinesis sends string headers only; the rest is not needed here
    return headers, frame[end:-4]


def has_records(frame):
    headers, payload = parse_message(frame)
    if headers.get(":event-type") != "SubscribeToShardEvent":
        return False
    try:
        return bool(json.loads(payload).get("Records"))
    except ValueError:
        return False


UNKNOWN_EVENT = event_message([(":message-type", "event"),
                               (":event-type", "SubscribeToShardFutureEvent"),
                               (":content-type", "application/json")], b'{"Future":1}')


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        reader = self.request.makefile("rb")
        while self.one_exchange(reader):
            pass

    def one_exchange(self, reader):
        """Forwards one request and its answer; False when the client connection is done."""
        head = read_head(reader)
        if head is None:
            return False
        start, headers = head
        body = reader.read(int(header(headers, "Content-Length") or 0))
        subscribe = header(headers, "X-Amz-Target").endswith(".SubscribeToShard")
        shard = ""
        if subscribe:
            shard = json.loads(body or b"{}").get("ShardId", "")
            if self.server.plan.take(lambda fault: fault == "http500"):
                report("http500", shard)
                answer = b'{"__type":"InternalFailure","message":"injected by the fault proxy"}'
                self.request.sendall(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: "
                    b"application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n" % len(answer) +
                    answer)
                return True
        upstream = socket.create_connection(self.server.upstream)
        try:
            upstream.sendall(head_bytes(start, headers) + body)
            upstream_reader = upstream.makefile("rb")
            status_line, answer_headers = read_head(upstream_reader)
            self.request.sendall(head_bytes(status_line, answer_headers))
            chunked = header(answer_headers, "Transfer-Encoding").lower() == "chunked"
            if not chunked:
                length = int(header(answer_headers, "Content-Length") or 0)
                self.request.sendall(upstream_reader.read(length))
                return True
            if subscribe and b" 200 " in status_line:
                return self.forward_events(upstream_reader, shard)
            while True:
                data = read_chunk(upstream_reader)
                self.request.sendall(chunk(data) if data else b"0\r\n\r\n")
                if not data:
                    return True
        finally:
            upstream.close()

    def forward_events(self, upstream_reader, shard):
        """Relays a subscription's messages, damaging one if the plan says so."""
        buffered = b""
        record_events = 0
        while True:
            data = read_chunk(upstream_reader)
            if not data:
                self.request.sendall(b"0\r\n\r\n")
                return True
            buffered += data
            while len(buffered) >= 12:
                total = struct.unpack(">I", buffered[:4])[0]
                if len(buffered) < total:
                    break
                frame, buffered = buffered[:total], buffered[total:]
                fault = None
                if has_records(frame):
                    record_events += 1
                    if record_events == TRIGGER_EVENT:
                        fault = self.server.plan.take(lambda f: f != "http500")
                if fault is None:
                    self.request.sendall(chunk(frame))
                    continue
                report(fault, shard)
                if fault == "unknown-event":  # then the subscription goes on, undamaged
                    self.request.sendall(chunk(UNKNOWN_EVENT) + chunk(frame))
                    continue
                return self.damage(fault, frame)

    def damage(self, fault, frame):
        """Sends `frame` damaged by `fault`; whether the client connection can go on."""
        if fault == "message-crc":
            damaged = bytearray(frame)
            damaged[-5] ^= 0x01  # the payload's last byte
            self.request.sendall(chunk(bytes(damaged)))
        elif fault == "prelude-crc":
            damaged = bytearray(frame)
            damaged[9] ^= 0x01
            self.request.sendall(chunk(bytes(damaged)))
        elif fault == "truncated":
            self.request.sendall(chunk(frame[:len(frame) // 2]) + b"0\r\n\r\n")
            return True
        elif fault == "dropped":
            self.request.sendall(chunk(frame[:len(frame) // 2]))
        elif fault == "exception":
            exception = event_message([(":message-type", "exception"),
                                       (":exception-type", "InternalFailure"),
                                       (":content-type", "application/json")],
                                      b'{"message":"injected by the fault proxy"}')
            self.request.sendall(chunk(exception) + b"0\r\n\r\n")
            return True
        self.request.shutdown(socket.SHUT_RDWR)
        return False


class Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    host, _, port = sys.argv[1].rpartition(":")
    faults = [f for f in sys.argv[3].split(",") if f]
    unknown = [f for f in faults if f not in FAULTS]
    if unknown:
        sys.exit(f"unknown faults {unknown}; known: {sorted(FAULTS)}")
    server = Proxy(("127.0.0.1", 0), Handler)
    server.upstream = (host, int(port))
    server.plan = FaultPlan(faults)
    port_file = sys.argv[2]
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
