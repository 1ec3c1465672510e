#include "storage/delete_probe.h"

namespace hasteward::storage {

// Why delete a name that does not exist instead of writing a file and deleting it: under
// append-only credentials that file could not be deleted again and would stay behind (in index/
// or snapshots/ an undecodable file breaks stock restic). A delete of a missing name changes
// nothing either way, and both append-only forms judge the rights before they look for the
// file: rest-server --append-only answers 403 to any DELETE outside locks/, and S3 evaluates the
// bucket policy before the key (AccessDenied), while with delete rights both answer as for any
// missing file (404 / 204), which Remove reports as ok. Why these directories and not locks/:
// both forms allow deleting locks (every reader and writer must remove its own), so a lock
// proves nothing; the probe asks in the directories the command itself will delete from.
core::Status ProbeDeleteRights(Backend& backend, const std::vector<FileType>& types,
                               const std::string& command) {
  for (FileType type : types) {
    core::Status removed = backend.Remove(Handle{type, kDeleteProbeName});
    if (IsDeleteRefused(removed)) {
      return removed.Wrap(command + " must delete files in '" + FileTypeDir(type) +
                          "/' and the storage refused a test delete there; nothing was changed");
    }
    HS_TRY(removed);
  }
  return core::Status::Ok();
}

}  // namespace hasteward::storage
