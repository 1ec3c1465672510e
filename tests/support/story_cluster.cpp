#include "support/story_cluster.h"

namespace hasteward::testing {

core::Result<std::unique_ptr<StoryCluster>> StoryCluster::Start(
    const SandboxCluster::Options& options, const std::string& temp_prefix) {
  std::unique_ptr<StoryCluster> story(new StoryCluster());
  HS_ASSIGN_OR_RETURN(story->sandbox_, SandboxCluster::Create(options));
  HastewardEnv::Options env;
  env.temp_prefix = temp_prefix;
  env.state_dir = story->sandbox_->state_dir();
  env.inventory = story->sandbox_->inventory_path();
  env.repository = story->sandbox_->state_dir() + "/../repo";
  story->env_ = std::make_unique<HastewardEnv>(env);
  auto init = story->env_->Run({"repo", "init"});
  if (init.exit_code != 0)
    return core::Internal("repo init: " + init.err);
  return story;
}

// The environment first; the sandbox, whose temp dir holds the repository, last.
StoryCluster::~StoryCluster() {
  env_.reset();
  sandbox_.reset();
}

std::string StoryCluster::Sql(int ordinal, const std::string& sql) const {
  auto out = sandbox_->Sql(ordinal, sql);
  std::string text = out.ok() ? *out : "ERROR " + out.status().ToString();
  while (!text.empty() && text.back() == '\n')
    text.pop_back();
  return text;
}

}  // namespace hasteward::testing
