#include "dr/source_probe.h"

#include "core/tcp_probe.h"
#include "engine/engine.h"

namespace hasteward::dr {

namespace {

SourceProbe FromVerdict(const engine::WriteProbeResult& result) {
  SourceProbe probe;
  probe.detail = std::string("write probe ") + engine::WriteProbeVerdictName(result.verdict) +
                 ": " + result.detail;
  switch (result.verdict) {
    case engine::WriteProbeVerdict::kWritable: probe.state = SourceState::kWritable; break;
    // Fenced or gone: it takes no writes now. Where its writes ended is still unknown.
    case engine::WriteProbeVerdict::kNotWritable:
    case engine::WriteProbeVerdict::kUnreachable: probe.state = SourceState::kUnknown; break;
    case engine::WriteProbeVerdict::kRefused:
    case engine::WriteProbeVerdict::kUndetermined: probe.state = SourceState::kProbeFailed; break;
  }
  return probe;
}

}  // namespace

SourceProbe ProbeSource(const SourceSpec& spec) {
  SourceProbe probe;
  if (spec.probe.empty()) {
    return probe;
  }
  auto colon = spec.probe.rfind(':');
  std::string host = spec.probe.substr(0, colon);
  int port = std::stoi(spec.probe.substr(colon + 1));  // checked by the declaration's parser
  if (spec.probe_credentials.user.empty()) {
    // Answering is enough to refuse: a reachable source that HASteward did not demote may still
    // take writes, and without an account nothing could prove otherwise.
    bool answers = core::TcpAccepts(host, port);
    probe.state = answers ? SourceState::kWritable : SourceState::kUnknown;
    probe.detail = spec.probe + (answers ? " accepts TCP connections (no probeCredentials)"
                                         : " accepts no TCP connection");
    return probe;
  }
  auto engine = engine::MakeEngine(spec.engine);
  if (!engine.ok()) {
    probe.state = SourceState::kProbeFailed;
    probe.detail = engine.status().message();
    return probe;
  }
  return FromVerdict((*engine)->ProbeWritable(
      {.host = host, .port = port, .credentials = spec.probe_credentials}));
}

}  // namespace hasteward::dr
