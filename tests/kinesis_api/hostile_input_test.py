"""eddy-broker's Kinesis endpoint under hostile input, over raw sockets: garbage bytes,
truncated HTTP/2 frames, a 100 MiB body, a wrong X-Amz-Target, bad JSON and CBOR, huge
headers, 10 000 concurrent idle connections and an HTTP/2 stream-reset storm. Each gets a
clean error or a closed connection; the broker keeps serving everyone else (a boto3 client
works after each), and nothing is written (the stream's shard stays empty)."""
import json
import resource
import socket
import struct
import unittest

from eddy_endpoint import EddyBroker

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def connect(address):
    host, port = address.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=20)
    return s


def read_until_closed_or(s, marker, limit=1 << 20):
    """Reads until `marker` is in what arrived, the peer closes, or `limit` bytes."""
    data = b""
    while marker not in data and len(data) < limit:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return data


def http_request(target, body, content_type="application/x-amz-json-1.1", extra=b""):
    return (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " + target.encode() +
            b"\r\nContent-Type: " + content_type.encode() + b"\r\nContent-Length: " +
            str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def status_and_body(response):
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else None
    return status, head, body


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(
        ">I", stream) + payload


def literal_headers(headers):
    """An HPACK block of literals without indexing, no Huffman (names and values < 127)."""
    out = b""
    for name, value in headers:
        out += b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
    return out


class HostileInput(unittest.TestCase):
    def setUp(self):
        self.broker = EddyBroker().__enter__()
        self.kinesis = self.broker.boto3_client(retries={"max_attempts": 1})
        self.kinesis.create_stream(StreamName="target", ShardCount=1)

    def tearDown(self):
        self.broker.__exit__(None, None, None)

    def assertStillServingAndNothingWritten(self):
        self.assertEqual(self.kinesis.list_streams()["StreamNames"], ["target"])
        iterator = self.kinesis.get_shard_iterator(
            StreamName="target", ShardId="shardId-000000000000",
            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertEqual(self.kinesis.get_records(ShardIterator=iterator)["Records"], [])

    def assertAnsweredThenServing(self, s, expected_status):
        """The connection `s` got an HTTP answer of `expected_status`; others are served."""
        response = read_until_closed_or(s, b"}")
        s.close()
        status, _, _ = status_and_body(response)
        self.assertEqual(status, expected_status, response[:300])
        self.assertStillServingAndNothingWritten()

    def put_body(self):
        return json.dumps({"StreamName": "target", "PartitionKey": "k",
                           "Data": "aGk="}).encode()

    def test_garbage_bytes_close_the_connection(self):
        s = connect(self.broker.kinesis_address)
        s.sendall(bytes(range(256)) * 64)
        response = read_until_closed_or(s, b"\r\n\r\n")
        s.close()
        status, _, _ = status_and_body(response)
        self.assertIn(status, (None, 400), response[:200])
        self.assertStillServingAndNothingWritten()

    def test_wrong_target_bad_json_and_bad_cbor_are_aws_errors(self):
        cases = [
            (http_request("Kinesis_20131202.NoSuchAction", self.put_body()),
             "UnknownOperationException"),
            (http_request("DynamoDB_20120810.PutItem", self.put_body()),
             "UnknownOperationException"),
            (http_request("Kinesis_20131202.PutRecord", b'{"StreamName": "target", "Part'),
             "SerializationException"),
            (http_request("Kinesis_20131202.PutRecord", b"\xbf\x6aStreamName\x66tar",
                          "application/x-amz-cbor-1.1"), "SerializationException"),
            (http_request("Kinesis_20131202.PutRecord", b"[1, 2, 3]"), "SerializationException"),
            # 100 001 empty arrays: small on the wire, a huge parse tree.
            (http_request("Kinesis_20131202.PutRecord",
                          b'{"A": [' + b",".join([b"[]"] * 100001) + b"]}"),
             "SerializationException"),
            (http_request("Kinesis_20131202.PutRecord",
                          b"\xbf\x61A\x9f" + b"\x80" * 100001 + b"\xff\xff",
                          "application/x-amz-cbor-1.1"), "SerializationException"),
        ]
        for request, expected in cases:
            s = connect(self.broker.kinesis_address)
            s.sendall(request)
            response = read_until_closed_or(s, b"}")
            s.close()
            status, head, body = status_and_body(response)
            self.assertEqual(status, 400, response[:300])
            self.assertIn(expected.encode(), head + body, response[:300])
        self.assertStillServingAndNothingWritten()

    def test_a_100_mib_body_is_refused_unread(self):
        s = connect(self.broker.kinesis_address)
        request = http_request("Kinesis_20131202.PutRecord", b"")
        request = request.replace(b"Content-Length: 0", b"Content-Length: 104857600")
        s.sendall(request)
        try:
            s.sendall(b"{" + b" " * (8 << 20))  # the first 8 MiB of it
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertAnsweredThenServing(s, 413)

    def test_huge_headers_are_refused(self):
        s = connect(self.broker.kinesis_address)
        s.sendall(http_request("Kinesis_20131202.PutRecord", self.put_body(),
                               extra=b"X-Padding: " + b"a" * (200 << 10) + b"\r\n"))
        self.assertAnsweredThenServing(s, 431)

    def test_truncated_http2_frames_close_only_their_connection(self):
        for truncated in [H2_PREFACE[:10], H2_PREFACE + b"\x00\x00\x06\x04",
                          H2_PREFACE + frame(4, 0, 0, b"") + b"\x00\x40\x00\x01\x05\x00\x00"]:
            s = connect(self.broker.kinesis_address)
            s.sendall(truncated)
            s.shutdown(socket.SHUT_WR)
            read_until_closed_or(s, b"never")
            s.close()
        self.assertStillServingAndNothingWritten()

    def test_an_http2_reset_storm_leaves_the_broker_serving(self):
        s = connect(self.broker.kinesis_address)
        s.sendall(H2_PREFACE + frame(4, 0, 0, b""))
        block = literal_headers([(b":method", b"POST"), (b":scheme", b"http"), (b":path", b"/"),
                                 (b":authority", b"x"),
                                 (b"x-amz-target", b"Kinesis_20131202.PutRecord"),
                                 (b"content-type", b"application/x-amz-json-1.1")])
        burst = b""
        for i in range(5000):
            stream = 1 + 2 * i
            burst += frame(1, 0x4, stream, block)          # HEADERS, END_HEADERS, body to come
            burst += frame(3, 0, stream, struct.pack(">I", 8))  # RST_STREAM CANCEL
            if len(burst) > 256 << 10:
                try:
                    s.sendall(burst)
                except (BrokenPipeError, ConnectionResetError):
                    break  # the broker may close a connection that abuses resets
                burst = b""
        try:
            s.sendall(burst)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()
        self.assertStillServingAndNothingWritten()

    def test_ten_thousand_idle_connections(self):
        # The client and the broker each hold 10 000 descriptors, plus their own.
        wanted = 10500
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        try:
            if hard != resource.RLIM_INFINITY and hard < wanted:
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            else:
                resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as e:
            self.skipTest(f"cannot raise the open-file limit to {wanted}: {e}")
        # The broker of setUp started under the old limit: start one that inherits the new one.
        self.tearDown()
        self.setUp()
        idle = []
        try:
            for _ in range(10000):
                idle.append(connect(self.broker.kinesis_address))
            self.assertStillServingAndNothingWritten()
            self.kinesis.put_record(StreamName="target", PartitionKey="k", Data=b"served")
        finally:
            for s in idle:
                s.close()
        iterator = self.kinesis.get_shard_iterator(
            StreamName="target", ShardId="shardId-000000000000",
            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self.assertEqual([r["Data"] for r in
                          self.kinesis.get_records(ShardIterator=iterator)["Records"]],
                         [b"served"])


if __name__ == "__main__":
    unittest.main()
