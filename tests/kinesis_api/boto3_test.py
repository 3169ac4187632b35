"""boto3 (Debian python3-boto3) against eddy-broker's Kinesis endpoint, over HTTP/1.1:
the lab, absent-vs-zero, partial PutRecords failures, throttling retried by botocore,
SubscribeToShard pushing live records and ChildShards after a split."""
import base64
import json
import threading
import time
import unittest

from botocore.exceptions import ClientError, EventStreamError

from eddy_endpoint import EddyBroker, wait_for


def active_consumer(client, stream_arn, name):
    consumer = client.register_stream_consumer(StreamARN=stream_arn, ConsumerName=name)["Consumer"]
    wait_for(lambda: client.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
             ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", 20, "consumer ACTIVE")
    return consumer["ConsumerARN"]


def error_code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("the call succeeded")


class Boto3Lab(unittest.TestCase):
    def test_lab_round_trip(self):
        with EddyBroker() as broker:
            k = broker.boto3_client()
            k.create_stream(StreamName="rabbit-kds", ShardCount=1)
            self.assertEqual(k.list_streams()["StreamNames"], ["rabbit-kds"])
            put = k.put_record(StreamName="rabbit-kds", PartitionKey="user1", Data=b"user signup")
            self.assertEqual(put["ShardId"], "shardId-000000000000")
            iterator = k.get_shard_iterator(StreamName="rabbit-kds", ShardId=put["ShardId"],
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records = k.get_records(ShardIterator=iterator)
            self.assertEqual([r["Data"] for r in records["Records"]], [b"user signup"])
            self.assertEqual(records["Records"][0]["SequenceNumber"], put["SequenceNumber"])
            self.assertEqual(records["Records"][0]["PartitionKey"], "user1")
            arrival = records["Records"][0]["ApproximateArrivalTimestamp"].timestamp()
            self.assertLess(abs(arrival - time.time()), 60)
            self.assertIn("NextShardIterator", records)
            summary = k.describe_stream_summary(StreamName="rabbit-kds")["StreamDescriptionSummary"]
            self.assertEqual(summary["OpenShardCount"], 1)
            # Debian's botocore (1.29) predates StreamARN on data-plane calls; the JS SDK
            # test addresses streams by ARN alone.
            self.assertTrue(summary["StreamARN"].endswith(":stream/rabbit-kds"))

    def test_records_cross_the_two_protocols_byte_identical(self):
        every_byte = bytes(range(256)) * 4
        with EddyBroker() as broker:
            k = broker.boto3_client()
            k.create_stream(StreamName="both", ShardCount=1)
            over_http = k.put_record(StreamName="both", PartitionKey="http-ü", Data=every_byte)
            broker.eddy("put-record", "--stream-name", "both", "--partition-key", "grpc-ü",
                        "--data", base64.b64encode(every_byte[::-1]).decode())
            iterator = k.get_shard_iterator(StreamName="both", ShardId="shardId-000000000000",
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            http_records = k.get_records(ShardIterator=iterator)["Records"]
            grpc_iterator = json.loads(broker.eddy(
                "get-shard-iterator", "--stream-name", "both", "--shard-id",
                "shardId-000000000000", "--shard-iterator-type", "TRIM_HORIZON"))["ShardIterator"]
            grpc_records = json.loads(broker.eddy("get-records", "--shard-iterator",
                                                  grpc_iterator))["Records"]
            self.assertEqual([r["Data"] for r in http_records], [every_byte, every_byte[::-1]])
            self.assertEqual([base64.b64decode(r["Data"]) for r in grpc_records],
                             [every_byte, every_byte[::-1]])
            self.assertEqual([r["PartitionKey"] for r in http_records], ["http-ü", "grpc-ü"])
            self.assertEqual([r["PartitionKey"] for r in grpc_records], ["http-ü", "grpc-ü"])
            self.assertEqual([r["SequenceNumber"] for r in http_records],
                             [r["SequenceNumber"] for r in grpc_records])
            self.assertEqual(http_records[0]["SequenceNumber"], over_http["SequenceNumber"])

    def test_absent_and_zero_are_different(self):
        with EddyBroker() as broker:
            k = broker.boto3_client(parameter_validation=False)
            for call, member in [
                (lambda: k.create_stream(StreamName="zero", ShardCount=0), "shardCount"),
                (lambda: k.list_streams(Limit=0), "limit"),
                (lambda: k.describe_stream(StreamName="s", Limit=0), "limit"),
            ]:
                code, message = error_code(call)
                self.assertIn(code, ("ValidationException", "InvalidArgumentException"), message)
                self.assertIn(member, message)
            k.create_stream(StreamName="s")  # ShardCount absent: the default
            self.assertEqual(len(k.list_shards(StreamName="s")["Shards"]), 1)
            code, message = error_code(lambda: k.list_shards(StreamName="s", MaxResults=0))
            self.assertIn("maxResults", message)
            code, message = error_code(
                lambda: k.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=0))
            self.assertEqual(code, "InvalidArgumentException", message)
            code, message = error_code(
                lambda: k.put_record(StreamName="s", PartitionKey="p", Data=b"x", ExplicitHashKey=""))
            self.assertEqual(code, "ValidationException")
            self.assertIn("explicitHashKey", message)
            iterator = k.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000",
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            code, message = error_code(lambda: k.get_records(ShardIterator=iterator, Limit=0))
            self.assertIn("limit", message)
            code, message = error_code(
                lambda: k.get_shard_iterator(StreamName="s", ShardId="shardId-000000000000",
                                             ShardIteratorType="AT_TIMESTAMP", Timestamp=-5))
            self.assertIn("1970", message)
            # Nothing was written by any refused call.
            self.assertEqual(k.get_records(ShardIterator=iterator)["Records"], [])

    def test_errors_are_aws_exceptions(self):
        with EddyBroker() as broker:
            k = broker.boto3_client()
            with self.assertRaises(k.exceptions.ResourceNotFoundException):
                k.describe_stream(StreamName="absent")
            k.create_stream(StreamName="dup", ShardCount=1)
            with self.assertRaises(k.exceptions.ResourceInUseException):
                k.create_stream(StreamName="dup", ShardCount=1)
            with self.assertRaises(k.exceptions.InvalidArgumentException):
                k.get_records(ShardIterator="not-an-iterator")
            code, message = error_code(
                lambda: k.put_record(StreamName="dup", PartitionKey=b"\xff\xfe".decode("latin-1")
                                     .encode("latin-1").decode("utf-8", "replace") * 300,
                                     Data=b"x"))
            self.assertIn(code, ("ValidationException", "InvalidArgumentException"))
            self.assertIn("partitionKey", message)


class Boto3Throttling(unittest.TestCase):
    def test_partial_failures_and_retried_throttling(self):
        with EddyBroker("--shard-write-records-per-second", "20") as broker:
            k = broker.boto3_client()
            k.create_stream(StreamName="t", ShardCount=1)
            result = k.put_records(StreamName="t", Records=[
                {"Data": b"r%d" % i, "PartitionKey": "k"} for i in range(100)])
            self.assertGreater(result["FailedRecordCount"], 0)
            self.assertLess(result["FailedRecordCount"], 100)
            self.assertEqual(len(result["Records"]), 100)
            failed = [r for r in result["Records"] if "ErrorCode" in r]
            self.assertEqual(len(failed), result["FailedRecordCount"])
            self.assertTrue(all(r["ErrorCode"] == "ProvisionedThroughputExceededException"
                                for r in failed))
            self.assertTrue(all("SequenceNumber" in r for r in result["Records"]
                                if "ErrorCode" not in r))
            # With no retries the throttling is seen as such …
            strict = broker.boto3_client(retries={"total_max_attempts": 1})
            with self.assertRaises(strict.exceptions.ProvisionedThroughputExceededException):
                for _ in range(200):
                    strict.put_record(StreamName="t", PartitionKey="k", Data=b"x")
            # … and botocore retries it until the shard has room again.
            patient = broker.boto3_client(retries={"mode": "standard", "total_max_attempts": 10})
            retried = 0
            for _ in range(60):
                response = patient.put_record(StreamName="t", PartitionKey="k", Data=b"y")
                retried = max(retried, response["ResponseMetadata"]["RetryAttempts"])
                if retried:
                    break
            self.assertGreater(retried, 0)


class Boto3SubscribeToShard(unittest.TestCase):
    def test_live_records_then_child_shards_after_split(self):
        with EddyBroker("--subscription-heartbeat-ms", "200") as broker:
            k = broker.boto3_client()
            k.create_stream(StreamName="live", ShardCount=1)
            arn = k.describe_stream_summary(StreamName="live")["StreamDescriptionSummary"]["StreamARN"]
            consumer = active_consumer(k, arn, "boto3-consumer")
            response = k.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                            StartingPosition={"Type": "LATEST"})
            events = iter(response["EventStream"])
            first = next(events)["SubscribeToShardEvent"]  # before anything is put
            self.assertEqual(first["Records"], [])
            self.assertIn("ContinuationSequenceNumber", first)
            sent = [b"live-%d" % i for i in range(5)]

            def produce():
                for data in sent:
                    k.put_record(StreamName="live", PartitionKey="p", Data=data)
            threading.Thread(target=produce).start()
            received = []
            deadline = time.monotonic() + 20
            while len(received) < len(sent) and time.monotonic() < deadline:
                event = next(events)["SubscribeToShardEvent"]
                received += [r["Data"] for r in event["Records"]]
            self.assertEqual(received, sent)
            k.split_shard(StreamName="live", ShardToSplit="shardId-000000000000",
                          NewStartingHashKey=str(2 ** 127))
            children = None
            for item in events:
                event = item["SubscribeToShardEvent"]
                if event.get("ChildShards"):
                    children = event["ChildShards"]
                    self.assertNotIn("ContinuationSequenceNumber", event)
                    break
            self.assertIsNotNone(children, "the stream ended without ChildShards")
            self.assertEqual(sorted(c["ShardId"] for c in children),
                             ["shardId-000000000001", "shardId-000000000002"])
            self.assertEqual(children[0]["ParentShards"], ["shardId-000000000000"])
            self.assertEqual(list(events), [])  # and then the stream ends

    def test_errors_before_and_inside_the_stream(self):
        with EddyBroker() as broker:
            k = broker.boto3_client()
            k.create_stream(StreamName="gone", ShardCount=1)
            arn = k.describe_stream_summary(StreamName="gone")["StreamDescriptionSummary"]["StreamARN"]
            consumer = active_consumer(k, arn, "c")
            with self.assertRaises(k.exceptions.ResourceNotFoundException):
                k.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000009",
                                     StartingPosition={"Type": "LATEST"})
            response = k.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                            StartingPosition={"Type": "TRIM_HORIZON"})
            # A second subscription within 5 s is refused, as on AWS.
            with self.assertRaises(k.exceptions.ResourceInUseException):
                k.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                     StartingPosition={"Type": "TRIM_HORIZON"})
            events = iter(response["EventStream"])
            next(events)
            k.delete_stream(StreamName="gone", EnforceConsumerDeletion=True)
            with self.assertRaises(EventStreamError) as raised:
                for _ in events:
                    pass
            self.assertIn("ResourceNotFoundException", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
