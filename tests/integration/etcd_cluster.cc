#include "tests/integration/etcd_cluster.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "etcd/etcdserverpb/rpc.grpc.pb.h"
#include "tests/integration/peer_servers.h"

namespace eddy::testing {

EtcdCluster::EtcdCluster(std::string dir, int members, std::string extra_host)
    : dir_(std::move(dir)), extra_host_(std::move(extra_host)), members_(members) {
  std::filesystem::create_directories(dir_);  // the members' output files go here
  for (Member& member : members_) member.process = std::make_unique<BackgroundProcess>();
}

EtcdCluster::~EtcdCluster() {
  for (Member& member : members_) {
    if (member.process->running()) member.process->Stop(SIGKILL);
  }
}

std::string EtcdCluster::endpoint(int member, const std::string& host) const {
  return absl::StrCat(host, ":", members_[member].client_port);
}

std::vector<std::string> EtcdCluster::endpoints(const std::string& host) const {
  std::vector<std::string> all;
  for (int i = 0; i < size(); ++i) all.push_back(endpoint(i, host));
  return all;
}

void EtcdCluster::Launch(int i) {
  std::vector<std::string> initial;
  for (int j = 0; j < size(); ++j) {
    initial.push_back(absl::StrCat("m", j, "=http://127.0.0.1:", members_[j].peer_port));
  }
  const std::string client = absl::StrCat("http://127.0.0.1:", members_[i].client_port);
  std::string listen = client;
  if (!extra_host_.empty()) {
    absl::StrAppend(&listen, ",http://", extra_host_, ":", members_[i].client_port);
  }
  const std::string peer = absl::StrCat("http://127.0.0.1:", members_[i].peer_port);
  // A folder per start attempt: members that retried on other ports must not meet the
  // bootstrap of the earlier ones.
  const std::string data = absl::StrCat(dir_, "/attempt-", attempt_, "/m", i);
  members_[i].process->Start(
      FindProgram("etcd"),
      {"--name", absl::StrCat("m", i), "--data-dir", data, "--listen-client-urls", listen,
       "--advertise-client-urls", client, "--listen-peer-urls", peer,
       "--initial-advertise-peer-urls", peer, "--initial-cluster", absl::StrJoin(initial, ","),
       "--initial-cluster-token", absl::StrCat("eddy-test-", attempt_), "--log-level", "warn"},
      {}, absl::StrCat(dir_, "/m", i, "-", attempt_));
}

bool EtcdCluster::WaitServing(int i) {
  return WaitFor(
             [&] {
               return !members_[i].process->Alive() ||
                      ListensOn(members_[i].process->pid(), members_[i].client_port);
             },
             std::chrono::seconds(30)) &&
         members_[i].process->Alive();
}

bool EtcdCluster::Start() {
  if (FindProgram("etcd").empty()) {
    ADD_FAILURE() << "etcd is not installed: run scripts/bootstrap (scripts/test does)";
    return false;
  }
  std::string why;
  for (attempt_ = 0; attempt_ < 3; ++attempt_) {
    for (Member& member : members_) {
      member.client_port = FreePort();
      member.peer_port = FreePort();
    }
    for (int i = 0; i < size(); ++i) Launch(i);
    bool all = true;
    for (int i = 0; i < size() && all; ++i) all = WaitServing(i);
    if (all && WaitFor([&] { return Leader() >= 0; }, std::chrono::seconds(30))) return true;
    for (Member& member : members_) {
      why += member.process->Err();
      member.process->Stop(SIGKILL);
    }
  }
  ADD_FAILURE() << "etcd cluster did not start: " << why;
  return false;
}

void EtcdCluster::Kill(int i) { members_[i].process->Stop(SIGKILL); }

bool EtcdCluster::Restart(int i) {
  Launch(i);
  const bool up = WaitServing(i);
  EXPECT_TRUE(up) << "etcd member " << i << " did not come back: " << members_[i].process->Err();
  return up;
}

int EtcdCluster::Leader() const {
  for (int i = 0; i < size(); ++i) {
    if (!members_[i].process->running()) continue;
    auto channel = grpc::CreateChannel(endpoint(i), grpc::InsecureChannelCredentials());
    auto stub = etcdserverpb::Maintenance::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    etcdserverpb::StatusResponse status;
    if (!stub->Status(&context, etcdserverpb::StatusRequest(), &status).ok()) continue;
    if (status.leader() == 0) continue;
    if (status.leader() == status.header().member_id()) return i;
  }
  return -1;
}

}  // namespace eddy::testing
