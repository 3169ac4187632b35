"""The real `aws` CLI (Debian awscli) against eddy-broker's Kinesis endpoint: the README's
seed lab verbatim with --endpoint-url, then create/list/describe/split/merge/consumers/tags,
each answer compared field by field with what `eddy` (over gRPC) prints for the same call."""
import base64
import json
import os
import subprocess
import tempfile
import unittest

from eddy_endpoint import EddyBroker, wait_for

AWS = os.environ.get("EDDY_AWS_CLI", "/usr/bin/aws")


class AwsCli:
    def __init__(self, broker):
        self.broker = broker
        self.home = tempfile.mkdtemp(prefix="eddy-aws-home-")
        self.env = dict(os.environ, HOME=self.home, AWS_ACCESS_KEY_ID="AKIDEDDYTEST",
                        AWS_SECRET_ACCESS_KEY="eddy-secret", AWS_DEFAULT_REGION="us-east-1",
                        AWS_PAGER="", AWS_CONFIG_FILE=os.devnull,
                        AWS_SHARED_CREDENTIALS_FILE=os.devnull)

    def __call__(self, *args):
        result = subprocess.run([AWS, "--endpoint-url", self.broker.endpoint, "--output", "json",
                                 "kinesis", *args], env=self.env, capture_output=True, text=True,
                                timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"aws kinesis {' '.join(args)} failed: {result.stderr}")
        return json.loads(result.stdout) if result.stdout.strip() else {}

    def error(self, *args):
        result = subprocess.run([AWS, "--endpoint-url", self.broker.endpoint, "kinesis", *args],
                                env=self.env, capture_output=True, text=True, timeout=60)
        if result.returncode == 0:
            raise AssertionError(f"aws kinesis {' '.join(args)} succeeded")
        return result.stderr


def eddy_json(broker, *args):
    out = broker.eddy(*args)
    return json.loads(out) if out.strip() else {}


# The CLI's paginators fold pages together and drop the paging fields (HasMoreStreams,
# NextToken; describe-stream's keeps only the members its 2022 model knew and adds the
# others as null): list and describe calls compared with eddy's answer use --no-paginate, one raw page.
# Fields whose value depends on the moment of the call (the CLI prints timestamps in its own
# format) are compared by presence; everything else must be equal.
TIME_FIELDS = {"StreamCreationTimestamp", "ConsumerCreationTimestamp",
               "ApproximateArrivalTimestamp"}


