// A real nats-server cluster for tests: N processes (default 3) on 127.0.0.1, JetStream on with
// file storage in a temp dir, one cluster name, routes to each other. Client, cluster and
// monitoring ports are picked free (bind port 0, read, close); a start that finds a port taken
// picks new ones and tries again. Start() returns once every node answers /healthz and JetStream
// has a meta leader. Nodes can be killed with SIGKILL and restarted on the same ports and store
// dir. Every process is killed in the destructor, so a failing test leaves none behind.
//
// Not thread-safe: drive it from the test's thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace diphub::testing {

class NatsCluster {
 public:
  explicit NatsCluster(int nodes = 3, std::string cluster_name = "diphub-test");
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // Starts every node and waits until the cluster is ready; false with the reason (and the
  // tail of the logs) in `error`.
  bool Start(std::string* error, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL, then reaps the process (a crash: nothing flushed, no goodbye to the routes).
  void Kill(int node);
  // Starts a killed node again with the same ports and store dir and waits until it answers
  // /healthz (JetStream current with the cluster).
  bool Restart(int node, std::string* error,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Stops every node (SIGTERM, then SIGKILL after a few seconds).
  void Stop();

  int size() const { return static_cast<int>(nodes_.size()); }
  bool running(int node) const;
  pid_t pid(int node) const;  // -1 when not running
  const std::string& server_name(int node) const { return nodes_[node].name; }
  std::string Url(int node) const;  // nats://127.0.0.1:PORT
  std::vector<std::string> Urls() const;
  std::string UrlList() const;  // the URLs joined with ','
  // The node whose server_name is `name`, or -1.
  int NodeNamed(const std::string& name) const;
  // The JetStream meta leader as seen by `node` ("" when it has none or does not answer).
  std::string MetaLeader(int node) const;
  // GET `path` on the node's monitoring port; "" when it does not answer 200.
  std::string Monitor(int node, const std::string& path) const;
  std::string Logs() const;  // the last lines of every node's log, for failure messages

 private:
  struct Node {
    std::string name;
    int client_port = 0, cluster_port = 0, monitor_port = 0;
    std::string config, log, store;
    std::unique_ptr<ChildProcess> process;
  };
  void PickPorts();
  void WriteConfigs();
  bool StartNode(int node);
  bool Healthy(int node) const;
  bool PortClash() const;

  TempDir dir_;
  std::string cluster_name_;
  std::vector<Node> nodes_;
};

// A TCP port on 127.0.0.1 free at the time of the call (bound to port 0, read, closed).
int PickFreePort();

// The path of nats-server, or "" when it is not installed.
std::string NatsServerBinary();

}  // namespace diphub::testing
