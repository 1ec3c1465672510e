#include "engine/postgres/target_file.h"

#include <utility>

namespace hasteward::engine::postgres {

namespace {

// $1 the file: its bytes, or exit 3 when it does not exist.
constexpr char kReadFile[] = "[ -e \"$1\" ] || exit 3; exec cat -- \"$1\"";
constexpr int kFileMissing = 3;

}  // namespace

// A file of the instance's data directory: through ReadDataFile where the platform offers it, else
// through a `cat` run where the instance lives (a pod's exec). A missing file is kNotFound.
core::Result<std::string> ReadTargetFile(platform::InstanceHandle& handle,
                                         const std::string& relative_path) {
  if (handle.capabilities().Has(platform::Capability::kDataDirFiles)) {
    return handle.ReadDataFile(relative_path);
  }
  HS_TRY(platform::InstanceHandle::CheckRelativeDataPath(relative_path));
  const std::string path = handle.instance().data_dir + "/" + relative_path;
  HS_ASSIGN_OR_RETURN(core::RunOutput out,
                      handle.Run({"sh", "-c", kReadFile, "hasteward-read", path}));
  if (out.status.exit_code == kFileMissing) {
    return core::NotFound("'" + path + "' does not exist");
  }
  if (!out.status.ok()) {
    return core::Internal("read '" + path + "' on '" + handle.instance().name +
                          "': " + out.status.Describe() + ": " + out.err.substr(0, 500));
  }
  return std::move(out.out);
}

}  // namespace hasteward::engine::postgres
