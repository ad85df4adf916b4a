#include "broker/standby_server.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace diphub::broker {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// One request, one answer, then close (health checks and scrapes are one request each).
class Session : public std::enable_shared_from_this<Session> {
 public:
  using Answer = std::function<http::response<http::string_body>(const std::string& target)>;
  Session(tcp::socket socket, const Answer* answer) : stream_(std::move(socket)), answer_(answer) {}
  void Run() {
    stream_.expires_after(std::chrono::seconds(5));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->Respond();
                     });
  }

 private:
  void Respond() {
    response_ = (*answer_)(std::string(request_.target()));
    response_.version(request_.version());
    response_.keep_alive(false);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) {
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const Answer* answer_;
};

struct Listener {
  std::string name;
  std::string listen;
  Session::Answer answer;
  std::unique_ptr<tcp::acceptor> acceptor;
};

void Accept(Listener* l) {
  l->acceptor->async_accept([l](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), &l->answer)->Run();
    Accept(l);
  });
}

http::response<http::string_body> Text(http::status status, std::string body,
                                       const char* type = "text/plain; charset=utf-8") {
  http::response<http::string_body> r{status, 11};
  r.set(http::field::content_type, type);
  r.body() = std::move(body);
  return r;
}

}  // namespace

std::string StandbyMetricsPage(const StandbyFollowState* follow) {
  std::string text =
      "# HELP diphub_ready 1 when storage is open, delivery shards run and every adapter is up "
      "(as /readyz)\n# TYPE diphub_ready gauge\ndiphub_ready 0\n"
      "# HELP diphub_cluster_leader 1 on the node holding the cluster's leader lease "
      "(cluster.enabled only)\n# TYPE diphub_cluster_leader gauge\n"
      "diphub_cluster_leader 0\n";
  if (follow == nullptr) return text;
  text += fmt::format(
      "# HELP diphub_cluster_standby_can_take_over 0 when this standby's last catch-up found its "
      "data dir or the stream wrong for it (it could not take over)\n"
      "# TYPE diphub_cluster_standby_can_take_over gauge\n"
      "diphub_cluster_standby_can_take_over {}\n"
      "# HELP diphub_cluster_standby_caught_up_timestamp_seconds Unix time of this standby's last "
      "catch-up with the stream's end (0: none yet)\n"
      "# TYPE diphub_cluster_standby_caught_up_timestamp_seconds gauge\n"
      "diphub_cluster_standby_caught_up_timestamp_seconds {:.3f}\n"
      "# HELP diphub_cluster_standby_applied_entries_total Stream entries this standby's "
      "catch-ups applied to its view\n"
      "# TYPE diphub_cluster_standby_applied_entries_total counter\n"
      "diphub_cluster_standby_applied_entries_total {}\n",
      follow->can_take_over.load() ? 1 : 0, follow->caught_up_at.load(), follow->applied.load());
  return text;
}

std::vector<std::string> StandbyMetricFamilies() {
  StandbyFollowState follow;
  const std::string page = StandbyMetricsPage(&follow);
  const std::string_view key = "# TYPE ";
  std::vector<std::string> out;
  for (std::size_t at = page.find(key); at != std::string::npos; at = page.find(key, at + 1)) {
    const std::size_t begin = at + key.size();
    out.push_back(page.substr(begin, page.find(' ', begin) - begin));
  }
  return out;
}

struct StandbyServer::Impl {
  asio::io_context io;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::thread thread;
};

StandbyServer::StandbyServer(std::string http_listen, std::string metrics_listen, std::string node,
                             std::function<std::string()> holder, const StandbyFollowState* follow)
    : impl_(std::make_unique<Impl>()) {
  auto not_ready = [node, holder](const std::string& target) {
    if (target == "/healthz") return Text(http::status::ok, "ok: standby\n");
    const std::string h = holder();
    return Text(http::status::service_unavailable,
                "standby: node " + node + " waits for the leader lease" +
                    (h.empty() ? std::string() : " (held by " + h + ")") + "\n");
  };
  auto metrics = [follow](const std::string& target) {
    if (target != "/metrics") return Text(http::status::not_found, "not found\n");
    return Text(http::status::ok, StandbyMetricsPage(follow), "text/plain; version=0.0.4");
  };
  if (!http_listen.empty()) {
    impl_->listeners.push_back(
        std::make_unique<Listener>(Listener{"http", http_listen, not_ready, {}}));
  }
  if (!metrics_listen.empty()) {
    impl_->listeners.push_back(
        std::make_unique<Listener>(Listener{"metrics", metrics_listen, metrics, {}}));
  }
}

StandbyServer::~StandbyServer() { Stop(); }

dip::Status StandbyServer::Start() {
  for (auto& l : impl_->listeners) {
    const std::size_t colon = l->listen.rfind(':');
    std::string host = colon == std::string::npos ? "" : l->listen.substr(0, colon);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    const std::string port = colon == std::string::npos ? "" : l->listen.substr(colon + 1);
    try {
      tcp::resolver resolver(impl_->io);
      const tcp::endpoint ep = *resolver.resolve(host, port, tcp::resolver::passive).begin();
      l->acceptor = std::make_unique<tcp::acceptor>(impl_->io, ep, /*reuse_address=*/true);
    } catch (const std::exception& e) {
      return dip::Status::Config(l->name + " listen \"" + l->listen +
                                 "\": cannot listen: " + e.what());
    }
    Accept(l.get());
  }
  impl_->thread = std::thread([this] { impl_->io.run(); });
  for (const std::string& e : Endpoints()) spdlog::info("standby: answering not ready on {}", e);
  return dip::Status::Ok();
}

void StandbyServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
  for (auto& l : impl_->listeners) l->acceptor.reset();
}

std::vector<std::string> StandbyServer::Endpoints() const {
  std::vector<std::string> out;
  for (const auto& l : impl_->listeners) {
    if (!l->acceptor || !l->acceptor->is_open()) continue;
    const tcp::endpoint ep = l->acceptor->local_endpoint();
    out.push_back(l->name + "=" + ep.address().to_string() + ":" + std::to_string(ep.port()));
  }
  return out;
}

}  // namespace diphub::broker
