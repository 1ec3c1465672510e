#include "cli/repo_access.h"

#include <chrono>
#include <cstdio>

#include "cli/json_messages.h"

namespace hasteward::cli {

core::Result<std::unique_ptr<repo::Repository>> OpenRepository(const GlobalOptions& g) {
  HS_ASSIGN_OR_RETURN(std::string location, g.Repository());
  HS_ASSIGN_OR_RETURN(std::string password, g.Password());
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location, BackendOptions(g)));
  return repo::Repository::Open(std::move(backend), password);
}

core::Result<std::unique_ptr<repo::Repository>> OpenReceiverRepository(const GlobalOptions& g) {
  constexpr std::chrono::seconds kStoreRetryBound{3};
  HS_ASSIGN_OR_RETURN(std::string location, g.Repository());
  HS_ASSIGN_OR_RETURN(std::string password, g.Password());
  storage::OpenOptions options = BackendOptions(g);
  options.retry_options.max_total = kStoreRetryBound;
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location, options));
  return repo::Repository::Open(std::move(backend), password);
}

storage::OpenOptions BackendOptions(const GlobalOptions& g) {
  storage::OpenOptions options = storage::DefaultOpenOptions();
  options.s3_credentials_file = g.s3_credentials_file;
  return options;
}

}  // namespace hasteward::cli

namespace hasteward::cli {

void ReportRequests(const GlobalOptions& g, repo::Repository& r) {
  storage::RequestCounts c = r.backend().Counts();
  auto u = [](uint64_t v) {
    return static_cast<unsigned long long>(v);
  };
  if (g.WantsJson()) {
    PrintJsonLine(stderr, RequestsMessage{.save = c.save,
                                          .load = c.load,
                                          .stat = c.stat,
                                          .list = c.list,
                                          .remove = c.remove,
                                          .retries = c.retries,
                                          .bytes_written = c.bytes_written,
                                          .bytes_read = c.bytes_read});
    return;
  }
  std::string loc = r.backend().Location();
  bool remote = loc.rfind("s3:", 0) == 0 || loc.rfind("rest:", 0) == 0;
  if (g.quiet || !remote)
    return;
  std::fprintf(stderr,
               "requests: %llu save, %llu load, %llu stat, %llu list, %llu remove, %llu retries\n",
               u(c.save), u(c.load), u(c.stat), u(c.list), u(c.remove), u(c.retries));
}

}  // namespace hasteward::cli
