#include "repo/restore/tar_dumper.h"

#include <algorithm>
#include <vector>

#include "core/tar_writer.h"

namespace hasteward::repo {

namespace {

core::TarEntry EntryFor(const Node& node, const std::string& path) {
  core::TarEntry entry;
  entry.path = path;
  entry.mode = PosixFromGoMode(node.mode);
  entry.mtime = node.mtime.unix_seconds;
  entry.uid = node.uid;
  entry.gid = node.gid;
  entry.user = node.user;
  entry.group = node.group;
  if (node.type == "dir") {
    entry.type = core::TarEntryType::kDirectory;
  } else if (node.type == "symlink") {
    entry.type = core::TarEntryType::kSymlink;
    entry.link_target = node.linktarget;
  } else {
    entry.type = core::TarEntryType::kFile;
    entry.size = node.size;
  }
  return entry;
}

// A file's bytes into the archive and into its check, in step.
class CheckedContent : public core::ByteSink {
 public:
  CheckedContent(core::ByteSink& content, core::ByteSink& check)
      : content_(content), check_(check) {}
  core::Status Write(core::ByteView data) override {
    HS_TRY(check_.Write(data));
    return content_.Write(data);
  }
  core::Status Close() override { return core::Status::Ok(); }

 private:
  core::ByteSink& content_;
  core::ByteSink& check_;
};

class TreeTarWriter {
 public:
  TreeTarWriter(Repository& repo, core::ByteSink& sink, const DumpOptions& options,
                const TarFileCheck& file_check)
      : repo_(repo), tar_(sink), options_(options), file_check_(file_check) {}

  // Every entry of `tree`, directories before what they hold, in the tree's (name) order.
  core::Status Write(const Id& tree, const std::string& prefix) {
    HS_ASSIGN_OR_RETURN(core::Bytes json, repo_.LoadBlob(tree, BlobType::kTree));
    HS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ParseTreeJson(core::AsString(json)));
    for (const Node& node : nodes) {
      std::string path = prefix.empty() ? node.name : prefix + "/" + node.name;
      if (node.type != "file" && node.type != "dir" && node.type != "symlink") {
        return core::Usage(
            "'" + path + "' is a " + node.type + ", which a tar export does not write",
            "restore the snapshot with 'restic restore' instead");
      }
      core::TarEntry entry = EntryFor(node, path);
      HS_TRY(tar_.Begin(entry));
      if (node.type == "file") {
        HS_TRY(WriteContent(node, path));
      }
      HS_TRY(tar_.End());
      if (node.type == "dir") {
        ++summary_.directories;
        if (node.subtree) {
          HS_TRY(Write(*node.subtree, path));
        }
      }
    }
    return core::Status::Ok();
  }

  core::Status WriteContent(const Node& node, const std::string& path) {
    std::unique_ptr<core::ByteSink> check = file_check_ ? file_check_(path) : nullptr;
    uint64_t written = 0;
    if (check == nullptr) {
      HS_ASSIGN_OR_RETURN(written, DumpFile(repo_, node, tar_.Content(), options_));
    } else {
      CheckedContent content(tar_.Content(), *check);
      HS_ASSIGN_OR_RETURN(written, DumpFile(repo_, node, content, options_));
      HS_TRY(check->Close());
    }
    summary_.content_bytes += written;
    ++summary_.files;
    return core::Status::Ok();
  }

  core::Result<TarDumpSummary> Finish() {
    HS_TRY(tar_.Finish());
    return summary_;
  }

 private:
  Repository& repo_;
  core::TarWriter tar_;
  const DumpOptions& options_;
  const TarFileCheck& file_check_;
  TarDumpSummary summary_;
};

}  // namespace

core::Result<TarDumpSummary> DumpTreeAsTar(Repository& repo, const Id& tree,
                                           const std::string& prefix, core::ByteSink& sink,
                                           const DumpOptions& options,
                                           const TarFileCheck& file_check) {
  TreeTarWriter writer(repo, sink, options, file_check);
  HS_TRY(writer.Write(tree, prefix));
  return writer.Finish();
}

std::vector<std::string> SplitSnapshotPath(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) {
      end = path.size();
    }
    if (end > start) {
      parts.push_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  return parts;
}

core::Result<Node> FindNode(Repository& repo, const Snapshot& snap, const std::string& path) {
  Node current;
  current.name = "/";
  current.type = "dir";
  current.subtree = snap.tree;
  for (const std::string& part : SplitSnapshotPath(path)) {
    if (current.type != "dir" || !current.subtree) {
      return core::NotFound("path '" + path + "' not found in snapshot '" +
                            IdToHex(snap.id).substr(0, 8) + "'");
    }
    HS_ASSIGN_OR_RETURN(core::Bytes json, repo.LoadBlob(*current.subtree, BlobType::kTree));
    HS_ASSIGN_OR_RETURN(std::vector<Node> nodes, ParseTreeJson(core::AsString(json)));
    auto found = std::find_if(nodes.begin(), nodes.end(),
                              [&part](const Node& node) { return node.name == part; });
    if (found == nodes.end()) {
      return core::NotFound("path '" + path + "' not found in snapshot '" +
                            IdToHex(snap.id).substr(0, 8) + "'");
    }
    current = *found;
  }
  return current;
}

}  // namespace hasteward::repo
