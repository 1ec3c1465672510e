#include "storage/registry.h"

#include "storage/local/local_backend.h"

namespace hasteward::storage {

core::Result<std::unique_ptr<Backend>> OpenBackend(const std::string& location) {
  if (location.empty()) {
    return core::Usage("no repository given",
                       "pass --backups-path or set HASTEWARD_BACKUPS_PATH or RESTIC_REPOSITORY");
  }
  std::string path = location;
  if (path.rfind("local:", 0) == 0) {
    path = path.substr(6);
  } else if (auto colon = path.find(':'); colon != std::string::npos && path[0] != '/' &&
                                          path.find('/') > colon) {
    return core::Usage("unsupported repository location '" + location + "'",
                       "use a path, local:/path, s3:http(s)://host/bucket/prefix or rest:http://host/");
  }
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(path));
}

}  // namespace hasteward::storage
