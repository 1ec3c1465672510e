// The shared platform conformance suite (tests/platform/platform_conformance_test.cpp holds the
// TEST_Ps). Every registered platform instantiates it with a PlatformFactory that brings up one
// real single-instance PostgreSQL cluster on that platform:
//   INSTANTIATE_TEST_SUITE_P(Local, PlatformConformanceTest, ::testing::Values(LocalFactory()),
//                            PlatformFactoryName);
// Kubernetes (against a fake API server) instantiates it the same way.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "core/status.h"
#include "platform/capabilities.h"
#include "platform/platform.h"

namespace hasteward::platform::testing {

// One live cluster on one platform, kept for the whole suite (a server start costs seconds).
class PlatformFixture {
 public:
  virtual ~PlatformFixture() = default;
  virtual Platform& platform() = 0;
  // A PostgreSQL cluster whose instance 0 is running.
  virtual const Cluster& cluster() const = 0;
  // The OS user commands run by Exec must run as.
  virtual std::string expected_os_user() const = 0;
};

struct PlatformFactory {
  std::string name;  // the registry name; gtest-safe (letters and digits)
  Capabilities expected_capabilities;
  std::function<core::Result<std::unique_ptr<PlatformFixture>>()> make;
  // Platforms whose instances are operator-owned (no can-start-stop): the owner that lifecycle
  // and data-directory calls must name in their Unsupported (kUsage) answer.
  std::string lifecycle_owner;
};

inline void PrintTo(const PlatformFactory& f, std::ostream* os) {
  *os << f.name;
}

inline std::string PlatformFactoryName(const ::testing::TestParamInfo<PlatformFactory>& info) {
  return info.param.name;
}

class PlatformConformanceTest : public ::testing::TestWithParam<PlatformFactory> {
 protected:
  void SetUp() override;
  // Tears the suite's fixtures down.
  static void TearDownTestSuite();

  PlatformFixture& fixture() { return *fixture_; }
  Platform& platform() { return fixture_->platform(); }
  const Cluster& cluster() const { return fixture_->cluster(); }
  // A handle on instance 0 of cluster().
  std::unique_ptr<InstanceHandle> OpenFirst();
  // Checks that `status` is the Unsupported answer of an operator-owned instance: kUsage naming
  // the factory's lifecycle_owner.
  void ExpectUnsupported(const core::Status& status, const std::string& call);

 private:
  PlatformFixture* fixture_ = nullptr;
};

}  // namespace hasteward::platform::testing
