#include "verify/scratch_instance.h"

#include <chrono>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fd.h"
#include "core/log.h"
#include "core/process_info.h"
#include "core/temp_dir.h"
#include "platform/registry.h"
#include "platform/sandbox.h"
#include "platform/state_dir.h"
#include "verify/orphans.h"

namespace hasteward::verify {

namespace {

constexpr std::chrono::seconds kKillGrace{5};

core::Status WriteOwner(const std::string& dir) {
  std::string path = dir + "/" + kOwnerFile;
  core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid())
    return core::ErrnoStatus("create '" + path + "'", errno);
  std::string text = std::to_string(::getpid()) + " " +
                     std::to_string(core::ProcessStartTicks(::getpid()).value_or(0)) + "\n";
  return core::WriteAll(fd.get(), core::AsBytes(text));
}

std::string RunDirName() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                core::SystemClock::Get().Now().time_since_epoch())
                .count();
  return std::to_string(::getpid()) + "-" + std::to_string(ms);
}

}  // namespace

std::string DefaultVerifyRoot() {
  return platform::DefaultStateDir() + "/verify";
}

core::Status RemoveRunDir(const std::string& dir) {
  core::Status down =
      platform::sandbox::Down(dir + "/inventory.yaml", kScratchNamespace, kScratchName);
  if (!down.ok())
    core::LogWarn("scratch sandbox down failed", {{"error", down.message()}});
  for (pid_t pid : core::ProcessesMentioning(dir + "/")) {
    core::TerminateProcess(pid, kKillGrace);
  }
  return core::RemoveAll(dir);
}

core::Result<std::unique_ptr<ScratchInstance>> ScratchInstance::Create(
    platform::EngineKind engine, const std::string& verify_root) {
  HS_TRY(core::MakeDirs(verify_root, 0755));
  ::chmod(verify_root.c_str(), 0755);
  std::unique_ptr<ScratchInstance> s(new ScratchInstance());
  s->dir_ = verify_root + "/" + RunDirName();
  if (::mkdir(s->dir_.c_str(), 0755) != 0) {
    return core::ErrnoStatus("create verify directory '" + s->dir_ + "'", errno);
  }
  ::chmod(s->dir_.c_str(), 0755);
  core::Status st = WriteOwner(s->dir_);
  platform::sandbox::SandboxSpec spec;
  spec.name = kScratchName;
  spec.ns = kScratchNamespace;
  spec.engine = engine;
  spec.instances = 1;
  spec.state_dir = s->dir_ + "/state";
  spec.inventory_path = s->dir_ + "/inventory.yaml";
  if (st.ok()) {
    auto cluster = platform::sandbox::Up(spec);
    if (cluster.ok()) {
      s->cluster_ = std::move(cluster).value();
    } else {
      st = cluster.TakeStatus();
    }
  }
  if (st.ok()) {
    // A sandbox is always served by the local platform, whatever --platform says.
    platform::PlatformOptions where;
    where.name = platform::kDefaultPlatform;
    where.inventory_path = spec.inventory_path;
    auto local = platform::OpenPlatform(where);
    if (local.ok()) {
      s->platform_ = std::move(local).value();
    } else {
      st = local.TakeStatus();
    }
  }
  if (!st.ok()) {
    s->Teardown().ok();  // best effort; the failure below is what matters
    return st.Wrap("start a scratch instance for verification");
  }
  return s;
}

core::Status ScratchInstance::Teardown() {
  if (down_)
    return core::Status::Ok();
  down_ = true;
  platform_.reset();
  return RemoveRunDir(dir_);
}

ScratchInstance::~ScratchInstance() {
  core::Status st = Teardown();
  if (!st.ok())
    core::LogError("scratch instance teardown failed", {{"error", st.message()}});
}

}  // namespace hasteward::verify
