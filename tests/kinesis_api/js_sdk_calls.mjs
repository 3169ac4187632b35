// @aws-sdk/client-kinesis v3 against eddy-broker's Kinesis endpoint (argv[2]): the lab by
// StreamARN alone, PutRecords, GetRecords, a consumer, and SubscribeToShard receiving records
// pushed live, across session ends (the broker runs with a short --subscription-session-ms)
// renewed from ContinuationSequenceNumber as the KCL does: nothing lost, nothing repeated.
// Exits non-zero with the reason on the first broken promise.
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(process.env.EDDY_INTEROP_DIR + "/package.json");
const {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, ListStreamsCommand,
  PutRecordsCommand, ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand,
  RegisterStreamConsumerCommand, DescribeStreamConsumerCommand, SubscribeToShardCommand,
} = require("@aws-sdk/client-kinesis");

const endpoint = process.argv[2];
const kinesis = new KinesisClient({
  endpoint, region: "us-east-1", maxAttempts: 3,
  credentials: { accessKeyId: "AKIDEDDYTEST", secretAccessKey: "eddy-secret" },
});

async function waitFor(what, condition, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

await kinesis.send(new CreateStreamCommand({ StreamName: "js", ShardCount: 1 }));
assert.deepEqual((await kinesis.send(new ListStreamsCommand({}))).StreamNames, ["js"]);
const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: "js" })))
  .StreamDescriptionSummary;
const StreamARN = summary.StreamARN;
assert.equal(summary.OpenShardCount, 1);
assert.ok(summary.StreamCreationTimestamp instanceof Date);

// Newer SDKs address a stream by its ARN alone.
const put = await kinesis.send(new PutRecordsCommand({
  StreamARN,
  Records: [0, 1, 2].map((i) => ({ Data: Buffer.from(`first-${i}`), PartitionKey: `k${i}` })),
}));
assert.equal(put.FailedRecordCount, 0);
const shards = (await kinesis.send(new ListShardsCommand({ StreamARN }))).Shards;
assert.deepEqual(shards.map((s) => s.ShardId), ["shardId-000000000000"]);
const iterator = (await kinesis.send(new GetShardIteratorCommand({
  StreamARN, ShardId: "shardId-000000000000", ShardIteratorType: "TRIM_HORIZON",
}))).ShardIterator;
const got = await kinesis.send(new GetRecordsCommand({ StreamARN, ShardIterator: iterator }));
assert.deepEqual(got.Records.map((r) => Buffer.from(r.Data).toString()),
  ["first-0", "first-1", "first-2"]);
assert.deepEqual(got.Records.map((r) => r.SequenceNumber), put.Records.map((r) => r.SequenceNumber));

const consumer = (await kinesis.send(new RegisterStreamConsumerCommand({
  StreamARN, ConsumerName: "js-consumer",
}))).Consumer;
await waitFor("consumer ACTIVE", async () => (await kinesis.send(
  new DescribeStreamConsumerCommand({ ConsumerARN: consumer.ConsumerARN })))
  .ConsumerDescription.ConsumerStatus === "ACTIVE");

// Subscribe, renew at every session end from the last continuation, and put records while
// subscribed: every record arrives once, in order, across at least two sessions.
const wanted = 40;
const seen = [];
let sessions = 0;
let position = { Type: "TRIM_HORIZON" };
let producing = null;
const deadline = Date.now() + 60_000;
while (seen.length < 3 + wanted) {
  assert.ok(Date.now() < deadline, `only ${seen.length} records after 60 s`);
  const subscription = await kinesis.send(new SubscribeToShardCommand({
    ConsumerARN: consumer.ConsumerARN, ShardId: "shardId-000000000000", StartingPosition: position,
  }));
  sessions++;
  if (!producing) {
    producing = (async () => {
      for (let i = 0; i < wanted; i++) {
        await kinesis.send(new PutRecordsCommand({
          StreamARN, Records: [{ Data: Buffer.from(`live-${i}`), PartitionKey: "live" }],
        }));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }
  for await (const event of subscription.EventStream) {
    const e = event.SubscribeToShardEvent;
    assert.ok(e, `unexpected event ${JSON.stringify(event)}`);
    for (const r of e.Records) seen.push(Buffer.from(r.Data).toString());
    assert.ok(e.ContinuationSequenceNumber, "an open shard's event has a continuation");
    assert.equal(typeof e.MillisBehindLatest, "number");
    position = { Type: "AFTER_SEQUENCE_NUMBER", SequenceNumber: e.ContinuationSequenceNumber };
    if (seen.length >= 3 + wanted) break;
  }
}
await producing;
const expected = ["first-0", "first-1", "first-2", ...Array.from({ length: wanted }, (_, i) => `live-${i}`)];
assert.deepEqual(seen, expected);
assert.ok(sessions >= 2, `the session never ended (${sessions} session)`);
console.log(JSON.stringify({ ok: true, sessions, records: seen.length }));
process.exit(0);
