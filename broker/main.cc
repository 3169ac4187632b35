// eddy-broker: the Eddy stream service.
//
//   eddy-broker [--listen 127.0.0.1:4567] [--data-dir ./eddy-data] [--limits default|none]
//               [--sync wal|none] [--log-level info] [--ready-file PATH] [per-limit flags]
//
// docs/broker.md describes every flag.
//
// SIGTERM or SIGINT shuts it down cleanly: no new calls, in-flight writes finished.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "broker/server/server.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"eddy-broker: the Eddy stream service"};
  eddy::broker::BrokerServerOptions options;
  options.broker.data_dir = "./eddy-data";
  std::string limits = "default";
  std::string sync = "wal";
  std::string log_level = "info";
  std::string ready_file;
  eddy::broker::BrokerLimits custom;  // per-limit flags apply unless --limits=none
  app.add_option("--listen", options.listen_address, "host:port to serve on (port 0: any free)")
      ->capture_default_str();
  std::string kinesis_listen = "127.0.0.1:4568";
  app.add_option("--kinesis-listen", kinesis_listen,
                 "host:port of the Kinesis HTTP endpoint (HTTP/1.1, h2c, TLS; port 0: any free; "
                 "none: off)")
      ->capture_default_str();
  app.add_option("--tls-cert", options.kinesis.tls_cert_file,
                 "PEM certificate chain: the Kinesis endpoint also serves TLS (with --tls-key)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", options.kinesis.tls_key_file, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--kinesis-idle-timeout-ms", options.kinesis.limits.idle_timeout_millis,
                 "an HTTP connection with no request in progress is closed after this long")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--data-dir", options.broker.data_dir, "RocksDB directory")->capture_default_str();
  app.add_option("--limits", limits, "default: Kinesis throughput limits; none: lift them")
      ->check(CLI::IsMember({"default", "none"}))
      ->capture_default_str();
  app.add_option("--sync", sync,
                 "wal: acknowledge puts once synced to the WAL; none: before the sync")
      ->check(CLI::IsMember({"wal", "none"}))
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--max-shards", custom.max_shards, "open shards allowed across all streams")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--shard-write-bytes-per-second", custom.write_bytes_per_second,
                 "write budget per shard (data + partition keys)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--shard-write-records-per-second", custom.write_records_per_second,
                 "write budget per shard in records")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--shard-read-bytes-per-second", custom.read_bytes_per_second,
                 "shared polling read budget per shard")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--shard-read-calls-per-second", custom.read_calls_per_second,
                 "GetRecords calls per shard per second")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--push-bytes-per-second", custom.push_bytes_per_second,
                 "enhanced fan-out budget per consumer per shard")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--tail-bytes-per-shard", custom.tail_bytes_per_shard,
                 "memory for each shard's newest records (push subscribers read it)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  eddy::broker::FanOutOptions& fanout = options.broker.fanout;
  app.add_option("--subscription-session-ms", fanout.session_millis,
                 "a SubscribeToShard session ends after this long")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--subscription-heartbeat-ms", fanout.heartbeat_millis,
                 "an idle subscription gets an empty event this often")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--subscription-takeover-ms", fanout.takeover_millis,
                 "a second subscription of a consumer+shard is refused for this long")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--consumer-activation-ms", fanout.consumer_activation_millis,
                 "a new consumer is CREATING this long, then ACTIVE")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--fanout-threads", fanout.threads, "threads pumping push subscriptions")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  eddy::broker::OnDemandOptions& on_demand = options.broker.on_demand;
  app.add_option("--on-demand-split-bytes-per-second", on_demand.split_bytes_per_second,
                 "ON_DEMAND streams: split a shard whose ingress stays above this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--on-demand-split-window-ms", on_demand.split_window_millis,
                 "… averaged over this window")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--on-demand-merge-bytes-per-second", on_demand.merge_bytes_per_second,
                 "ON_DEMAND streams: sibling shards below this are cold")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--on-demand-merge-quiet-ms", on_demand.merge_quiet_millis,
                 "… and are merged back after being cold this long")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--retention-check-interval-ms", options.broker.retention_check_interval_millis,
                 "how often expired records are deleted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--ready-file", ready_file,
                 "write the listening address to this file once serving");
  CLI11_PARSE(app, argc, argv);

  eddy::common::SetLogLevel(log_level);
  auto log = eddy::common::Logger("eddy.broker");
  options.broker.limits = custom;
  options.broker.limits.throughput_enforced = limits != "none";
  // Without a push budget, larger events carry a backlog with less overhead.
  if (limits == "none") fanout.max_event_bytes = 4 << 20;
  options.broker.sync = sync == "wal";
  options.kinesis_enabled = kinesis_listen != "none";
  options.kinesis.listen_address = kinesis_listen;

  // Signals are taken by one thread with sigwait, never by a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = eddy::broker::BrokerServer::Start(options);
  if (!server.ok()) {
    log->critical("cannot start: {}", server.status().ToString());
    return 1;
  }
  log->info("eddy-broker listening on {} (gRPC) and {} (Kinesis HTTP) (data {}, limits {}, sync {})",
            (*server)->address(),
            options.kinesis_enabled ? (*server)->kinesis_address() : std::string("nowhere"),
            options.broker.data_dir, limits, sync);
  if (!ready_file.empty()) {
    const std::string temp = ready_file + ".tmp";
    std::ofstream(temp) << (*server)->address() << "\n"
                        << "kinesis=" << (*server)->kinesis_address() << "\n";
    std::rename(temp.c_str(), ready_file.c_str());  // readers never see a partial file
  }
  std::thread waiter([&] {
    int received = 0;
    sigwait(&signals, &received);
    log->info("signal {} received, shutting down", received);
    (*server)->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  server->reset();
  log->info("eddy-broker stopped");
  return 0;
}
