// Starts kinesalite (the npm Kinesis implementation) on 127.0.0.1 only — its command line
// listens on every interface. Usage: node kinesalite-loopback.js PORT LEVELDB_DIR
const kinesalite = require('kinesalite');
const [port, path] = process.argv.slice(2);
const server = kinesalite({ path, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`kinesalite listening on 127.0.0.1:${port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
