#include "verify/orphans.h"

#include <sstream>

#include <dirent.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/process_info.h"
#include "verify/scratch_instance.h"

namespace hasteward::verify {

namespace {

// A run directory without an owner file is left alone while it is this young: its owner may be
// between mkdir and writing the file.
constexpr int64_t kOwnerlessGraceSeconds = 60;

bool OldEnough(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return false;
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 core::SystemClock::Get().Now().time_since_epoch())
                 .count();
  return now - st.st_mtime > kOwnerlessGraceSeconds;
}

}  // namespace

bool RunDirOwnerAlive(const std::string& run_dir) {
  auto text = core::ReadFileToString(run_dir + "/" + kOwnerFile);
  if (!text.ok())
    return !OldEnough(run_dir);
  std::istringstream in(*text);
  long long pid = 0;
  unsigned long long ticks = 0;
  in >> pid >> ticks;
  if (pid <= 0)
    return false;
  if (!core::ProcessAlive(static_cast<pid_t>(pid)))
    return false;
  auto now_ticks = core::ProcessStartTicks(static_cast<pid_t>(pid));
  return ticks == 0 || (now_ticks && *now_ticks == ticks);
}

core::Result<std::vector<std::string>> CleanupOrphans(const std::string& verify_root) {
  std::vector<std::string> removed;
  DIR* d = ::opendir(verify_root.c_str());
  if (d == nullptr)
    return removed;
  std::vector<std::string> dirs;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..")
      dirs.push_back(std::string(verify_root).append("/").append(name));
  }
  ::closedir(d);
  for (const auto& dir : dirs) {
    if (RunDirOwnerAlive(dir))
      continue;
    core::LogWarn("removing orphaned verification instance", {{"dir", dir}});
    HS_TRY(RemoveRunDir(dir));
    removed.push_back(dir);
  }
  return removed;
}

}  // namespace hasteward::verify
