// The fixture of the engine suites that share one sandbox cluster: SetUpTestSuite starts it once,
// each test gets a copy of its cluster description.
//
//   class MariadbEngineTest : public SharedSandboxTest<MariadbEngineTest> {
//    public:
//     static constexpr SandboxSpec kSandbox{EngineKind::kMariadb, 3, "engmy"};
//   };
#pragma once

#include <csignal>
#include <string>

#include <gtest/gtest.h>

#include "engine/engine_sandbox.h"

namespace hasteward::engine {

struct SandboxSpec {
  EngineKind engine;
  int instances;
  const char* name;
};

// `Suite` declares `static constexpr SandboxSpec kSandbox`. One sandbox per Suite.
template <typename Suite>
class SharedSandboxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::signal(SIGPIPE, SIG_IGN);
    auto s =
        EngineSandbox::Up(Suite::kSandbox.engine, Suite::kSandbox.instances, Suite::kSandbox.name);
    // Not an assertion here: gtest reports every test of a suite whose SetUpTestSuite failed as
    // "[  SKIPPED ]", and ctest counts that as skipped, not failed. SetUp fails each test instead.
    if (!s.ok()) {
      suite_error_ = s.status().ToString();
      return;
    }
    sandbox_ = std::move(s).value().release();
  }
  static void TearDownTestSuite() {
    delete sandbox_;
    sandbox_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(sandbox_, nullptr) << "the suite's sandbox did not start: " << suite_error_;
    cluster_ = sandbox_->cluster();
  }

  inline static std::string suite_error_;
  inline static EngineSandbox* sandbox_ = nullptr;
  platform::Cluster cluster_;
};

}  // namespace hasteward::engine
