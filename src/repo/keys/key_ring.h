#pragma once

#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "repo/crypto/key_file.h"
#include "repo/repository.h"

namespace hasteward::repo {

// One key file as `repo key list` shows it.
struct KeyListing {
  std::string id;  // the key file's name: 64 hex, the SHA-256 of its content
  std::string username;
  std::string hostname;
  std::string created;   // as stored (RFC3339Nano)
  bool current = false;  // the key in use (KeyRing::current())
};

// What a new key file records besides the wrapped master key.
struct NewKeyOptions {
  KdfParams kdf;  // restic's defaults unless HASTEWARD_KDF_PARAMS asks for others
  std::string hostname;
  std::string username;
  const core::Clock* clock = nullptr;  // the "created" stamp; nullptr = the system clock
};

// Key management in restic's format (restic-format.md §2): every file under keys/ wraps the one
// master key under its own password, and stock restic opens the repository with any of them.
// The key "in use" is the one the caller's password opens, found as Repository::Open finds it
// (the first key in listing order). Works on any backend; not thread-safe; callers that change
// keys hold the repository lock (exclusive for removals).
class KeyRing {
 public:
  // Finds the key in use: kWrongPassword when `password` opens no key of this repository.
  static core::Result<KeyRing> Open(Repository& repo, const std::string& password);

  // The key in use (64 hex): the key that key removal refuses to remove.
  const std::string& current() const { return current_; }

  // Every key file, oldest first (then by id). Reads the files' plain fields (no key derivation).
  // A file that is not a key's JSON is kCorruption naming it.
  core::Result<std::vector<KeyListing>> List();

  // Writes a new key file wrapping the master key under `password`, then reads it back and opens
  // it with `password`: an ok result (the new key's id) means the key opens the repository. An
  // empty password is kUsage; nothing is written then.
  core::Result<std::string> Add(const std::string& password, const NewKeyOptions& options);

  // The key `ref` names: a full id or a unique prefix. kNotFound when none matches, kUsage when
  // the prefix is ambiguous.
  core::Result<std::string> Find(const std::string& ref);

  // Ok when key `id` (a full id) may be removed; kSafetyStop when it is the last key (nobody
  // could open the repository again) or the key in use; kNotFound when there is no such key.
  core::Status CheckRemovable(const std::string& id);

  // Removes key `id` after CheckRemovable passes; on a refusal nothing is changed.
  core::Status Remove(const std::string& id);

  // Replaces the key in use: adds (and verifies) a key for `password` first, then removes the old
  // one, so an interruption leaves both keys, never none. Returns the new key's id, which is
  // current() from then on.
  core::Result<std::string> ChangePassword(const std::string& password,
                                           const NewKeyOptions& options);

 private:
  KeyRing(Repository& repo, std::string current) : repo_(&repo), current_(std::move(current)) {}
  core::Result<std::vector<std::string>> Ids();
  // kSafetyStop (naming `command` and the date) while key `id` is under object lock
  // (docs/object-lock.md); ok without a lock period.
  core::Status RefuseLockedKey(const std::string& id, const std::string& command);

  Repository* repo_;
  std::string current_;
};

}  // namespace hasteward::repo
