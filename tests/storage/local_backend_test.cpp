// Conformance of the local filesystem backend.
#include "storage/local/local_backend.h"

#include <csignal>
#include <memory>

#include <sys/resource.h>

#include "core/temp_dir.h"
#include "storage/backend_conformance.h"

namespace hasteward::storage::testing {
namespace {

// A LocalBackend whose Save runs under a 1 MiB file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored),
// so a larger upload fails with EFBIG part way through writing: a real, OS-made failure.
class FileSizeLimitedBackend : public LocalBackend {
 public:
  using LocalBackend::LocalBackend;
  core::Status Save(const Handle& h, core::ByteView data) override {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit lim = old;
    lim.rlim_cur = 1 << 20;
    setrlimit(RLIMIT_FSIZE, &lim);
    auto st = LocalBackend::Save(h, data);
    setrlimit(RLIMIT_FSIZE, &old);
    return st;
  }
};

BackendFactory LocalFactory() {
  auto dir = std::make_shared<std::string>();
  BackendFactory f;
  f.name = "Local";
  f.make = [dir]() -> std::unique_ptr<Backend> {
    static std::unique_ptr<core::TempDir> tmp;  // one per test process (gtest_discover_tests)
    auto t = core::TempDir::Create("hs-local-conformance-");
    if (!t.ok())
      return nullptr;
    tmp = std::make_unique<core::TempDir>(std::move(*t));
    *dir = tmp->path() + "/repo";
    return std::make_unique<LocalBackend>(*dir);
  };
  f.make_failing_writer = [dir]() -> std::unique_ptr<Backend> {
    return std::make_unique<FileSizeLimitedBackend>(*dir);
  };
  return f;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Local, BackendConformanceTest, ::testing::Values(LocalFactory()),
                         BackendFactoryName);

}  // namespace hasteward::storage::testing
