#include "cli/repo_access.h"

#include "storage/registry.h"

namespace hasteward::cli {

core::Result<std::unique_ptr<repo::Repository>> OpenRepository(const GlobalOptions& g) {
  HS_ASSIGN_OR_RETURN(std::string location, g.Repository());
  HS_ASSIGN_OR_RETURN(std::string password, g.Password());
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(location));
  return repo::Repository::Open(std::move(backend), password);
}

}  // namespace hasteward::cli
