#include "support/fault_proxy.h"

#include <thread>

namespace hasteward::testing {
namespace {

std::string ErrorResponse(int status, const std::string& code) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                     "</Code><Message>injected by FaultProxy</Message></Error>";
  return "HTTP/1.1 " + std::to_string(status) +
         (status == 500 ? " Internal Server Error" : " Service Unavailable") +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

core::Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(Options options) {
  std::unique_ptr<FaultProxy> p(new FaultProxy(std::move(options)));
  HS_ASSIGN_OR_RETURN(p->server_,
                      LoopbackServer::Start([raw = p.get()](HttpConn& c) { raw->Serve(c); }));
  return p;
}

FaultProxy::Stats FaultProxy::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void FaultProxy::SetFaultRate(double rate) {
  std::lock_guard lock(mu_);
  options_.fault_rate = rate;
}

std::optional<FaultProxy::Fault> FaultProxy::Draw(const std::string& method) {
  std::lock_guard lock(mu_);
  ++stats_.requests;
  ++stats_.by_method[method];
  std::uniform_real_distribution<double> u(0.0, 1.0);
  if (options_.faults.empty() || u(rng_) >= options_.fault_rate)
    return std::nullopt;
  ++stats_.faults;
  return options_.faults[rng_() % options_.faults.size()];
}

void FaultProxy::Count(uint64_t up, uint64_t down) {
  std::lock_guard lock(mu_);
  stats_.bytes_up += up;
  stats_.bytes_down += down;
}

bool FaultProxy::Forward(std::unique_ptr<HttpConn>& upstream, const HttpHead& head,
                         const std::string& request, std::string* response,
                         HttpHead* response_head) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!upstream) {
      auto fd = ConnectLoopback(options_.upstream_port);
      if (!fd.ok())
        return false;
      upstream = std::make_unique<HttpConn>(std::move(*fd));
    }
    std::string raw;
    if (upstream->Write(request) && upstream->ReadHead(&raw)) {
      *response_head = HttpHead{};
      if (!ParseHead(raw, response_head))
        return false;
      response->swap(raw);
      if (!upstream->ReadBody(*response_head, true, head.method == "HEAD", response))
        return false;
      if (response_head->Get("connection") == "close")
        upstream.reset();
      return true;
    }
    upstream.reset();  // a kept-alive connection the server closed: reconnect once
  }
  return false;
}

void FaultProxy::Serve(HttpConn& client) {
  std::unique_ptr<HttpConn> upstream;
  for (;;) {
    std::string request;
    HttpHead head;
    if (!client.ReadHead(&request) || !ParseHead(request, &head))
      return;
    size_t head_size = request.size();
    if (!client.ReadBody(head, false, false, &request))
      return;
    std::optional<Fault> fault = Draw(head.method);
    if (fault == Fault::kReset)
      return client.Reset();
    if (fault == Fault::kError503) {
      if (!client.Write(ErrorResponse(503, "SlowDown")))
        return;
      continue;
    }
    if (fault == Fault::kResetMidRequest) {
      auto fd = ConnectLoopback(options_.upstream_port);
      if (fd.ok()) {
        HttpConn up(std::move(*fd));
        up.Write(std::string_view(request).substr(0, head_size + (request.size() - head_size) / 2));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the server read the part
        up.Reset();
      }
      return client.Reset();
    }
    if (fault == Fault::kSlow)
      std::this_thread::sleep_for(options_.slow_delay);
    std::string response;
    HttpHead rhead;
    if (!Forward(upstream, head, request, &response, &rhead))
      return client.Reset();
    Count(request.size(), response.size());
    if (fault == Fault::kError500) {
      if (!client.Write(ErrorResponse(500, "InternalError")))
        return;
      continue;
    }
    if (fault == Fault::kTruncateBody) {
      auto body_at = response.find("\r\n\r\n") + 4;
      if (response.size() - body_at < 2)
        return client.Reset();
      client.Write(std::string_view(response).substr(0, body_at + (response.size() - body_at) / 2));
      return client.Reset();
    }
    if (!client.Write(response))
      return;
  }
}

}  // namespace hasteward::testing
