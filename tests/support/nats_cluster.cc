#include "tests/support/nats_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <thread>

#include "tests/support/http_client.h"

namespace diphub::testing {
namespace {

// Binds 127.0.0.1 port 0 and returns the socket (still open, so the next pick differs) and port.
std::pair<int, int> BindFree() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return {-1, 0};
  }
  return {fd, ntohs(a.sin_port)};
}

std::string Tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  while (lines > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    --lines;
  }
  return text.substr(pos);
}

}  // namespace

int PickFreePort() {
  auto [fd, port] = BindFree();
  if (fd >= 0) ::close(fd);
  return port;
}

std::string NatsServerBinary() {
  for (const char* p :
       {"/usr/bin/nats-server", "/usr/local/bin/nats-server", "/usr/sbin/nats-server"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

NatsCluster::NatsCluster(int nodes, std::string cluster_name)
    : cluster_name_(std::move(cluster_name)), nodes_(static_cast<std::size_t>(nodes)) {
  for (int i = 0; i < nodes; ++i) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    n.name = "n" + std::to_string(i);
    n.config = dir_.File(n.name + ".conf");
    n.log = dir_.File(n.name + ".log");
    n.store = dir_.File(n.name + "-js");
  }
}

NatsCluster::~NatsCluster() {
  for (Node& n : nodes_) n.process.reset();  // SIGKILL and reap
}

void NatsCluster::PickPorts() {
  std::vector<int> fds;
  auto pick = [&fds] {
    auto [fd, port] = BindFree();
    if (fd >= 0) fds.push_back(fd);
    return port;
  };
  for (Node& n : nodes_) {
    n.client_port = pick();
    n.cluster_port = pick();
    n.monitor_port = pick();
  }
  for (int fd : fds) ::close(fd);
}

void NatsCluster::WriteConfigs() {
  for (const Node& n : nodes_) {
    std::string routes;
    for (const Node& other : nodes_) {
      if (&other == &n) continue;
      routes += "    nats-route://127.0.0.1:" + std::to_string(other.cluster_port) + "\n";
    }
    WriteFile(n.config, "server_name: " + n.name + "\n" +
                            "listen: 127.0.0.1:" + std::to_string(n.client_port) + "\n" +
                            "http: 127.0.0.1:" + std::to_string(n.monitor_port) + "\n" +
                            "jetstream {\n  store_dir: \"" + n.store + "\"\n}\n" +
                            "cluster {\n  name: " + cluster_name_ + "\n" +
                            "  listen: 127.0.0.1:" + std::to_string(n.cluster_port) + "\n" +
                            "  routes: [\n" + routes + "  ]\n}\n");
  }
}

bool NatsCluster::StartNode(int node) {
  Node& n = nodes_[static_cast<std::size_t>(node)];
  n.process = std::make_unique<ChildProcess>(NatsServerBinary(),
                                             std::vector<std::string>{"-c", n.config}, n.log);
  return n.process->Start(/*die_with_parent=*/true);
}

bool NatsCluster::running(int node) const {
  const Node& n = nodes_[static_cast<std::size_t>(node)];
  return n.process && n.process->running();
}

pid_t NatsCluster::pid(int node) const {
  return running(node) ? nodes_[static_cast<std::size_t>(node)].process->pid() : -1;
}

std::string NatsCluster::Url(int node) const {
  return "nats://127.0.0.1:" + std::to_string(nodes_[static_cast<std::size_t>(node)].client_port);
}

std::vector<std::string> NatsCluster::Urls() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(Url(i));
  return out;
}

std::string NatsCluster::UrlList() const {
  std::string out;
  for (const std::string& u : Urls()) out += (out.empty() ? "" : ",") + u;
  return out;
}

int NatsCluster::NodeNamed(const std::string& name) const {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[static_cast<std::size_t>(i)].name == name) return i;
  }
  return -1;
}

