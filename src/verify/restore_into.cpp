#include "verify/restore_into.h"

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
    tail_.append(reinterpret_cast<const char*>(data.data()), data.size());  // NOLINT
    if (tail_.size() > 2 * kKeepTail) tail_.erase(0, tail_.size() - kKeepTail);
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
  HS_ASSIGN_OR_RETURN(auto sink, eng->OpenRestore(scratch.platform(), scratch.cluster(), ro));
  TailKeepingSink tail(*sink);
  auto written = repo::DumpFile(repo, node, tail, repo::DumpOptions{});
  if (!written.ok()) {
    sink.reset();  // kill the client rather than let it run a half-sent statement
    return written.TakeStatus().Wrap("stream snapshot into the scratch instance");
  }
  HS_TRY(sink->Close());
  HS_TRY(lock->Release());
  RestoreIntoResult r;
  r.bytes = *written;
  r.dump_complete = tail.tail().find(DumpEndMarker(scratch.cluster().engine)) != std::string::npos;
  return r;
}

}  // namespace hasteward::verify
