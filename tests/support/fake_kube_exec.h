// Pod exec of the test kubelet (KubeletAgent), backed by a real local process, over either
// transport a client may ask for:
// - WebSocket, the Kubernetes channel protocol (v5.channel.k8s.io / v4.channel.k8s.io): binary or
//   text messages carry one channel byte and the payload: 0 stdin, 1 stdout, 2 stderr, 3 the final
//   metav1.Status (Success, or Failure/NonZeroExitCode with an ExitCode cause), 4 resize
//   (ignored); in v5 the client half-closes stdin with [255, 0]. As the kubelet does, every output
//   channel first gets an empty message.
// - SPDY/3.1 (kubectl before 1.30, e.g. Debian 12's 1.20), v4.channel.k8s.io: the client opens one
//   stream per channel (header streamtype = error, stdin, stdout, stderr, resize), ends stdin with
//   FIN; output and the same status go as data frames, each stream ending with FIN.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/byte_stream.h"
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

enum class FakeExecTransportKind { kWebSocket, kSpdy };

enum class FakeExecFault {
  kNone,
  kOmitStatus,  // end the session without the status message (a broken server, for fidelity)
};

// Exec channel numbers, as the WebSocket protocol numbers them (SPDY maps its streams to them).
inline constexpr uint8_t kFakeExecStdin = 0;
inline constexpr uint8_t kFakeExecStdout = 1;
inline constexpr uint8_t kFakeExecStderr = 2;
inline constexpr uint8_t kFakeExecStatus = 3;
inline constexpr uint8_t kFakeExecResize = 4;

// How one exec session's bytes cross the connection: what the process runner needs of WebSocket
// or SPDY. Send and EndChannel may be called from several threads at once.
class FakeExecTransport {
 public:
  virtual ~FakeExecTransport() = default;
  // Sends output on `channel` (stdout, stderr, status); false when the client is gone.
  virtual bool Send(uint8_t channel, core::ByteView data) = 0;
  // Marks the end of an output channel (SPDY: FIN on its stream; nothing on WebSocket).
  virtual void EndChannel(uint8_t channel) = 0;
  // Reads the client until it leaves or ends the session, passing stdin data and stdin's end on.
  virtual void ReadClient(const std::function<void(core::ByteView)>& on_stdin,
                          const std::function<void()>& on_stdin_end) = 0;
  // Ends the session after the last output (WebSocket close frame, SPDY GOAWAY).
  virtual void Close() = 0;
};

// Runs `process` over `transport`: pumps its output, feeds it stdin, sends the exit status (unless
// `fault` omits it), closes. Returns when the process has exited and the client has left; a
// client that leaves first gets the process killed, as the kubelet does.
void RunFakeExecProcess(FakeExecTransport& transport, platform::kubernetes::NetStream& stream,
                        const FakeExecRequest& request, const FakePodProcess& process,
                        FakeExecFault fault);

// Runs the session on a connection already upgraded to WebSocket (see RunFakeExecProcess).
void RunFakeExecSession(platform::kubernetes::NetStream& stream,
                        platform::kubernetes::BufferedReader& reader,
                        const FakeExecRequest& request, const FakePodProcess& process,
                        FakeExecFault fault);

// Runs the session on a connection already upgraded to SPDY/3.1: waits until the client has
// opened the streams the request names, then as RunFakeExecProcess.
void RunFakeSpdyExecSession(platform::kubernetes::NetStream& stream,
                            platform::kubernetes::BufferedReader& reader,
                            const FakeExecRequest& request, const FakePodProcess& process,
                            FakeExecFault fault);

}  // namespace hasteward::testing
