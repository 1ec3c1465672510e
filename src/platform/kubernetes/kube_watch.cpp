#include "platform/kubernetes/kube_watch.h"

namespace hasteward::platform::kubernetes {

ResourceWatch::ResourceWatch(const KubeClient& client, KubeResource res, std::string ns,
                             ListOptions options, std::chrono::seconds stream_timeout)
    : client_(client),
      res_(std::move(res)),
      ns_(std::move(ns)),
      options_(std::move(options)),
      stream_timeout_(stream_timeout) {}

ResourceWatch::~ResourceWatch() = default;

void ResourceWatch::Stop() {
  stopped_ = true;
  if (stream_) {
    stream_->Shutdown();
  }
}

core::Result<WatchEvent> ResourceWatch::Relist() {
  HS_ASSIGN_OR_RETURN(nlohmann::json list, client_.List(res_, ns_, options_));
  resource_version_ = list["metadata"].value("resourceVersion", "");
  need_list_ = false;
  ++relists_;
  return WatchEvent{WatchEventType::kSynced, std::move(list)};
}

core::Status ResourceWatch::OpenStream() {
  // No sendInitialEvents: list+watch works on every server version.
  std::string target = ResourcePath(res_, ns_) + "?watch=true&allowWatchBookmarks=true" +
                       "&resourceVersion=" + QueryEscape(resource_version_) +
                       "&timeoutSeconds=" + std::to_string(stream_timeout_.count());
  if (!options_.label_selector.empty()) {
    target += "&labelSelector=" + QueryEscape(options_.label_selector);
  }
  if (!options_.field_selector.empty()) {
    target += "&fieldSelector=" + QueryEscape(options_.field_selector);
  }
  HS_ASSIGN_OR_RETURN(std::unique_ptr<NetStream> stream, client_.Connect());
  HS_ASSIGN_OR_RETURN(std::string head, client_.RequestHead("GET", target));
  HS_TRY(stream->WriteAll(core::AsBytes(head + "\r\n")));
  auto reader = std::make_unique<BufferedReader>(stream.get());
  HS_ASSIGN_OR_RETURN(HttpAnswerHead answer, ReadAnswerHead(*reader));
  if (answer.code != 200) {
    // An error answer (not an ERROR event): read its body for the message.
    core::Bytes body;
    std::string length = answer.Get("content-length");
    if (!length.empty()) {
      (void)reader->ReadExact(std::strtoul(length.c_str(), nullptr, 10), &body);
    }
    return ApiError({answer.code, core::AsString(body)}, "watch " + res_.plural);
  }
  stream_ = std::move(stream);
  reader_ = std::move(reader);
  pending_.clear();
  return core::Status::Ok();
}

core::Result<std::optional<nlohmann::json>> ResourceWatch::ReadEventLine() {
  for (;;) {
    size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      auto event = nlohmann::json::parse(line, nullptr, false);
      if (event.is_discarded() || !event.is_object()) {
        return core::Status(core::ErrorCode::kUnreachable, "watch event is not a JSON object");
      }
      return std::optional<nlohmann::json>(std::move(event));
    }
    HS_ASSIGN_OR_RETURN(std::string size_line, reader_->ReadLine());
    size_t size = std::strtoul(size_line.c_str(), nullptr, 16);
    if (size == 0) {
      return std::optional<nlohmann::json>();  // the server ended the stream (its timeout)
    }
    core::Bytes chunk;
    HS_TRY(reader_->ReadExact(size, &chunk));
    HS_ASSIGN_OR_RETURN(std::string crlf, reader_->ReadLine());
    pending_ += core::AsString(chunk);
  }
}

core::Result<WatchEvent> ResourceWatch::Next() {
  for (;;) {
    if (stopped_) {
      return core::Status(core::ErrorCode::kInterrupted, "watch of " + res_.plural + " stopped");
    }
    if (need_list_) {
      return Relist();
    }
    if (!stream_) {
      HS_TRY(OpenStream());
    }
    auto line = ReadEventLine();
    if (!line.ok() || !line->has_value()) {
      stream_.reset();  // resume from resource_version_ with a new stream
      reader_.reset();
      if (!line.ok()) {
        return line.TakeStatus().Wrap("watch " + res_.plural);
      }
      continue;
    }
    nlohmann::json& event = **line;
    const std::string type = event.value("type", "");
    nlohmann::json& object = event["object"];
    if (type == "ERROR") {
      stream_.reset();
      reader_.reset();
      if (object.value("code", 0) == 410) {
        need_list_ = true;  // compacted: what happened in between is only in a fresh list
        continue;
      }
      return ApiError({object.value("code", 500), object.dump()}, "watch " + res_.plural);
    }
    if (object.is_object() && object["metadata"].is_object()) {
      resource_version_ = object["metadata"].value("resourceVersion", resource_version_);
    }
    if (type == "BOOKMARK") {
      continue;
    }
    WatchEventType kind = type == "ADDED"      ? WatchEventType::kAdded
                          : type == "MODIFIED" ? WatchEventType::kModified
                                               : WatchEventType::kDeleted;
    if (type != "ADDED" && type != "MODIFIED" && type != "DELETED") {
      return core::Status(core::ErrorCode::kUnreachable, "unknown watch event type '" + type + "'");
    }
    return WatchEvent{kind, std::move(object)};
  }
}

}  // namespace hasteward::platform::kubernetes
