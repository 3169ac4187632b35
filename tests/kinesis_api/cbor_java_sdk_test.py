"""The CBOR protocol of the AWS SDK for Java v2 (its default for Kinesis; the SDK itself
cannot be installed here), judged by an independent CBOR library (Debian python3-cbor2).
Requests are built as the SDK's Jackson generator writes them: indefinite-length maps and
arrays, text-string keys, blobs as byte strings, timestamps as tag 1 over epoch
milliseconds; `Content-Type` and `Accept: application/x-amz-cbor-1.1`. Every action the
Java SDK and the KCL use is sent, and every answer must decode, with the same conventions,
to what the call did. SubscribeToShard's event stream is parsed here too, CRCs checked."""
import http.client
import struct
import time
import unittest
import zlib

import cbor2
import cbor2.decoder

from eddy_endpoint import EddyBroker, wait_for


class EpochMillis(int):
    """A CBOR tag-1 timestamp as the Java SDK reads it: epoch milliseconds."""


# The SDK reads tag 1 as milliseconds (RFC 8949 says seconds), so cbor2's own tag-1 decoder
# is replaced for these tests by one that keeps the number (in cbor2's pure-Python decoder;
# its C extension's table cannot be changed).
cbor2.decoder.semantic_decoders[1] = lambda decoder: EpochMillis(decoder._decode())
decode = cbor2.decoder.loads


def jackson(value):
    """CBOR as the Java SDK's Jackson CBORGenerator streams it."""
    if isinstance(value, dict):
        return b"\xbf" + b"".join(cbor2.dumps(k) + jackson(v) for k, v in value.items()) + b"\xff"
    if isinstance(value, list):
        return b"\x9f" + b"".join(jackson(v) for v in value) + b"\xff"
    if isinstance(value, EpochMillis):
        return b"\xc1" + cbor2.dumps(int(value))
    return cbor2.dumps(value)


def parse_event_stream(data):
    """AWS event-stream messages: [(headers, payload)], every CRC checked."""
    messages = []
    while data:
        total, headers_length = struct.unpack(">II", data[:8])
        (prelude_crc,) = struct.unpack(">I", data[8:12])
        assert zlib.crc32(data[:8]) == prelude_crc, "prelude CRC"
        (message_crc,) = struct.unpack(">I", data[total - 4:total])
        assert zlib.crc32(data[:total - 4]) == message_crc, "message CRC"
        raw, headers = data[12:12 + headers_length], {}
        while raw:
            name_length = raw[0]
            name = raw[1:1 + name_length].decode()
            kind = raw[1 + name_length]
            assert kind == 7, f"header {name} is of type {kind}, not a string"
            (value_length,) = struct.unpack(">H", raw[2 + name_length:4 + name_length])
            headers[name] = raw[4 + name_length:4 + name_length + value_length].decode()
            raw = raw[4 + name_length + value_length:]
        messages.append((headers, data[12 + headers_length:total - 4]))
        data = data[total:]
    return messages


