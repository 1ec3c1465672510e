#include "repo/backup/stream_backup.h"

namespace hasteward::repo {

SnapshotWriterOptions StreamWriterOptions(const BackupOptions& opts) {
  SnapshotWriterOptions writer_options;
  writer_options.compression = opts.compression;
  writer_options.threads = opts.threads;
  writer_options.pack_size = opts.pack_size;
  writer_options.max_in_flight_bytes = opts.max_in_flight_bytes;
  writer_options.lock_wait = opts.lock_wait;
  writer_options.progress = opts.progress;
  writer_options.clock = opts.clock;
  return writer_options;
}

core::Result<BackupSummary> CommitStream(SnapshotWriter& writer, core::ByteSource& source,
                                         const BackupOptions& opts) {
  size_t name_start = opts.filename.find_first_not_of('/');
  if (name_start == std::string::npos) {
    return core::Usage("invalid --stdin-filename '" + opts.filename + "'");
  }
  // The file's time is the snapshot time, as restic gives a stdin file.
  NodeAttributes attributes;
  attributes.mtime = opts.time ? *opts.time : LocalTimeNow(*opts.clock);
  auto size = writer.AddFile(opts.filename, source, attributes);
  if (!size.ok()) {
    writer.Abort();
    return size.TakeStatus().Wrap("backup aborted, no snapshot was saved");
  }
  if (*size == 0) {
    writer.Abort();
    return core::Status(core::ErrorCode::kIncompleteInput, "no data read from the input",
                        "an empty dump is not a backup; check the producer of the stream");
  }
  CommitOptions commit;
  commit.tags = opts.tags;
  commit.time = attributes.mtime;
  commit.hostname = opts.hostname;
  commit.paths = {"/" + opts.filename.substr(name_start)};
  return writer.Commit(commit);
}

core::Result<BackupSummary> BackupStream(Repository& repo, core::ByteSource& source,
                                         const BackupOptions& opts) {
  if (opts.filename.find_first_not_of('/') == std::string::npos) {
    return core::Usage("invalid --stdin-filename '" + opts.filename + "'");
  }
  HS_ASSIGN_OR_RETURN(auto writer, SnapshotWriter::Open(repo, StreamWriterOptions(opts)));
  return CommitStream(*writer, source, opts);
}

}  // namespace hasteward::repo
