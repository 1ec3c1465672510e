#include "repo/keys/key_ring.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/utc_time.h"
#include "repo/format/go_json.h"
#include "storage/delete_probe.h"

namespace hasteward::repo {

namespace {

using storage::FileType;
using storage::Handle;

bool SameMasterKey(const MasterKey& a, const MasterKey& b) {
  return a.encrypt == b.encrypt && a.mac_k == b.mac_k && a.mac_r == b.mac_r;
}

core::Result<std::string> LoadKeyFile(Repository& repo, const std::string& id) {
  core::Bytes content;
  HS_TRY(repo.backend().Load(Handle{FileType::kKey, id}, 0, 0, &content));
  return std::string(core::AsString(content));
}

// Whether key `id` opens with `password` to this repository's master key.
core::Result<bool> KeyOpens(Repository& repo, const std::string& id, const std::string& password) {
  HS_ASSIGN_OR_RETURN(std::string key_json, LoadKeyFile(repo, id));
  auto master = OpenKeyFile(key_json, password);
  if (master.status().code() == core::ErrorCode::kWrongPassword) {
    return false;
  }
  if (!master.ok()) {
    return master.TakeStatus().Wrap("key '" + id + "'");
  }
  return SameMasterKey(*master, repo.key());
}

core::Result<KeyListing> ReadListing(Repository& repo, const std::string& id) {
  HS_ASSIGN_OR_RETURN(std::string key_json, LoadKeyFile(repo, id));
  auto j = nlohmann::json::parse(key_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return core::Status(core::ErrorCode::kCorruption, "key '" + id + "' is not valid JSON",
                        "a key file is restic's JSON; restore it from a copy of keys/");
  }
  KeyListing listing;
  listing.id = id;
  listing.username = j.value("username", "");
  listing.hostname = j.value("hostname", "");
  listing.created = j.value("created", "");
  return listing;
}

}  // namespace

core::Result<KeyRing> KeyRing::Open(Repository& repo, const std::string& password) {
  // The listing order, not sorted: the same key Repository::Open chose, so the key in use is the
  // one this password actually opened the repository with.
  HS_ASSIGN_OR_RETURN(auto files, repo.ListFiles(FileType::kKey));
  for (const auto& file : files) {
    HS_ASSIGN_OR_RETURN(bool opens, KeyOpens(repo, file.name, password));
    if (opens) {
      return KeyRing(repo, file.name);
    }
  }
  return core::Status(
      core::ErrorCode::kWrongPassword,
      "no key of repository '" + repo.backend().Location() + "' opens with this password",
      "check --restic-password / RESTIC_PASSWORD / RESTIC_PASSWORD_FILE");
}

core::Result<std::vector<std::string>> KeyRing::Ids() {
  HS_ASSIGN_OR_RETURN(auto files, repo_->ListFiles(FileType::kKey));
  std::vector<std::string> ids;
  ids.reserve(files.size());
  for (const auto& file : files) {
    ids.push_back(file.name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

core::Result<std::vector<KeyListing>> KeyRing::List() {
  HS_ASSIGN_OR_RETURN(auto ids, Ids());
  std::vector<KeyListing> keys;
  for (const auto& id : ids) {
    HS_ASSIGN_OR_RETURN(KeyListing listing, ReadListing(*repo_, id));
    listing.current = id == current_;
    keys.push_back(std::move(listing));
  }
  // RFC3339 stamps of one zone sort as strings; ids (already sorted) break ties, so the listing
  // is the same on every run.
  std::stable_sort(keys.begin(), keys.end(),
                   [](const KeyListing& a, const KeyListing& b) { return a.created < b.created; });
  return keys;
}

core::Result<std::string> KeyRing::Add(const std::string& password, const NewKeyOptions& options) {
  if (password.empty()) {
    return core::Usage("an empty password is not allowed", "put the new password in the file");
  }
  const core::Clock& clock = options.clock != nullptr ? *options.clock : core::SystemClock::Get();
  KeyFileInfo info{options.hostname, options.username, LocalTimeNow(clock).Format()};
  HS_ASSIGN_OR_RETURN(std::string key_json, MakeKeyFile(repo_->key(), password, options.kdf, info));
  std::string id = IdToHex(Sha256(core::AsBytes(key_json)));
  HS_TRY(repo_->backend().Save(Handle{FileType::kKey, id}, core::AsBytes(key_json)));
  // Read back what the store holds, not what was sent: only a key that opens the repository from
  // the store counts as added (ChangePassword removes the old key on this evidence alone).
  auto opens = KeyOpens(*repo_, id, password);
  if (!opens.ok() || !*opens) {
    return core::Status(
        core::ErrorCode::kCorruption,
        "the new key '" + id + "' does not open the repository after writing it",
        "remove it with 'hasteward repo key remove " + id.substr(0, 8) + "' and check the storage");
  }
  return id;
}

core::Result<std::string> KeyRing::Find(const std::string& ref) {
  HS_ASSIGN_OR_RETURN(auto ids, Ids());
  std::string match;
  for (const auto& id : ids) {
    if (ref.empty() || id.rfind(ref, 0) != 0)
      continue;
    if (!match.empty()) {
      return core::Usage("key prefix '" + ref + "' is ambiguous", "give more characters");
    }
    match = id;
  }
  if (match.empty()) {
    return core::NotFound("key '" + ref + "' not found",
                          "list the keys with 'hasteward repo key list'");
  }
  return match;
}

core::Status KeyRing::CheckRemovable(const std::string& id) {
  HS_ASSIGN_OR_RETURN(auto ids, Ids());
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
    return core::NotFound("key '" + id + "' not found",
                          "list the keys with 'hasteward repo key list'");
  }
  // Without a key nobody can decrypt anything: the whole repository would be lost.
  if (ids.size() == 1) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "refusing to remove the last key '" + id.substr(0, 8) + "'",
                        "add another key first ('hasteward repo key add'); nothing was changed");
  }
  // As restic: the caller proves it can still get in with another password before this one goes.
  if (id == current_) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "refusing to remove the key in use '" + id.substr(0, 8) + "'",
                        "open the repository with another key's password to remove it, or "
                        "replace it with 'hasteward repo key passwd'; nothing was changed");
  }
  return core::Status::Ok();
}

