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

std::optional<uint64_t> ProcessStartTicks(pid_t pid) {
  // Not an ifstream: a process that exits mid-read fails the read with ESRCH, which libstdc++'s
  // filebuf throws through an istreambuf_iterator; here it is just a process that is gone.
  auto read = core::ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!read.ok())
    return std::nullopt;
  const std::string& text = *read;
  auto paren = text.rfind(')');
  if (paren == std::string::npos)
    return std::nullopt;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  // After "pid (comm) " come state (field 3) ... starttime (field 22): skip 19 fields.
  for (int i = 3; i < 22; ++i)
    rest >> field;
  uint64_t ticks = 0;
  if (!(rest >> ticks))
    return std::nullopt;
  return ticks;
}

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
  auto now_ticks = ProcessStartTicks(static_cast<pid_t>(pid));
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
