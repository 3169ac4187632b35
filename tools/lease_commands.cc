// `eddy leases --application NAME [--coordinator URL] [--output table|json]`: the lease
// table of a consumer application, as the coordinator holds it (default: the broker at
// --endpoint).
#include <algorithm>
#include <iostream>

#include "absl/strings/str_join.h"
#include "tools/commands.h"
#include "tools/coordinator_url.h"

namespace eddy::tools {
namespace {

Json LeaseJson(const lease::Lease& lease) {
  Json json{{"LeaseKey", lease.key},
            {"LeaseOwner", lease.owner},
            {"LeaseCounter", lease.counter},
            {"Epoch", lease.epoch},
            {"Checkpoint", lease.checkpoint.ToString()},
            {"ParentShardIds", lease.parent_shard_ids},
            {"ChildShardIds", lease.child_shard_ids},
            {"HashKeyRange",
             {{"StartingHashKey", common::FormatUint128(lease.hash_range.start)},
              {"EndingHashKey", common::FormatUint128(lease.hash_range.end)}}},
            {"OwnerSwitchesSinceCheckpoint", lease.owner_switches_since_checkpoint}};
  if (lease.pending_checkpoint) json["PendingCheckpoint"] = lease.pending_checkpoint->ToString();
  return json;
}

// Prints rows as a fixed-width table, columns as wide as their widest cell.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
  std::cout.flush();
}

}  // namespace

void AddLeaseCommands(CLI::App& app, CliContext& context) {
  struct Args {
    std::string application, output = "table", coordinator;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("leases", "Show a consumer application's lease table");
  cmd->add_option("--application", args->application, "the application name")->required();
  cmd->add_option("--output", args->output, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--coordinator", args->coordinator,
                  "where the leases live: eddy://HOST:PORT (default: the broker at --endpoint), "
                  "etcd://HOST:PORT[,HOST:PORT...] or file://DIR");
  cmd->callback([&context, args] {
    context.run = [&context, args]() -> int {
      absl::StatusOr<CoordinatorUrl> url = ParseCoordinatorUrl(
          args->coordinator.empty() ? "eddy://" + context.endpoint : args->coordinator);
      if (!url.ok()) return ReportError(url.status(), "ListLeases", context);
      absl::StatusOr<std::unique_ptr<CoordinatorConnection>> coordinator = ConnectCoordinator(*url);
      if (!coordinator.ok()) return ReportError(coordinator.status(), "ListLeases", context);
      absl::StatusOr<std::vector<lease::Lease>> leases =
          (*coordinator)->Leases(args->application)->List();
      if (!leases.ok()) return ReportError(leases.status(), "ListLeases", context);
      if (args->output == "json") {
        Json all = Json::array();
        for (const lease::Lease& lease : *leases) all.push_back(LeaseJson(lease));
        PrintJson(Json{{"Application", args->application}, {"Leases", all}});
        return 0;
      }
      std::vector<std::vector<std::string>> rows = {
          {"SHARD", "OWNER", "COUNTER", "CHECKPOINT", "PARENTS", "CHILDREN"}};
      for (const lease::Lease& lease : *leases) {
        std::string position = lease.checkpoint.ToString();
        if (lease.pending_checkpoint) {
          position += " (pending " + lease.pending_checkpoint->ToString() + ")";
        }
        rows.push_back(
            {lease.key, lease.owner.empty() ? "-" : lease.owner, std::to_string(lease.counter),
             position,
             lease.parent_shard_ids.empty() ? "-" : absl::StrJoin(lease.parent_shard_ids, ","),
             lease.child_shard_ids.empty() ? "-" : absl::StrJoin(lease.child_shard_ids, ",")});
      }
      PrintTable(rows);
      return 0;
    };
  });
}

}  // namespace eddy::tools