core::Status KeyRing::RefuseLockedKey(const std::string& id, const std::string& command) {
  storage::ObjectLock* lock = repo_->backend().ObjectLocking();
  if (lock == nullptr)
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(auto period, lock->Period());
  if (!period.has_value())
    return core::Status::Ok();
  HS_ASSIGN_OR_RETURN(auto until, lock->RetainUntil(Handle{FileType::kKey, id}));
  if (!until.has_value())
    return core::Status::Ok();
  std::string date = core::Rfc3339Utc(
      std::chrono::duration_cast<std::chrono::seconds>(until->time_since_epoch()).count());
  return core::Status(core::ErrorCode::kSafetyStop,
                      command + " must remove the key '" + id.substr(0, 8) +
                          "', which is under object lock until " + date + "; nothing was changed",
                      "run it again after " + date + " (docs/object-lock.md)");
}

core::Status KeyRing::Remove(const std::string& id) {
  HS_TRY(CheckRemovable(id));
  HS_TRY(RefuseLockedKey(id, "repo key remove"));
  return repo_->backend().Remove(Handle{FileType::kKey, id});
}

core::Result<std::string> KeyRing::ChangePassword(const std::string& password,
                                                  const NewKeyOptions& options) {
  const std::string old_id = current_;
  // Append-only credentials could add the new key but not remove the old one (both passwords
  // would open the repository): refuse before adding.
  HS_TRY(storage::ProbeDeleteRights(repo_->backend(), {FileType::kKey}, "repo key passwd"));
  // Likewise a key under object lock (docs/object-lock.md) stays until its retention ends.
  HS_TRY(RefuseLockedKey(old_id, "repo key passwd"));
  HS_ASSIGN_OR_RETURN(std::string new_id, Add(password, options));
  current_ = new_id;
  core::Status removed = repo_->backend().Remove(Handle{FileType::kKey, old_id});
  if (!removed.ok()) {
    return core::Status(removed.code(),
                        "the new key '" + new_id.substr(0, 8) +
                            "' opens the repository, but removing the old key '" +
                            old_id.substr(0, 8) + "' failed: " + removed.message(),
                        "both passwords open it; remove the old key with 'hasteward repo key "
                        "remove " +
                            old_id.substr(0, 8) + "'");
  }
  return new_id;
}

}  // namespace hasteward::repo
