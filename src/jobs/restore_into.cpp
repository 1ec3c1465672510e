#include "jobs/restore_into.h"

#include <string>

#include "repo/restore/file_dumper.h"

namespace hasteward::jobs {

namespace {

constexpr size_t kKeepTail = 4096;

// Passes bytes to the restore client and keeps the stream's last kKeepTail bytes.
class TailKeepingSink : public core::ByteSink {
 public:
  TailKeepingSink(core::ByteSink& inner, const std::function<void()>& after_first_block)
      : inner_(inner), after_first_block_(after_first_block) {}
  core::Status Write(core::ByteView data) override {
    HS_TRY(inner_.Write(data));
    tail_.append(core::AsString(data));
    if (tail_.size() > 2 * kKeepTail)
      tail_.erase(0, tail_.size() - kKeepTail);
    if (!first_written_) {
      first_written_ = true;
      if (after_first_block_)
        after_first_block_();
    }
    return core::Status::Ok();
  }
  core::Status Close() override { return core::Status::Ok(); }
  const std::string& tail() const { return tail_; }

 private:
  core::ByteSink& inner_;
  const std::function<void()>& after_first_block_;
  std::string tail_;
  bool first_written_ = false;
};

}  // namespace

core::Result<RestoreIntoResult> RestoreSnapshotInto(repo::Repository& repo,
                                                    const repo::Snapshot& snapshot,
                                                    const engine::ClusterHandle& target,
                                                    const RestoreIntoOptions& options) {
  engine::Engine& engine = target.engine();
  HS_ASSIGN_OR_RETURN(repo::Node node, repo::FindFileNode(repo, snapshot, ""));
  HS_ASSIGN_OR_RETURN(auto sink,
                      engine.OpenRestore(target.platform(), target.cluster(), options.plan));
  TailKeepingSink tail(*sink, options.after_first_block);
  repo::DumpOptions dump_options;
  if (options.progress) {
    dump_options.progress = [&options](const repo::DumpProgress& p) {
      options.progress(p.bytes_written, p.total_bytes, p.seconds);
    };
  }
  RestoreIntoResult r;
  auto written = repo::DumpFile(repo, node, tail, dump_options);
  if (!written.ok()) {
    sink.reset();  // kill the client rather than let it run a half-sent statement
    r.restore = written.TakeStatus();
    return r;
  }
  r.bytes = *written;
  r.stream_complete = true;
  r.dump_complete = tail.tail().find(engine.DumpEndMarker()) != std::string::npos;
  if (!r.dump_complete && !options.finish_incomplete_dump) {
    sink.reset();  // the tail may be a cut statement: never let the client run it
    r.restore = core::Status(core::ErrorCode::kDumpFailed,
                             std::string("the snapshot's dump does not end with '") +
                                 engine.DumpEndMarker() +
                                 "' (truncated when it was made); the restore client was "
                                 "stopped before its end",
                             "the target may be partly restored: restore an earlier snapshot");
    return r;
  }
  r.restore = sink->Close();
  return r;
}

}  // namespace hasteward::jobs
