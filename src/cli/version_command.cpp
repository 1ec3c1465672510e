#include <cstdio>

#include "cli/commands.h"

namespace hasteward::cli {

void RegisterVersionCommand(CLI::App& app, GlobalOptions& g, CommandOutcome& out) {
  auto* cmd = app.add_subcommand("version", "Print the version");
  cmd->callback([&g, &out] {
    if (g.WantsJson()) {
      std::printf("{\"version\":\"%s\"}\n", "0.1.0");
    } else {
      std::printf("hasteward %s\n", "0.1.0");
    }
    out.status = core::Status::Ok();
  });
}

}  // namespace hasteward::cli