std::string NatsCluster::Monitor(int node, const std::string& path) const {
  HttpResult r = HttpRequest(
      "127.0.0.1", static_cast<std::uint16_t>(nodes_[static_cast<std::size_t>(node)].monitor_port),
      "GET", path, "", {}, std::chrono::seconds(2));
  return r.status == 200 ? r.body : "";
}

std::string NatsCluster::MetaLeader(int node) const {
  static const std::regex kLeader(R"re("meta_cluster"\s*:\s*\{[^}]*"leader"\s*:\s*"([^"]+)")re");
  std::smatch m;
  const std::string jsz = Monitor(node, "/jsz");
  return std::regex_search(jsz, m, kLeader) ? m[1].str() : "";
}

bool NatsCluster::Healthy(int node) const {
  if (!running(node)) return false;
  const Node& n = nodes_[static_cast<std::size_t>(node)];
  HttpResult r = HttpRequest("127.0.0.1", static_cast<std::uint16_t>(n.monitor_port), "GET",
                             "/healthz", "", {}, std::chrono::seconds(2));
  return r.status == 200 && !MetaLeader(node).empty();
}

bool NatsCluster::PortClash() const {
  for (const Node& n : nodes_) {
    if (ReadFile(n.log).find("address already in use") != std::string::npos) return true;
  }
  return false;
}

bool NatsCluster::Start(std::string* error, std::chrono::milliseconds timeout) {
  if (NatsServerBinary().empty()) {
    *error = "nats-server is not installed (scripts/setup installs it)";
    return false;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::filesystem::remove_all(dir_.path());
    std::filesystem::create_directories(dir_.path());
    PickPorts();
    WriteConfigs();
    for (int i = 0; i < size(); ++i) {
      if (!StartNode(i)) {
        *error = "cannot start nats-server";
        return false;
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool clash = false;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (int i = 0; i < size() && all; ++i) all = Healthy(i);
      if (all) return true;
      for (int i = 0; i < size(); ++i) {
        if (nodes_[static_cast<std::size_t>(i)].process->Wait(std::chrono::milliseconds(0))) {
          clash = PortClash();
          if (!clash) {
            *error = server_name(i) + " exited while starting:\n" + Logs();
            Stop();
            return false;
          }
        }
      }
      if (clash) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!clash) {
      *error = "the nats cluster was not ready (JetStream meta leader on every node) in time:\n" +
               Logs();
      Stop();
      return false;
    }
    Stop();  // a port was taken between the pick and the bind: pick again
  }
  *error = "ports kept clashing:\n" + Logs();
  return false;
}

void NatsCluster::Kill(int node) {
  Node& n = nodes_[static_cast<std::size_t>(node)];
  if (!n.process) return;
  n.process->Signal(SIGKILL);
  n.process->Wait(std::chrono::seconds(10));
}

bool NatsCluster::Restart(int node, std::string* error, std::chrono::milliseconds timeout) {
  Kill(node);
  if (!StartNode(node)) {
    *error = "cannot start nats-server";
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Healthy(node)) return true;
    if (!running(node) ||
        nodes_[static_cast<std::size_t>(node)].process->Wait(std::chrono::milliseconds(0))) {
      *error = server_name(node) + " exited after a restart:\n" + Logs();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *error = server_name(node) + " did not become healthy after a restart:\n" + Logs();
  return false;
}

void NatsCluster::Stop() {
  for (Node& n : nodes_) {
    if (n.process && n.process->running()) n.process->Signal(SIGTERM);
  }
  for (Node& n : nodes_) {
    if (!n.process) continue;
    if (!n.process->Wait(std::chrono::seconds(5))) n.process->Signal(SIGKILL);
    n.process.reset();
  }
}

std::string NatsCluster::Logs() const {
  std::string out;
  for (const Node& n : nodes_) {
    out += "--- " + n.name + " (" + n.log + ")\n" + Tail(ReadFile(n.log), 15) + "\n";
  }
  return out;
}

}  // namespace diphub::testing
