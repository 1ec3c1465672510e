// Pod exec of FakeKubeApi: one WebSocket session of the Kubernetes channel protocol
// (v5.channel.k8s.io / v4.channel.k8s.io) backed by a real local process. Binary or text messages
// carry one channel byte and the payload: 0 stdin, 1 stdout, 2 stderr, 3 the final metav1.Status
// (Success, or Failure/NonZeroExitCode with an ExitCode cause), 4 resize (ignored); in v5 the
// client half-closes stdin with [255, 0]. As the kubelet does, every output channel first gets an
// empty message.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "platform/kubernetes/net_stream.h"

namespace hasteward::testing {

// How the fake runs a command "in" a pod: a local process, e.g. as the OS user of a sandbox
// instance with its environment.
struct FakePodProcess {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added to the test's environment
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::string cwd;
};

// Maps the exec request's command and container to the local process; the default runs the
// command as given.
using FakePodExecutor = std::function<FakePodProcess(const std::vector<std::string>& command,
                                                     const std::string& container)>;

struct FakeExecRequest {
  std::vector<std::string> command;
  std::string container;
  bool stdin = false;
  bool stdout = true;
  bool stderr = true;
  std::string protocol;  // the negotiated subprotocol
};

enum class FakeExecFault {
  kNone,
  kOmitStatus,  // end the session without the status message (a broken server, for fidelity)
};

// Runs the session on a connection already upgraded to WebSocket; returns when the process has
// exited and its status was sent, or when the client went away (the process is then killed).
void RunFakeExecSession(platform::kubernetes::NetStream& stream,
                        platform::kubernetes::BufferedReader& reader,
                        const FakeExecRequest& request, const FakePodProcess& process,
                        FakeExecFault fault);

}  // namespace hasteward::testing
