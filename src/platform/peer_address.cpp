#include "platform/peer_address.h"

#include <charconv>

namespace hasteward::platform {

namespace {

// The label's port, or 0 when absent or not a port.
int LabelPort(const Instance& instance) {
  auto found = instance.labels.find(kPeerPortLabel);
  if (found == instance.labels.end()) {
    return 0;
  }
  int port = 0;
  const std::string& text = found->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  return error == std::errc() && end == text.data() + text.size() && port > 0 ? port : 0;
}

bool IsLoopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

bool HasPeerAddress(const Instance& instance) {
  return LabelPort(instance) != 0 && instance.labels.count(kPeerHostLabel) != 0;
}

const std::string& PeerHost(const Instance& instance) {
  return HasPeerAddress(instance) ? instance.labels.at(kPeerHostLabel) : instance.host;
}

const std::string& StableHost(const Instance& instance) {
  auto found = instance.labels.find(kStableHostLabel);
  return found != instance.labels.end() && !found->second.empty() ? found->second
                                                                  : PeerHost(instance);
}

int PeerPort(const Instance& instance) {
  return HasPeerAddress(instance) ? LabelPort(instance) : instance.port;
}

void SetPeerAddress(Instance& instance, const std::string& host, int port) {
  instance.labels[kPeerHostLabel] = host;
  instance.labels[kPeerPortLabel] = std::to_string(port);
}

void ClearPeerAddress(Instance& instance) {
  instance.labels.erase(kPeerHostLabel);
  instance.labels.erase(kPeerPortLabel);
}

bool NamesInstance(const Instance& instance, std::string_view host, int port) {
  if (port != PeerPort(instance) || host.empty()) {
    return false;
  }
  const std::string& peer_host = PeerHost(instance);
  if (host == peer_host || host == StableHost(instance)) {
    return true;
  }
  const std::string& name = instance.name;
  if (!name.empty() && host.rfind(name, 0) == 0 &&
      (host.size() == name.size() || host[name.size()] == '.')) {
    return true;
  }
  return IsLoopback(host) && IsLoopback(peer_host);
}

}  // namespace hasteward::platform
