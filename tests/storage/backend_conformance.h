// The shared backend conformance suite (tests/storage/backend_conformance_test.cpp holds the
// TEST_Ps). Every driver instantiates it with a BackendFactory:
//   INSTANTIATE_TEST_SUITE_P(Local, BackendConformanceTest, ::testing::Values(MakeLocalFactory()),
//                            BackendFactoryName);
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "core/byte_stream.h"
#include "storage/backend.h"

namespace hasteward::storage::testing {

// Makes backends onto one fresh, empty repository per test.
struct BackendFactory {
  std::string name;  // gtest-safe: letters and digits only
  // Called once per test: a backend for a new repository (not yet Create()d).
  std::function<std::unique_ptr<Backend>()> make;
  // Optional, called after make(): a backend onto the SAME repository whose uploads fail part way
  // (e.g. through a proxy that resets the connection mid-body). Used by the atomicity test.
  std::function<std::unique_ptr<Backend>()> make_failing_writer;
};

inline void PrintTo(const BackendFactory& f, std::ostream* os) {
  *os << f.name;
}

inline std::string BackendFactoryName(const ::testing::TestParamInfo<BackendFactory>& info) {
  return info.param.name;
}

// An object named by the SHA-256 of its content (as every restic file but config is).
struct TestObject {
  Handle handle;
  core::Bytes data;
};

// `size` pseudo-random bytes from `seed`, named by their hash.
TestObject MakeTestObject(FileType type, size_t size, uint32_t seed);

class BackendConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;

  std::unique_ptr<Backend> backend_;
};

}  // namespace hasteward::storage::testing
