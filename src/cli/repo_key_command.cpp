// `repo key list|add|remove|passwd`: restic's key management on HASteward's repository. Key files
// are restic's (stock `restic key list` shows them and opens the repository with each), on any
// backend.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "cli/json_messages.h"
#include "cli/repo_access.h"
#include "cli/table.h"
#include "repo/crypto/kdf_params.h"
#include "repo/keys/key_ring.h"
#include "repo/lock/repo_lock.h"

namespace hasteward::cli {

namespace {

struct KeyFlags {
  std::string new_password_file;
  std::string username;
  std::string hostname;
  std::string key_ref;
  std::string retry_lock = "0";  // --retry-lock: how long to wait for other commands' locks
};

std::string ShortId(const std::string& id) {
  return id.substr(0, 8);
}

core::Result<std::unique_ptr<repo::RepoLock>> LockRepository(repo::Repository& r, bool exclusive,
                                                             const KeyFlags& f) {
  repo::LockOptions options;
  // Removing a key must not race another removal: two could each leave the other's key last.
  options.exclusive = exclusive;
  // An exclusive lock waits for every running backup (each holds a shared lock): without a wait a
  // key rotation beside scheduled backups fails whenever one runs.
  HS_ASSIGN_OR_RETURN(options.wait, ParseDuration("--retry-lock", f.retry_lock, true));
  return repo::RepoLock::Acquire(r, options);
}

// The repository and its key ring, opened with the global password.
struct OpenedKeys {
  std::unique_ptr<repo::Repository> repo;
  std::unique_ptr<repo::KeyRing> ring;
};

core::Result<OpenedKeys> OpenKeys(const GlobalOptions& g) {
  OpenedKeys opened;
  HS_ASSIGN_OR_RETURN(opened.repo, OpenRepository(g));
  HS_ASSIGN_OR_RETURN(std::string password, g.Password());
  HS_ASSIGN_OR_RETURN(repo::KeyRing ring, repo::KeyRing::Open(*opened.repo, password));
  opened.ring = std::make_unique<repo::KeyRing>(std::move(ring));
  return opened;
}

core::Result<repo::NewKeyOptions> KeyOptionsFromFlags(const KeyFlags& f) {
  repo::NewKeyOptions options;
  HS_ASSIGN_OR_RETURN(options.kdf, repo::KdfParamsFromEnvironment());
  options.username = f.username.empty() ? repo::LocalUsername() : f.username;
  options.hostname = f.hostname.empty() ? repo::LocalHostname() : f.hostname;
  return options;
}

core::Result<std::string> NewPassword(const KeyFlags& f) {
  if (f.new_password_file.empty()) {
    return core::Usage("no new password given", "pass --new-password-file FILE");
  }
  return ReadPasswordFile(f.new_password_file, "check --new-password-file");
}

void PrintKeyChange(const GlobalOptions& g, const RepoKeyChangeMessage& message) {
  if (g.WantsJson()) {
    PrintJsonLine(stdout, message);
    return;
  }
  if (g.quiet)
    return;
  if (message.dry_run) {
    if (!message.added.empty())
      std::printf("would add a new key\n");
    if (!message.removed.empty())
      std::printf("would remove key %s\n", ShortId(message.removed).c_str());
    return;
  }
  if (!message.added.empty())
    std::printf("added key %s\n", ShortId(message.added).c_str());
  if (!message.removed.empty())
    std::printf("removed key %s\n", ShortId(message.removed).c_str());
}

core::Status RunKeyList(const GlobalOptions& g) {
  HS_ASSIGN_OR_RETURN(OpenedKeys k, OpenKeys(g));
  HS_ASSIGN_OR_RETURN(auto keys, k.ring->List());
  if (g.WantsJson()) {
    // restic's `key list --json` field names, so scripts written for restic keep working.
    nlohmann::json out = nlohmann::json::array();
    for (const auto& key : keys) {
      out.push_back({{"current", key.current},
                     {"id", key.id},
                     {"userName", key.username},
                     {"hostName", key.hostname},
                     {"created", key.created}});
    }
    PrintJsonValue(stdout, out);
    return core::Status::Ok();
  }
  Table table({" ", "ID", "User", "Host", "Created"});
  for (const auto& key : keys) {
    table.AddRow(
        {key.current ? "*" : "", ShortId(key.id), key.username, key.hostname, key.created});
  }
  std::fputs(table.Render().c_str(), stdout);
  return core::Status::Ok();
}

core::Status RunKeyAdd(const GlobalOptions& g, const KeyFlags& f) {
  HS_ASSIGN_OR_RETURN(std::string password, NewPassword(f));
  HS_ASSIGN_OR_RETURN(repo::NewKeyOptions options, KeyOptionsFromFlags(f));
  HS_ASSIGN_OR_RETURN(OpenedKeys k, OpenKeys(g));
  if (g.dry_run) {
    if (password.empty())
      return core::Usage("an empty password is not allowed", "put the new password in the file");
    PrintKeyChange(g, RepoKeyChangeMessage{.added = "(new)", .removed = "", .dry_run = true});
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto lock, LockRepository(*k.repo, false, f));
  HS_ASSIGN_OR_RETURN(std::string id, k.ring->Add(password, options));
  HS_TRY(lock->Release());
  PrintKeyChange(g, RepoKeyChangeMessage{.added = id, .removed = "", .dry_run = false});
  return core::Status::Ok();
}

core::Status RunKeyRemove(const GlobalOptions& g, const KeyFlags& f) {
  HS_ASSIGN_OR_RETURN(OpenedKeys k, OpenKeys(g));
  HS_ASSIGN_OR_RETURN(std::string id, k.ring->Find(f.key_ref));
  if (g.dry_run) {
    HS_TRY(k.ring->CheckRemovable(id));
    PrintKeyChange(g, RepoKeyChangeMessage{.added = "", .removed = id, .dry_run = true});
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto lock, LockRepository(*k.repo, true, f));
  HS_TRY(k.ring->Remove(id));
  HS_TRY(lock->Release());
  PrintKeyChange(g, RepoKeyChangeMessage{.added = "", .removed = id, .dry_run = false});
  return core::Status::Ok();
}

core::Status RunKeyPasswd(const GlobalOptions& g, const KeyFlags& f) {
  HS_ASSIGN_OR_RETURN(std::string password, NewPassword(f));
  HS_ASSIGN_OR_RETURN(repo::NewKeyOptions options, KeyOptionsFromFlags(f));
  HS_ASSIGN_OR_RETURN(OpenedKeys k, OpenKeys(g));
  const std::string old_id = k.ring->current();
  if (g.dry_run) {
    if (password.empty())
      return core::Usage("an empty password is not allowed", "put the new password in the file");
    PrintKeyChange(g, RepoKeyChangeMessage{.added = "(new)", .removed = old_id, .dry_run = true});
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(auto lock, LockRepository(*k.repo, true, f));
  HS_ASSIGN_OR_RETURN(std::string id, k.ring->ChangePassword(password, options));
  HS_TRY(lock->Release());
  PrintKeyChange(g, RepoKeyChangeMessage{.added = id, .removed = old_id, .dry_run = false});
  return core::Status::Ok();
}

void AddRetryLockFlag(CLI::App& command, KeyFlags& flags) {
  command.add_option("--retry-lock", flags.retry_lock,
                     "Wait up to this long (90s, 10m) for other commands' repository locks, e.g. "
                     "running backups, instead of failing at once (default 0)");
}

void AddNewKeyFlags(CLI::App& command, KeyFlags& flags) {
  command.add_option("--new-password-file", flags.new_password_file,
                     "File holding the new key's password (as restic's flag)");
  command.add_option("--user", flags.username, "User name recorded in the key (default: current)");
  command.add_option("--host", flags.hostname, "Host name recorded in the key (default: this)");
  AddRetryLockFlag(command, flags);
}

}  // namespace

void RegisterRepoKeyCommands(CLI::App& repo, GlobalOptions& g, CommandOutcome& out) {
  auto flags = std::make_shared<KeyFlags>();
  auto* key = repo.add_subcommand("key", "List, add, remove and change keys (restic's key files)");
  key->require_subcommand(1);
  auto* list = key->add_subcommand("list", "List the keys; '*' marks the key in use");
  list->callback([&g, &out] { out.status = RunKeyList(g); });
  auto* add = key->add_subcommand("add", "Add a key (a new password for the same repository)");
  AddNewKeyFlags(*add, *flags);
  add->callback([&g, &out, flags] { out.status = RunKeyAdd(g, *flags); });
  auto* remove =
      key->add_subcommand("remove", "Remove a key (never the last one or the one in use)");
  remove->add_option("id", flags->key_ref, "Key ID or a unique prefix")->required();
  AddRetryLockFlag(*remove, *flags);
  remove->callback([&g, &out, flags] { out.status = RunKeyRemove(g, *flags); });
  auto* passwd = key->add_subcommand("passwd", "Replace the key in use with a new password");
  AddNewKeyFlags(*passwd, *flags);
  passwd->callback([&g, &out, flags] { out.status = RunKeyPasswd(g, *flags); });
}

}  // namespace hasteward::cli
