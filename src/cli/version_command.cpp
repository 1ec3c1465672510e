#include <cstdio>

#include "cli/commands.h"
#include "cli/json_messages.h"

namespace hasteward::cli {

void RegisterVersionCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto* cmd = app.add_subcommand("version", "Print the version");
  cmd->callback([&g, &out] {
    if (g.WantsJson()) {
      PrintJsonLine(stdout, VersionMessage{.version = "0.1.0"});
    } else {
      std::printf("hasteward %s\n", "0.1.0");
    }
    out.status = core::Status::Ok();
  });
}

}  // namespace hasteward::cli
