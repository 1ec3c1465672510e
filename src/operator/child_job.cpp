#include "operator/child_job.h"

#include <csignal>

#include "core/fd.h"
#include "core/temp_dir.h"

namespace hasteward::op {

core::Result<ChildOutcome> RunChild(const std::vector<std::string>& argv,
                                    const std::atomic<bool>& abort) {
  HS_ASSIGN_OR_RETURN(core::TempDir dir, core::TempDir::Create("hasteward-job-"));
  core::SubprocessOptions o;
  o.argv = argv;
  o.stdout_mode = core::StdioMode::kFile;
  o.stdout_file = dir.path() + "/stdout";
  o.stderr_mode = core::StdioMode::kPipe;
  HS_ASSIGN_OR_RETURN(auto child, core::Subprocess::Start(o));
  ChildOutcome out;
  while (true) {
    if (auto st = child->WaitFor(std::chrono::milliseconds(100))) {
      out.status = *st;
      break;
    }
    if (abort) {
      child->Signal(SIGKILL);
      out.status = child->Wait();
      out.aborted = true;
      break;
    }
  }
  out.err_tail = child->StderrTail();
  auto text = core::ReadFileToString(o.stdout_file);
  if (text.ok())
    out.out = std::move(text).value();
  return out;
}

}  // namespace hasteward::op
