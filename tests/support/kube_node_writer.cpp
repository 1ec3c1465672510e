#include "support/kube_node_writer.h"

#include <sstream>

namespace hasteward::testing {

core::Result<AckWriterPod> AckWriterPod::Start(const KubeNode& node, const std::string& ns,
                                               const std::string& name, const std::string& image,
                                               const std::string& commit,
                                               const nlohmann::json& env) {
  const nlohmann::json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec",
       {{"restartPolicy", "Never"},
        {"containers",
         {{{"name", "writer"},
           {"image", image},
           {"imagePullPolicy", "Never"},
           {"env", env},
           {"command",
            {"bash", "-c",
             "i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); if " + commit +
                 " 2>/dev/null; then echo ack $i; fi; sleep 0.05; done; echo stopped"}}}}}}}};
  HS_TRY(node.Apply(pod.dump()));
  AckWriterPod writer(&node, ns, name);
  HS_TRY(node.WaitFor(
      "the writer's first acknowledged commits", std::chrono::seconds(120),
      [&] { return writer.Acknowledged().size() >= 20; },
      [&] {
        return node.Kubectl({"describe", "pod", name, "-n", ns}).out;
      }));
  return writer;
}

std::vector<int> AckWriterPod::Acknowledged() const {
  CmdResult logs = node_->Kubectl({"logs", "-n", ns_, name_});
  std::vector<int> ids;
  std::istringstream words(logs.out);
  for (std::string word; words >> word;) {
    if (word == "ack") {
      int id = 0;
      words >> id;
      ids.push_back(id);
    }
  }
  return ids;
}

bool AckWriterPod::WaitForMore(size_t since, size_t count) const {
  return node_
      ->WaitFor("acknowledged commits", std::chrono::seconds(120),
                [&] { return Acknowledged().size() >= since + count; })
      .ok();
}

void AckWriterPod::Stop() {
  (void)node_->Exec(ns_, name_, "writer", {"touch", "/tmp/stop"});
  (void)node_->WaitFor("the writer to stop", std::chrono::seconds(30), [&] {
    return node_->Kubectl({"logs", "-n", ns_, name_}).out.find("stopped") != std::string::npos;
  });
}

int CountLost(const std::vector<int>& acknowledged, const std::set<int>& stored) {
  int lost = 0;
  for (int id : acknowledged) {
    lost += stored.count(id) == 0 ? 1 : 0;
  }
  return lost;
}

WritableSampler::WritableSampler(std::function<int()> writable)
    : thread_([this, writable = std::move(writable)] {
        while (!stop_) {
          const int now = writable();
          ++samples_;
          two_writable_ += now > 1 ? 1 : 0;
        }
      }) {}

WritableSampler::~WritableSampler() {
  Stop();
}

void WritableSampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace hasteward::testing
