#include "platform/kubernetes/pod_exec.h"

#include <gtest/gtest.h>

#include "core/fd.h"
#include "support/fake_kube_admin_test.h"
#include "support/fake_kube_api.h"

namespace hasteward::platform::kubernetes {
namespace {

using testing::FakeKubeApi;
using testing::FakeKubeApiOptions;
using testing::FakeKubeFault;

class PodExecTest : public testing::FakeKubeAdminTest {
 protected:
  void Start(FakeKubeApiOptions options = {}) {
    ASSERT_NO_FATAL_FAILURE(StartApi(std::move(options)));
    ASSERT_TRUE(api_->CreateForTest({{"apiVersion", "v1"},
                                     {"kind", "Pod"},
                                     {"metadata", {{"name", "db-0"}}},
                                     {"spec", {{"containers", {{{"name", "db"}}}}}}})
                    .ok());
  }
  ExecRequest Request(std::vector<std::string> command) {
    return {"default", "db-0", "", std::move(command), false};
  }
};

TEST_F(PodExecTest, StreamsStdinThroughTheCommandToStdout) {
  Start();
  std::string input(3 << 20, 'x');
  for (size_t index = 0; index < input.size(); index += 4096) {
    input[index] = static_cast<char>('a' + index % 26);
  }
  core::MemorySource source(core::Bytes(input.begin(), input.end()));
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"cat"}), &source, &sink);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(core::AsString(sink.data()), input);
}

TEST_F(PodExecTest, NonZeroExitIsDumpFailedWithTheStderrTail) {
  Start();
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"sh", "-c", "echo partial; echo broken >&2; exit 3"}),
                       nullptr, &sink);
  ASSERT_FALSE(exit.ok());
  EXPECT_EQ(exit.status().code(), core::ErrorCode::kDumpFailed);
  EXPECT_NE(exit.status().message().find("status 3"), std::string::npos);
  EXPECT_NE(exit.status().message().find("broken"), std::string::npos);
}

TEST_F(PodExecTest, SourceEndsWithAnErrorWhenTheCommandFails) {
  Start();
  auto exec = PodExec::Start(*client_, Request({"sh", "-c", "printf data; exit 4"}));
  ASSERT_TRUE(exec.ok()) << exec.status().ToString();
  PodExecSource source(std::move(exec).value());
  uint8_t buf[64];
  auto first = source.Read(buf);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(core::AsString(std::span(buf).first(*first)), "data");
  auto end = source.Read(buf);
  ASSERT_FALSE(end.ok()) << "a failed dump must not look like a short complete stream";
  EXPECT_EQ(end.status().code(), core::ErrorCode::kDumpFailed);
}

TEST_F(PodExecTest, MissingStatusIsAnErrorNeverSuccess) {
  Start();
  api_->SetFaultForTest(FakeKubeFault::kExecOmitsStatus, true);
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"sh", "-c", "echo fine"}), nullptr, &sink);
  ASSERT_FALSE(exit.ok());
  EXPECT_NE(exit.status().message().find("without an exit status"), std::string::npos);
}

TEST_F(PodExecTest, FallsBackToV4AndRefusesToCloseStdinThere) {
  FakeKubeApiOptions options;
  options.exec_protocols = {"v4.channel.k8s.io"};
  Start(options);
  core::MemorySink sink;
  auto exit = RunInPod(*client_, Request({"echo", "v4"}), nullptr, &sink);
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(core::AsString(sink.data()), "v4\n");
  auto exec = PodExec::Start(*client_, {"default", "db-0", "", {"cat"}, true});
  ASSERT_TRUE(exec.ok());
  EXPECT_EQ((*exec)->protocol(), ExecProtocol::kV4);
  EXPECT_FALSE((*exec)->CloseStdin().ok());
}

TEST_F(PodExecTest, MissingPodIsNotFound) {
  Start();
  auto exec = PodExec::Start(*client_, {"default", "db-9", "", {"true"}, false});
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.status().code(), core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
