#include "operator/runtime/repository_access.h"

#include "core/fd.h"
#include "storage/registry.h"

namespace hasteward::op {

core::Result<std::string> RepositoryPassword(const RepositorySpec& repository) {
  if (repository.secrets)
    return repository.secrets->password;
  if (repository.password_file.empty()) {
    return core::Usage("repository '" + repository.name + "' has no password",
                       "give passwordFile in the config or passwordSecretRef in the resource");
  }
  auto text = core::ReadFileToString(repository.password_file);
  if (!text.ok()) {
    return core::Usage("cannot read the password file of repository '" + repository.name + "'",
                       "check passwordFile in the config");
  }
  std::string password = std::move(text).value();
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
    password.pop_back();
  return password;
}

core::Result<std::unique_ptr<repo::Repository>> OpenManagedRepository(
    const RepositorySpec& repository) {
  HS_ASSIGN_OR_RETURN(std::string password, RepositoryPassword(repository));
  storage::OpenOptions options = storage::DefaultOpenOptions();
  if (repository.secrets)
    options.environment = repository.secrets->env;
  HS_ASSIGN_OR_RETURN(auto backend, storage::OpenBackend(repository.location, options));
  return repo::Repository::Open(std::move(backend), password);
}

}  // namespace hasteward::op
