#include "verify/restore_into.h"

#include <string_view>
#include <vector>

#include "core/failpoint.h"
#include "repo/lock/repo_lock.h"
#include "repo/restore/file_dumper.h"

namespace hasteward::verify {

namespace {

constexpr size_t kKeepTail = 4096;

// Passes bytes to the restore client and keeps the stream's last kKeepTail bytes.
class TailKeepingSink : public core::ByteSink {
 public:
  explicit TailKeepingSink(core::ByteSink& inner) : inner_(inner) {}
  core::Status Write(core::ByteView data) override {
    HS_TRY(inner_.Write(data));
    tail_.append(reinterpret_cast<const char*>(data.data()), data.size());
    if (tail_.size() > 2 * kKeepTail)
      tail_.erase(0, tail_.size() - kKeepTail);
    if (!first_written_) {
      first_written_ = true;
      core::Failpoint("verify-mid-restore");
    }
    return core::Status::Ok();
  }
  core::Status Close() override { return core::Status::Ok(); }
  const std::string& tail() const { return tail_; }

 private:
  core::ByteSink& inner_;
  std::string tail_;
  bool first_written_ = false;
};

// Drops the PASSWORD clause of "ALTER ROLE <admin> WITH ..." in a pg_dumpall roles section: the
// source cluster's admin password must not replace the scratch instance's own, or the restore
// client's later \connect fails. Everything from the first \connect on passes unchanged.
class AdminPasswordFilter : public core::ByteSink {
 public:
  AdminPasswordFilter(core::ByteSink& inner, const std::string& role)
      : inner_(inner),
        prefixes_{"ALTER ROLE " + role + " WITH", "ALTER ROLE \"" + role + "\" WITH"} {}
  core::Status Write(core::ByteView data) override {
    if (!active_)
      return inner_.Write(data);
    std::string_view in(reinterpret_cast<const char*>(data.data()), data.size());
    while (active_ && !in.empty()) {
      size_t nl = in.find('\n');
      if (nl == std::string_view::npos) {
        pending_.append(in);
        if (pending_.size() > kMaxLine)
          return Flush();
        return core::Status::Ok();
      }
      pending_.append(in.substr(0, nl + 1));
      in.remove_prefix(nl + 1);
      HS_TRY(EmitLine());
    }
    return in.empty() ? core::Status::Ok() : inner_.Write(core::AsBytes(std::string(in)));
  }
  core::Status Close() override { return pending_.empty() ? core::Status::Ok() : Flush(); }

 private:
  static constexpr size_t kMaxLine = 1 << 20;
  core::Status Flush() {
    active_ = false;
    std::string rest = std::move(pending_);
    pending_.clear();
    return inner_.Write(core::AsBytes(rest));
  }
  core::Status EmitLine() {
    std::string line = std::move(pending_);
    pending_.clear();
    if (line.rfind("\\connect", 0) == 0)
      active_ = false;
    for (const auto& p : prefixes_) {
      auto pw = line.find(" PASSWORD '");
      if (line.rfind(p, 0) == 0 && pw != std::string::npos)
        line = line.substr(0, pw) + ";\n";
    }
    return inner_.Write(core::AsBytes(line));
  }

  core::ByteSink& inner_;
  std::vector<std::string> prefixes_;
  std::string pending_;
  bool active_ = true;
};

}  // namespace

const char* DumpEndMarker(platform::EngineKind engine) {
  return engine == platform::EngineKind::kPostgres ? "PostgreSQL database cluster dump complete"
                                                   : "-- Dump completed";
}

core::Result<RestoreIntoResult> RestoreInto(repo::Repository& repo, const repo::Snapshot& snap,
                                            ScratchInstance& scratch) {
  HS_ASSIGN_OR_RETURN(auto lock, repo::RepoLock::Acquire(repo, repo::LockOptions{}));
  HS_TRY(repo.LoadIndex());
  HS_ASSIGN_OR_RETURN(repo::Node node, repo::FindFileNode(repo, snap, ""));
  HS_ASSIGN_OR_RETURN(auto eng, engine::MakeEngine(scratch.cluster().engine));
  engine::RestoreOptions ro;
  ro.confirm_overwrite = true;  // the scratch instance is ours and empty
  HS_ASSIGN_OR_RETURN(auto plan, eng->PlanRestore(scratch.platform(), scratch.cluster(), ro));
  HS_ASSIGN_OR_RETURN(auto sink, eng->OpenRestore(scratch.platform(), scratch.cluster(), plan));
  std::string admin =
      scratch.cluster().credentials.user.empty() ? "postgres" : scratch.cluster().credentials.user;
  AdminPasswordFilter filtered(*sink, admin);
  core::ByteSink& into = scratch.cluster().engine == platform::EngineKind::kPostgres
                             ? static_cast<core::ByteSink&>(filtered)
                             : *sink;
  TailKeepingSink tail(into);
  RestoreIntoResult r;
  auto written = repo::DumpFile(repo, node, tail, repo::DumpOptions{});
  if (!written.ok()) {
    sink.reset();  // kill the client rather than let it run a half-sent statement
    r.restore = written.TakeStatus().Wrap("stream snapshot into the scratch instance");
    return r;
  }
  r.bytes = *written;
  r.stream_complete = true;
  r.dump_complete = tail.tail().find(DumpEndMarker(scratch.cluster().engine)) != std::string::npos;
  r.restore = into.Close();
  if (r.restore.ok() && &into != sink.get())
    r.restore = sink->Close();
  HS_TRY(lock->Release());
  return r;
}

}  // namespace hasteward::verify
