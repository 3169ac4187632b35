// The AWS aggregation library (npm aws-kinesis-agg) as a command-line tool for the tests,
// so that Eddy's aggregates are judged by AWS's own code and not only by ours.
//
//   node kinesis_agg.js aggregate RECORDS KEYS
//       aggregates RECORDS user records over KEYS partition keys ("key-0" …; data
//       "eddy-produce|<key>|<counter>|", counters 0, 1, … per key, keys taken in turn) the
//       way Lambda and Node producers do, and prints each encoded Kinesis record as a JSON
//       line {"PartitionKey": …, "Data": base64}.
//   node kinesis_agg.js deaggregate
//       reads JSON lines {"PartitionKey", "SequenceNumber", "Data": base64} from stdin,
//       de-aggregates each (checksums checked) and prints one JSON line per user record
//       {"PartitionKey", "ExplicitHashKey", "SubSequenceNumber", "Data": base64}; an error
//       is printed as {"Error": message} and exits 1.
'use strict';
const agg = require('aws-kinesis-agg');
const readline = require('readline');

function aggregate(count, keys) {
  const records = [];
  const next = new Array(keys).fill(0);
  for (let i = 0; i < count; ++i) {
    const k = i % keys;
    const key = `key-${k}`;
    records.push({partitionKey: key, data: Buffer.from(`eddy-produce|${key}|${next[k]++}|`)});
  }
  agg.aggregate(
      records,
      (encoded, callback) => {
        process.stdout.write(JSON.stringify({
          PartitionKey: encoded.partitionKey,
          Data: Buffer.from(encoded.data).toString('base64'),
        }) + '\n');
        callback();
      },
      () => {},
      (error) => {
        process.stdout.write(JSON.stringify({Error: String(error)}) + '\n');
        process.exit(1);
      });
}

function deaggregate() {
  const lines = readline.createInterface({input: process.stdin});
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const record = JSON.parse(line);
    const payload = {
      kinesis: {
        partitionKey: record.PartitionKey,
        sequenceNumber: record.SequenceNumber || '1',
        data: record.Data,
      },
    };
    agg.deaggregateSync(payload.kinesis, true, (error, users) => {
      if (error) {
        process.stdout.write(JSON.stringify({Error: String(error)}) + '\n');
        process.exit(1);
      }
      for (const user of users) {
        process.stdout.write(JSON.stringify({
          PartitionKey: user.partitionKey,
          ExplicitHashKey: user.explicitPartitionKey || '',
          SubSequenceNumber: user.subSequenceNumber,
          Data: user.data,
        }) + '\n');
      }
    });
  });
}

const [command, a, b] = process.argv.slice(2);
if (command === 'aggregate') {
  aggregate(Number(a), Number(b));
} else if (command === 'deaggregate') {
  deaggregate();
} else {
  process.stderr.write('usage: kinesis_agg.js aggregate RECORDS KEYS | deaggregate\n');
  process.exit(2);
}
