// Recovery point zero (issue #52) on a real three-node Galera sandbox: `archive binlog --sync`
// follows one Synced node (the archive's source) and makes it wait for the repository; a writer
// commits ids through that node. The followed node is killed with kill -9 under the writer: the
// receiver follows another node (a Galera node change) and makes that one wait, and the writer
// moves there. Then the writer stops and the receiver is killed with kill -9: every acknowledged
// commit is in the repository — the recoverable window after the base counts at least as many
// transactions as were acknowledged (each insert is one), the receiver's streamed tail included.
#include <csignal>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/fd.h"
#include "core/poll_until.h"
#include "core/subprocess.h"
#include "core/tcp_probe.h"
#include "support/command.h"
#include "support/hasteward_env.h"
#include "support/mariadb_set_writer.h"
#include "support/sandbox_cluster.h"
#include "support/story_suite.h"

namespace hasteward::testing {
namespace {

constexpr int kNodes = 3;

class GaleraBinlogReceiverTest : public StorySuite<GaleraBinlogReceiverTest> {
 public:
  static SandboxCluster::Options Story() {
    return {.engine = platform::EngineKind::kGalera, .instances = kNodes, .name = "", .ns = "gr"};
  }
  static constexpr const char* kTempPrefix = "hs-galera-receive-";
  static void Seed() {
    Sql(0,
        "CREATE DATABASE drill; CREATE TABLE drill.ids (seq BIGINT AUTO_INCREMENT PRIMARY KEY, "
        "id BIGINT NOT NULL)");
  }

 protected:
  void TearDown() override {
    if (writer_ != nullptr) {
      for (int i = 0; i < kNodes; ++i) {
        if (core::TcpAccepts("127.0.0.1", sc_->instance(i).port)) {
          (void)sc_->Sql(i, "SET GLOBAL rpl_semi_sync_master_enabled = OFF");
        }
      }
      writer_->Stop();
    }
    if (receiver_ != nullptr) {
      ::kill(receiver_->pid(), SIGKILL);
      receiver_->Wait();
    }
  }

  static std::vector<std::string> Scope() {
    return {"-e", "galera", "-c", sc_->cluster().name, "-n", "gr"};
  }

  void StartReceiver() {
    core::SubprocessOptions options;
    options.argv = {HastewardBin(), "archive", "binlog", "--sync", "--json"};
    for (const auto& flag : Scope()) {
      options.argv.push_back(flag);
    }
    options.env_set = hs_->vars();
    options.stdout_mode = core::StdioMode::kFile;
    options.stdout_file = hs_->Path("receiver.out");
    options.stderr_mode = core::StdioMode::kFile;
    options.stderr_file = hs_->Path("receiver.err");
    auto started = core::Subprocess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    receiver_ = std::move(*started);
  }

  static std::string ReceiverErr() {
    auto text = core::ReadFileToString(hs_->Path("receiver.err"));
    return text.ok() ? *text : "";
  }

  // The node the receiver reported last, once it makes that node wait for it (-1: none in time).
  int FollowedNode(const std::string& other_than = "") {
    int followed = -1;
    core::PollUntil(
        [&] {
          auto out = core::ReadFileToString(hs_->Path("receiver.out"));
          if (!out.ok()) {
            return false;
          }
          const size_t last = out->rfind("{\"", out->size() > 1 ? out->size() - 2 : 0);
          if (last == std::string::npos) {
            return false;
          }
          auto line = nlohmann::json::parse(out->substr(last), nullptr, false);
          const std::string writer = line.is_object() ? line.value("writer", "") : "";
          if (writer.empty() || writer == other_than || !line.value("synchronous", false)) {
            return false;
          }
          for (int i = 0; i < kNodes; ++i) {
            if (sc_->instance(i).name == writer) {
              followed = i;
            }
          }
          return followed >= 0;
        },
        std::chrono::seconds(90), std::chrono::milliseconds(200));
    return followed;
  }

  void WriteThrough(int node) {
    MariadbSetWriter::Options options;
    options.endpoints = {{"127.0.0.1", sc_->instance(node).port}};
    options.user =
        sc_->cluster().credentials.user.empty() ? "root" : sc_->cluster().credentials.user;
    options.password = sc_->password();
    options.table = "drill.ids";
    writer_ = std::make_unique<MariadbSetWriter>(options);
    writer_->Start();
  }

  void Kill9(int node) {
    const platform::Instance& instance = sc_->instance(node);
    const std::string dir = instance.data_dir.substr(0, instance.data_dir.rfind('/'));
    auto pid = core::ReadFileToString(dir + "/mariadbd.pid");
    ASSERT_TRUE(pid.ok()) << pid.status().ToString();
    RunCommand({"kill", "-9", pid->substr(0, pid->find('\n'))});
    ASSERT_TRUE(core::PollUntil([&] { return !core::TcpAccepts("127.0.0.1", instance.port); },
                                std::chrono::seconds(20)));
  }

  std::unique_ptr<core::Subprocess> receiver_;
  std::unique_ptr<MariadbSetWriter> writer_;
};

TEST_F(GaleraBinlogReceiverTest, TheReceiverFollowsANodeChangeAndTheRepositoryHoldsEveryCommit) {
  std::vector<std::string> backup = {"backup", "--method", "native"};
  for (const auto& flag : Scope()) {
    backup.push_back(flag);
  }
  auto based = hs_->Run(backup);
  ASSERT_EQ(based.exit_code, 0) << based.out << based.err;
  StartReceiver();
  const int first = FollowedNode();
  ASSERT_GE(first, 0) << ReceiverErr();
  WriteThrough(first);
  ASSERT_TRUE(writer_->WaitForAcknowledged(200, std::chrono::seconds(120))) << ReceiverErr();

  // A Galera node change: the followed node dies under the writer.
  Kill9(first);
  writer_->Stop();
  long acknowledged = static_cast<long>(writer_->acknowledged().size());
  const int second = FollowedNode(sc_->instance(first).name);
  ASSERT_GE(second, 0) << ReceiverErr();
  WriteThrough(second);
  ASSERT_TRUE(writer_->WaitForAcknowledged(200, std::chrono::seconds(120))) << ReceiverErr();

  // The writer stops (its last commit waited for the receiver), then the receiver dies with
  // pieces not yet in a snapshot.
  writer_->Stop();
  acknowledged += static_cast<long>(writer_->acknowledged().size());
  ::kill(receiver_->pid(), SIGKILL);
  receiver_->Wait();
  receiver_.reset();

  std::vector<std::string> status = {"pitr", "status", "--json"};
  for (const auto& flag : Scope()) {
    status.push_back(flag);
  }
  auto read = hs_->Run(status);
  ASSERT_EQ(read.exit_code, 0) << read.out << read.err;
  auto json = nlohmann::json::parse(read.out, nullptr, false);
  ASSERT_TRUE(json.is_object() && !json["bases"].empty()) << read.out;
  const auto& window = json["bases"].back();
  std::printf("acknowledged %ld, archived after the base %lld, streamed pieces %lld\n",
              acknowledged, static_cast<long long>(window.value("transactions", int64_t{0})),
              static_cast<long long>(json["streamed"].value("pieces", int64_t{0})));
  EXPECT_GE(window.value("transactions", int64_t{0}), acknowledged) << read.out;
  EXPECT_TRUE(window["gap"].is_null()) << read.out;
}

}  // namespace
}  // namespace hasteward::testing
