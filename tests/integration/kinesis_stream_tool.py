#!/usr/bin/env python3
"""boto3 (Debian python3-boto3), not Eddy, making and filling a stream on any Kinesis
endpoint, so that a third party's client writes what Eddy's workers consume.

    kinesis_stream_tool.py ENDPOINT_URL create STREAM SHARDS
    kinesis_stream_tool.py ENDPOINT_URL put STREAM COUNT KEYS KEY_PREFIX [FIRST]
    kinesis_stream_tool.py ENDPOINT_URL split STREAM SHARD_ID

`put` writes records as `eddy produce` does ("eddy-produce|<key>|<counter>|", keys
<prefix>0 … <prefix>KEYS-1 in turn, each key's counter 0, 1, …; with FIRST, records FIRST …
FIRST+COUNT-1 of that sequence, to go on where an earlier put stopped): every PutRecords call holds
at most one record per key and its failed entries are retried before the next call, so each
key's records are acknowledged in counter order. Credentials and region come from the
environment."""
import os
import sys
import time

import boto3


def client(endpoint):
    # Debian's botocore reads AWS_DEFAULT_REGION only; Eddy (like newer SDKs) AWS_REGION too.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.client("kinesis", endpoint_url=endpoint, region_name=region)


def create(kinesis, stream, shards):
    kinesis.create_stream(StreamName=stream, ShardCount=int(shards))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            print(summary["StreamARN"])
            return
        time.sleep(0.05)
    sys.exit(f"stream {stream} not ACTIVE after 30 s")


def put(kinesis, stream, count, keys, prefix, first="0"):
    count, keys, first = int(count), int(keys), int(first)
    end = first + count
    for start in range(first, end, keys):
        pending = [{"Data": f"eddy-produce|{prefix}{i % keys}|{i // keys}|".encode(),
                    "PartitionKey": f"{prefix}{i % keys}"}
                   for i in range(start, min(start + keys, end))]
        for attempt in range(50):
            answer = kinesis.put_records(StreamName=stream, Records=pending)
            pending = [record for record, result in zip(pending, answer["Records"])
                       if "ErrorCode" in result]
            if not pending:
                break
            time.sleep(0.02 * (attempt + 1))
        if pending:
            sys.exit(f"{len(pending)} records still failing after 50 attempts")


def split(kinesis, stream, shard_id):
    """Splits the shard at the middle of its hash key range; waits for ACTIVE again."""
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    shard = next(s for s in shards if s["ShardId"] == shard_id)
    low = int(shard["HashKeyRange"]["StartingHashKey"])
    high = int(shard["HashKeyRange"]["EndingHashKey"])
    kinesis.split_shard(StreamName=stream, ShardToSplit=shard_id,
                        NewStartingHashKey=str((low + high) // 2 + 1))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    sys.exit(f"stream {stream} not ACTIVE 30 s after the split")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    endpoint, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    kinesis = client(endpoint)
    if command == "create" and len(args) == 2:
        create(kinesis, *args)
    elif command == "put" and len(args) in (4, 5):
        put(kinesis, *args)
    elif command == "split" and len(args) == 2:
        split(kinesis, *args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
