#include "support/fake_kube_store.h"

#include <algorithm>
#include <sstream>

#include "support/trim.h"

namespace hasteward::testing {
namespace {

using nlohmann::json;

// Splits on commas outside parentheses ("a in (x,y),b" -> "a in (x,y)", "b").
std::vector<std::string> SplitTerms(const std::string& selector) {
  std::vector<std::string> terms;
  std::string current;
  int depth = 0;
  for (char ch : selector) {
    depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
    if (ch == ',' && depth == 0) {
      terms.push_back(Trim(current));
      current.clear();
    } else {
      current += ch;
    }
  }
  if (!Trim(current).empty()) {
    terms.push_back(Trim(current));
  }
  return terms;
}

std::vector<std::string> SetValues(const std::string& term, size_t open) {
  std::vector<std::string> values;
  std::string inner = term.substr(open + 1, term.rfind(')') - open - 1);
  std::stringstream parts(inner);
  std::string value;
  while (std::getline(parts, value, ',')) {
    values.push_back(Trim(value));
  }
  return values;
}

bool TermMatches(const std::string& term, const json& labels) {
  auto value_of = [&](const std::string& key) -> const json* {
    auto it = labels.find(key);
    return it == labels.end() ? nullptr : &*it;
  };
  if (term.starts_with("!")) {
    return value_of(Trim(term.substr(1))) == nullptr;
  }
  for (const char* op : {" notin ", " in "}) {
    if (size_t at = term.find(op); at != std::string::npos) {
      const json* value = value_of(Trim(term.substr(0, at)));
      auto values = SetValues(term, term.find('(', at));
      bool listed = value != nullptr && std::find(values.begin(), values.end(),
                                                  value->get<std::string>()) != values.end();
      return std::string(op) == " in " ? listed : !listed;
    }
  }
  if (size_t at = term.find("!="); at != std::string::npos) {
    const json* value = value_of(Trim(term.substr(0, at)));
    return value == nullptr || *value != Trim(term.substr(at + 2));
  }
  if (size_t at = term.find('='); at != std::string::npos) {
    const json* value = value_of(Trim(term.substr(0, at)));
    size_t skip = term.compare(at, 2, "==") == 0 ? 2 : 1;
    return value != nullptr && *value == Trim(term.substr(at + skip));
  }
  return value_of(term) != nullptr;  // bare key: exists
}

bool FieldTermMatches(const std::string& term, const json& object) {
  bool negated = term.find("!=") != std::string::npos;
  size_t at = term.find(negated ? "!=" : "=");
  if (at == std::string::npos) {
    return false;
  }
  std::string field = Trim(term.substr(0, at));
  std::string want = Trim(term.substr(at + (negated ? 2 : term.compare(at, 2, "==") == 0 ? 2 : 1)));
  std::string have;
  if (field == "metadata.name") {
    have = object["metadata"].value("name", "");
  } else if (field == "metadata.namespace") {
    have = object["metadata"].value("namespace", "");
  } else {
    return false;  // the fake knows only the fields every resource supports
  }
  return negated ? have != want : have == want;
}

std::string NewUid(uint64_t counter) {
  char text[64];
  std::snprintf(text, sizeof(text), "00000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(counter));  // NOLINT(google-runtime-int): printf
  return text;
}

std::string NowRfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Strategic merge patches of the built-in types carry directives ("$patch",
// "$setElementOrder/...", "$retainKeys"); the fake applies them as a JSON merge patch without the
// directives, which is exact for the maps and scalars of the objects we patch.
json WithoutDirectives(const json& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  json out = json::object();
  for (const auto& [key, value] : patch.items()) {
    if (!key.starts_with("$")) {
      out[key] = WithoutDirectives(value);
    }
  }
  return out;
}

}  // namespace

std::vector<FakeKubeResource> DefaultFakeKubeResources() {
  return {
      {"", "v1", "pods", "Pod", true, true},
      {"", "v1", "secrets", "Secret", true, false},
      {"", "v1", "events", "Event", true, false},
      {"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, true},
      {"", "v1", "namespaces", "Namespace", false, true},
      {"apps", "v1", "statefulsets", "StatefulSet", true, true},
      {"coordination.k8s.io", "v1", "leases", "Lease", true, false},
      {"postgresql.cnpg.io", "v1", "clusters", "Cluster", true, true},
      {"postgresql.cnpg.io", "v1", "backups", "Backup", true, true},
      {"k8s.mariadb.com", "v1alpha1", "mariadbs", "MariaDB", true, true},
      // HASteward's own CRDs (deploy/crds): cluster-scoped, with a status subresource.
      {"clinic.hasteward.prplanit.com", "v1alpha1", "backuppolicies", "BackupPolicy", false, true},
      {"clinic.hasteward.prplanit.com", "v1alpha1", "backuprepositories", "BackupRepository", false,
       true},
      {"clinic.hasteward.prplanit.com", "v1alpha1", "standbyclusters", "StandbyCluster", false,
       true},
      // Stored only, so `kubectl apply` of deploy/crds succeeds; the kinds above are built in.
      {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false,
       false},
  };
}

FakeKubeReply StatusReply(int code, const std::string& reason, const std::string& message) {
  return {code,
          {{"kind", "Status"},
           {"apiVersion", "v1"},
           {"metadata", json::object()},
           {"status", "Failure"},
           {"message", message},
           {"reason", reason},
           {"code", code}}};
}

bool FakeSelectors::Matches(const json& object) const {
  const json& metadata = object.at("metadata");
  json labels = metadata.value("labels", json::object());
  for (const auto& term : SplitTerms(label)) {
    if (!TermMatches(term, labels)) {
      return false;
    }
  }
  for (const auto& term : SplitTerms(field)) {
    if (!FieldTermMatches(term, object)) {
      return false;
    }
  }
  return true;
}

FakeKubeStore::FakeKubeStore() = default;

std::string FakeKubeStore::Key(const FakeKubeResource& res, const std::string& ns,
                               const std::string& name) {
  return res.group + "/" + res.plural + "/" + ns + "/" + name;
}

uint64_t FakeKubeStore::resource_version() const {
  std::lock_guard lock(mu_);
  return version_;
}

FakeKubeReply FakeKubeStore::Get(const FakeKubeResource& res, const std::string& ns,
                                 const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(Key(res, ns, name));
  if (it == objects_.end()) {
    return StatusReply(
        404, "NotFound",
        res.plural + (res.group.empty() ? "" : "." + res.group) + " \"" + name + "\" not found");
  }
  return {200, it->second};
}

FakeKubeReply FakeKubeStore::List(const FakeKubeResource& res, const std::string& ns,
                                  const FakeSelectors& selectors) {
  std::lock_guard lock(mu_);
  json items = json::array();
  const std::string prefix = res.group + "/" + res.plural + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (!it->first.starts_with(prefix)) {
      break;
    }
    if ((ns.empty() || it->second["metadata"].value("namespace", "") == ns) &&
        selectors.Matches(it->second)) {
      items.push_back(it->second);
    }
  }
  return {200,
          {{"kind", res.kind + "List"},
           {"apiVersion", res.ApiVersion()},
           {"metadata", {{"resourceVersion", std::to_string(version_)}}},
           {"items", items}}};
}

FakeKubeReply FakeKubeStore::Commit(const FakeKubeResource& res, const std::string& ns, json object,
                                    const std::string& event_type) {
  ++version_;
  object["metadata"]["resourceVersion"] = std::to_string(version_);
  const std::string name = object["metadata"]["name"];
  if (event_type == "DELETED") {
    objects_.erase(Key(res, ns, name));
  } else {
    objects_[Key(res, ns, name)] = object;
  }
  history_.push_back({res.group + "/" + res.plural, ns, {event_type, object}, version_});
  changed_.notify_all();
  return {event_type == "ADDED" ? 201 : 200, object};
}

FakeKubeReply FakeKubeStore::Create(const FakeKubeResource& res, const std::string& ns,
                                    json object) {
  if (!object.is_object()) {
    return StatusReply(400, "BadRequest", "the request body is not a JSON object");
  }
  json& metadata = object["metadata"];
  if (!metadata.is_object()) {
    metadata = json::object();
  }
  std::lock_guard lock(mu_);
  if (!metadata.contains("name") && metadata.contains("generateName")) {
    metadata["name"] = metadata["generateName"].get<std::string>() + std::to_string(version_ + 1);
  }
  if (!metadata.contains("name") || metadata["name"].get<std::string>().empty()) {
    return StatusReply(422, "Invalid", res.kind + " is invalid: metadata.name: Required value");
  }
  if (res.namespaced && metadata.value("namespace", ns) != ns) {
    return StatusReply(400, "BadRequest",
                       "the namespace of the provided object does not match the namespace sent "
                       "on the request");
  }
  const std::string name = metadata["name"];
  if (objects_.count(Key(res, ns, name)) != 0) {
    return StatusReply(409, "AlreadyExists",
                       res.plural + (res.group.empty() ? "" : "." + res.group) + " \"" + name +
                           "\" already exists");
  }
  if (res.namespaced) {
    metadata["namespace"] = ns;
  }
  metadata["uid"] = NewUid(++uid_counter_);
  metadata["creationTimestamp"] = NowRfc3339();
  metadata["generation"] = 1;
  object["kind"] = res.kind;
  object["apiVersion"] = res.ApiVersion();
  return Commit(res, ns, std::move(object), "ADDED");
}

FakeKubeReply FakeKubeStore::Replace(const FakeKubeResource& res, const std::string& ns,
                                     const std::string& name, json object, bool status_only) {
  auto it = objects_.find(Key(res, ns, name));
  if (it == objects_.end()) {
    return StatusReply(404, "NotFound", res.plural + " \"" + name + "\" not found");
  }
  const json& current = it->second;
  const std::string sent_version = object["metadata"].value("resourceVersion", "");
  if (!sent_version.empty() && sent_version != current["metadata"]["resourceVersion"]) {
    return StatusReply(409, "Conflict",
                       "Operation cannot be fulfilled on " + res.plural +
                           (res.group.empty() ? "" : "." + res.group) + " \"" + name +
                           "\": the object has been modified; please apply your changes to the "
                           "latest version and try again");
  }
  if (object["metadata"].value("name", name) != name) {
    return StatusReply(400, "BadRequest", "the name of the object does not match the URL");
  }
  json next = current;
  if (status_only) {
    next["status"] = object.value("status", json::object());
  } else {
    json kept_status = current.value("status", json());
    next = object;
    // System fields are the server's, whatever the client sent.
    for (const char* field : {"uid", "creationTimestamp", "generation", "namespace", "name"}) {
      if (current["metadata"].contains(field)) {
        next["metadata"][field] = current["metadata"][field];
      }
    }
    next["kind"] = res.kind;
    next["apiVersion"] = res.ApiVersion();
    if (res.status_subresource) {
      next.erase("status");
      if (!kept_status.is_null()) {
        next["status"] = kept_status;
      }
    }
    if (next.value("spec", json()) != current.value("spec", json())) {
      next["metadata"]["generation"] = current["metadata"].value("generation", 1) + 1;
    }
  }
  next["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"];
  if (next == current) {
    return {200, current};  // a no-op write keeps the resourceVersion, as the real server does
  }
  return Commit(res, ns, std::move(next), "MODIFIED");
}

FakeKubeReply FakeKubeStore::Update(const FakeKubeResource& res, const std::string& ns,
                                    const std::string& name, json object, bool status_only) {
  if (!object.is_object() || !object["metadata"].is_object()) {
    return StatusReply(400, "BadRequest", "the request body is not an object with metadata");
  }
  std::lock_guard lock(mu_);
  return Replace(res, ns, name, std::move(object), status_only);
}

FakeKubeReply FakeKubeStore::Patch(const FakeKubeResource& res, const std::string& ns,
                                   const std::string& name, FakePatchType type, const json& patch,
                                   bool status_only) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(Key(res, ns, name));
  if (it == objects_.end()) {
    return StatusReply(404, "NotFound", res.plural + " \"" + name + "\" not found");
  }
  json patched = it->second;
  try {
    if (type == FakePatchType::kJson) {
      patched = patched.patch(patch);
    } else {
      patched.merge_patch(type == FakePatchType::kMerge ? patch : WithoutDirectives(patch));
    }
  } catch (const json::exception& error) {
    return StatusReply(422, "Invalid", std::string("the patch cannot be applied: ") + error.what());
  }
  if (!patched["metadata"].is_object()) {
    return StatusReply(422, "Invalid", "the patch removed metadata");
  }
  // A patch that sets metadata.resourceVersion is a precondition (optimistic concurrency).
  return Replace(res, ns, name, std::move(patched), status_only);
}

FakeKubeReply FakeKubeStore::Delete(const FakeKubeResource& res, const std::string& ns,
                                    const std::string& name, const json& options) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(Key(res, ns, name));
  if (it == objects_.end()) {
    return StatusReply(404, "NotFound", res.plural + " \"" + name + "\" not found");
  }
  if (options.is_object() && options.contains("preconditions")) {
    const json& pre = options["preconditions"];
    const json& meta = it->second["metadata"];
    if ((pre.contains("resourceVersion") && pre["resourceVersion"] != meta["resourceVersion"]) ||
        (pre.contains("uid") && pre["uid"] != meta["uid"])) {
      return StatusReply(409, "Conflict",
                         "Operation cannot be fulfilled on " + res.plural + " \"" + name +
                             "\": the precondition does not match the stored object");
    }
  }
  json object = it->second;
  return Commit(res, ns, std::move(object), "DELETED");
}

void FakeKubeStore::Compact() {
  std::lock_guard lock(mu_);
  compacted_ = version_;
  history_.clear();
}

void FakeKubeStore::WakeAll() {
  changed_.notify_all();
}

void FakeKubeStore::Watch(const FakeKubeResource& res, const std::string& ns,
                          const WatchOptions& options,
                          const std::function<bool(const FakeWatchEvent&)>& emit,
                          const std::function<bool()>& stopped) {
  const std::string resource_key = res.group + "/" + res.plural;
  auto matches = [&](const std::string& object_ns, const json& object) {
    return (ns.empty() || object_ns == ns) && options.selectors.Matches(object);
  };
  std::unique_lock lock(mu_);
  uint64_t sent = 0;
  if (options.from_version.empty() || options.from_version == "0") {
    // Like the real server: the current state as ADDED events, then the changes after it.
    std::vector<FakeWatchEvent> initial;
    for (const auto& [key, object] : objects_) {
      if (key.starts_with(resource_key + "/") &&
          matches(object["metadata"].value("namespace", ""), object)) {
        initial.push_back({"ADDED", object});
      }
    }
    sent = version_;
    lock.unlock();
    for (const auto& event : initial) {
      if (!emit(event)) {
        return;
      }
    }
    lock.lock();
  } else {
    sent = std::stoull(options.from_version);
    if (sent < compacted_) {
      lock.unlock();
      FakeKubeReply expired = StatusReply(410, "Expired",
                                          "too old resource version: " + options.from_version +
                                              " (" + std::to_string(compacted_) + ")");
      emit({"ERROR", expired.body});
      return;
    }
  }
  auto next_bookmark = std::chrono::steady_clock::now() + options.bookmark_every;
  while (!stopped() && std::chrono::steady_clock::now() < options.deadline) {
    std::vector<FakeWatchEvent> batch;
    for (const auto& stored : history_) {
      if (stored.version > sent && stored.resource_key == resource_key &&
          matches(stored.ns, stored.event.object)) {
        batch.push_back(stored.event);
      }
    }
    if (!history_.empty()) {
      sent = std::max(sent, history_.back().version);
    }
    const bool bookmark_due =
        options.bookmarks && std::chrono::steady_clock::now() >= next_bookmark;
    const uint64_t current = version_;
    lock.unlock();
    for (const auto& event : batch) {
      if (!emit(event)) {
        return;
      }
    }
    if (bookmark_due) {
      next_bookmark = std::chrono::steady_clock::now() + options.bookmark_every;
      json object = {{"kind", res.kind},
                     {"apiVersion", res.ApiVersion()},
                     {"metadata", {{"resourceVersion", std::to_string(current)}}}};
      if (!emit({"BOOKMARK", object})) {
        return;
      }
    }
    lock.lock();
    auto wake = std::min(options.deadline, options.bookmarks ? next_bookmark
                                                             : std::chrono::steady_clock::now() +
                                                                   std::chrono::milliseconds(200));
    changed_.wait_until(lock, wake, [&] {
      return stopped() || (!history_.empty() && history_.back().version > sent);
    });
  }
}

}  // namespace hasteward::testing