class JavaSdkCbor(unittest.TestCase):
    def call(self, broker, action, body, expect_status=200):
        host, port = broker.kinesis_address.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("POST", "/", body=jackson(body), headers={
            "X-Amz-Target": f"Kinesis_20131202.{action}",
            "Content-Type": "application/x-amz-cbor-1.1",
            "Accept": "application/x-amz-cbor-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEDDYTEST/20261202/us-east-1/"
                             "kinesis/aws4_request, SignedHeaders=host;x-amz-date, "
                             "Signature=" + "0" * 64,
            "X-Amz-Date": "20261202T000000Z"})
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        self.assertEqual(response.status, expect_status, (action, payload[:300]))
        if action == "SubscribeToShard" and expect_status == 200:
            self.assertEqual(response.getheader("Content-Type"), "application/vnd.amazon.eventstream")
            return parse_event_stream(payload)
        self.assertEqual(response.getheader("Content-Type"), "application/x-amz-cbor-1.1")
        return decode(payload) if payload else {}

    def test_every_action_the_java_sdk_uses(self):
        with EddyBroker("--subscription-session-ms", "800") as broker:
            before = int(time.time() * 1000)
            self.call(broker, "CreateStream", {"StreamName": "java", "ShardCount": 1})
            summary = self.call(broker, "DescribeStreamSummary",
                                {"StreamName": "java"})["StreamDescriptionSummary"]
            self.assertIsInstance(summary["StreamCreationTimestamp"], EpochMillis)
            self.assertLess(abs(summary["StreamCreationTimestamp"] - before), 60_000)
            arn = summary["StreamARN"]
            self.assertEqual(self.call(broker, "ListStreams", {})["StreamNames"], ["java"])
            description = self.call(broker, "DescribeStream", {"StreamName": "java"})
            self.assertEqual(len(description["StreamDescription"]["Shards"]), 1)
            shards = self.call(broker, "ListShards", {"StreamARN": arn})["Shards"]
            self.assertEqual([s["ShardId"] for s in shards], ["shardId-000000000000"])

            payload = bytes(range(256))
            one = self.call(broker, "PutRecord", {"StreamARN": arn, "PartitionKey": "p",
                                                  "Data": payload})
            many = self.call(broker, "PutRecords", {"StreamName": "java", "Records": [
                {"PartitionKey": f"p{i}", "Data": bytes([i]) * 10} for i in range(3)]})
            self.assertEqual(many["FailedRecordCount"], 0)

            iterator = self.call(broker, "GetShardIterator", {
                "StreamName": "java", "ShardId": "shardId-000000000000",
                "ShardIteratorType": "AT_TIMESTAMP",
                "Timestamp": EpochMillis(before - 1000)})["ShardIterator"]
            records = self.call(broker, "GetRecords", {"ShardIterator": iterator, "Limit": 100})
            self.assertEqual([r["Data"] for r in records["Records"]],
                             [payload] + [bytes([i]) * 10 for i in range(3)])
            self.assertEqual(records["Records"][0]["SequenceNumber"], one["SequenceNumber"])
            for record in records["Records"]:
                self.assertIsInstance(record["Data"], bytes)
                self.assertIsInstance(record["ApproximateArrivalTimestamp"], EpochMillis)
            self.assertEqual(records["MillisBehindLatest"], 0)

            consumer = self.call(broker, "RegisterStreamConsumer",
                                 {"StreamARN": arn, "ConsumerName": "kcl"})["Consumer"]
            self.assertIsInstance(consumer["ConsumerCreationTimestamp"], EpochMillis)
            wait_for(lambda: self.call(broker, "DescribeStreamConsumer", {
                "ConsumerARN": consumer["ConsumerARN"]})["ConsumerDescription"][
                "ConsumerStatus"] == "ACTIVE", 20, "consumer ACTIVE")
            listed = self.call(broker, "ListStreamConsumers", {"StreamARN": arn})["Consumers"]
            self.assertEqual([c["ConsumerName"] for c in listed], ["kcl"])

            # The session ends after 800 ms, so the whole response can be read at once.
            messages = self.call(broker, "SubscribeToShard", {
                "ConsumerARN": consumer["ConsumerARN"], "ShardId": "shardId-000000000000",
                "StartingPosition": {"Type": "AT_TIMESTAMP",
                                     "Timestamp": EpochMillis(before - 1000)}})
            self.assertEqual(messages[0][0][":event-type"], "initial-response")
            self.assertEqual(messages[0][0][":content-type"], "application/x-amz-cbor-1.1")
            pushed = []
            for headers, body in messages[1:]:
                self.assertEqual(headers[":message-type"], "event")
                self.assertEqual(headers[":event-type"], "SubscribeToShardEvent")
                event = decode(body)
                self.assertIn("ContinuationSequenceNumber", event)
                self.assertIsInstance(event["MillisBehindLatest"], int)
                pushed += [r["Data"] for r in event["Records"]]
            self.assertEqual(pushed, [payload] + [bytes([i]) * 10 for i in range(3)])

            self.call(broker, "AddTagsToStream", {"StreamName": "java", "Tags": {"a": "b"}})
            self.assertEqual(self.call(broker, "ListTagsForStream", {"StreamName": "java"})["Tags"],
                             [{"Key": "a", "Value": "b"}])
            limits = self.call(broker, "DescribeLimits", {})
            self.assertGreaterEqual(limits["ShardLimit"], 1)
            self.call(broker, "DeregisterStreamConsumer", {"ConsumerARN": consumer["ConsumerARN"]})

    def test_errors_come_back_in_cbor(self):
        with EddyBroker() as broker:
            error = self.call(broker, "DescribeStreamSummary", {"StreamName": "missing"},
                              expect_status=400)
            self.assertEqual(error["__type"], "ResourceNotFoundException")
            self.assertIn("missing", error["message"])
            error = self.call(broker, "CreateStream", {"StreamName": "zero", "ShardCount": 0},
                              expect_status=400)
            self.assertIn(error["__type"], ("ValidationException", "InvalidArgumentException"))


if __name__ == "__main__":
    unittest.main()