def normalise(value):
    if isinstance(value, dict):
        return {k: ("<time>" if k in TIME_FIELDS else normalise(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


# Members added to the Kinesis API after Debian's CLI (2.9, model of 2022) was built: the
# CLI drops what its model does not know, so they are left out of the comparison.
NEWER_THAN_THE_CLI = {"MaxRecordSizeInKiB"}


def without_newer_members(value):
    if isinstance(value, dict):
        return {k: without_newer_members(v) for k, v in value.items()
                if k not in NEWER_THAN_THE_CLI}
    if isinstance(value, list):
        return [without_newer_members(v) for v in value]
    return value


class AwsCliAgainstEddy(unittest.TestCase):
    maxDiff = None

    def assertSameAnswer(self, aws_answer, eddy_answer, what):
        self.assertEqual(normalise(aws_answer), normalise(without_newer_members(eddy_answer)), what)

    def test_seed_lab_verbatim(self):
        with EddyBroker() as broker:
            aws = AwsCli(broker)
            aws("create-stream", "--stream-name", "rabbit-kds", "--shard-count", "1")
            put = aws("put-record", "--stream-name", "rabbit-kds", "--partition-key", "user1",
                      "--data", "user signup", "--cli-binary-format", "raw-in-base64-out")
            self.assertEqual(put["ShardId"], "shardId-000000000000")
            iterator = aws("get-shard-iterator", "--stream-name", "rabbit-kds", "--shard-id",
                           "shardId-000000000000", "--shard-iterator-type",
                           "TRIM_HORIZON")["ShardIterator"]
            records = aws("get-records", "--shard-iterator", iterator)["Records"]
            self.assertEqual(len(records), 1)
            self.assertEqual(base64.b64decode(records[0]["Data"]), b"user signup")
            self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
            self.assertEqual(records[0]["PartitionKey"], "user1")
            # The record the CLI wrote over HTTP reads back the same over gRPC.
            grpc_iterator = eddy_json(broker, "get-shard-iterator", "--stream-name", "rabbit-kds",
                                      "--shard-id", "shardId-000000000000",
                                      "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
            grpc_records = eddy_json(broker, "get-records", "--shard-iterator",
                                     grpc_iterator)["Records"]
            self.assertSameAnswer(records, grpc_records, "get-records")

    def test_control_plane_matches_eddy(self):
        with EddyBroker() as broker:
            aws = AwsCli(broker)
            aws("create-stream", "--stream-name", "lab", "--shard-count", "2")
            self.assertSameAnswer(aws("list-streams", "--no-paginate"), eddy_json(broker, "list-streams"),
                                  "list-streams")
            self.assertSameAnswer(aws("describe-stream", "--stream-name", "lab", "--no-paginate"),
                                  eddy_json(broker, "describe-stream", "--stream-name", "lab"),
                                  "describe-stream")
            self.assertSameAnswer(
                aws("describe-stream-summary", "--stream-name", "lab"),
                eddy_json(broker, "describe-stream-summary", "--stream-name", "lab"),
                "describe-stream-summary")

            shards = aws("list-shards", "--stream-name", "lab")["Shards"]
            start = int(shards[0]["HashKeyRange"]["StartingHashKey"])
            end = int(shards[0]["HashKeyRange"]["EndingHashKey"])
            aws("split-shard", "--stream-name", "lab", "--shard-to-split",
                "shardId-000000000000", "--new-starting-hash-key", str((start + end) // 2))
            wait_for(lambda: aws("describe-stream-summary", "--stream-name", "lab")
                     ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", 20, "ACTIVE")
            aws("merge-shards", "--stream-name", "lab", "--shard-to-merge",
                "shardId-000000000002", "--adjacent-shard-to-merge", "shardId-000000000003")
            wait_for(lambda: aws("describe-stream-summary", "--stream-name", "lab")
                     ["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", 20, "ACTIVE")
            after = aws("list-shards", "--stream-name", "lab", "--no-paginate")
            self.assertEqual([s["ShardId"] for s in after["Shards"]],
                             [f"shardId-00000000000{i}" for i in range(5)])
            self.assertSameAnswer(after, eddy_json(broker, "list-shards", "--stream-name", "lab"),
                                  "list-shards after split and merge")

            arn = aws("describe-stream-summary", "--stream-name", "lab")[
                "StreamDescriptionSummary"]["StreamARN"]
            consumer = aws("register-stream-consumer", "--stream-arn", arn, "--consumer-name",
                           "c1")["Consumer"]
            self.assertEqual(consumer["ConsumerName"], "c1")
            wait_for(lambda: aws("describe-stream-consumer", "--consumer-arn",
                                 consumer["ConsumerARN"])["ConsumerDescription"]
                     ["ConsumerStatus"] == "ACTIVE", 20, "consumer ACTIVE")
            self.assertSameAnswer(
                aws("list-stream-consumers", "--stream-arn", arn, "--no-paginate"),
                eddy_json(broker, "list-stream-consumers", "--stream-arn", arn),
                "list-stream-consumers")
            aws("deregister-stream-consumer", "--consumer-arn", consumer["ConsumerARN"])

            aws("add-tags-to-stream", "--stream-name", "lab", "--tags", "team=rabbits,env=test")
            tags = aws("list-tags-for-stream", "--stream-name", "lab")
            self.assertEqual(tags["Tags"], [{"Key": "env", "Value": "test"},
                                            {"Key": "team", "Value": "rabbits"}])
            self.assertFalse(tags["HasMoreTags"])
            aws("remove-tags-from-stream", "--stream-name", "lab", "--tag-keys", "env")
            self.assertEqual(aws("list-tags-for-stream", "--stream-name", "lab")["Tags"],
                             [{"Key": "team", "Value": "rabbits"}])

            self.assertIn("ResourceNotFoundException",
                          aws.error("describe-stream", "--stream-name", "missing"))
            aws("delete-stream", "--stream-name", "lab")
            wait_for(lambda: aws("list-streams")["StreamNames"] == [], 20, "stream deleted")


if __name__ == "__main__":
    unittest.main()
