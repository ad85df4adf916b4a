// What a standby node answers while it waits for the leader lease (docs/scaleout.md): on the
// DIP API's address, GET /healthz 200 (the process is alive) and everything else 503 with a
// short text naming the node and the lease holder, so a load balancer that checks /readyz sends
// no traffic here; on the metrics address, diphub_ready 0 and diphub_cluster_leader 0, and how
// the standby's view follows the stream (StandbyFollowState). Both close before the hub starts
// and binds the same addresses. Plain HTTP only: behind TLS
// (http.tls) the balancer's check fails the handshake instead, which also reads as not ready.
//
// Thread-safety: construct, Start and Stop from one thread; the holder callback is called on the
// server's own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dip/status.h"

namespace diphub::broker {

// What a standby's follower (cluster.follow_ms) last saw, written by the follower and read by the
// metrics address (docs/metrics.md, docs/scaleout.md).
struct StandbyFollowState {
  // False once a catch-up found the data dir or the stream wrong for this node (it could not
  // take over); true again after a catch-up that succeeds. An unreachable stream changes nothing.
  std::atomic<bool> can_take_over{true};
  // Unix time (seconds) of the end of the last catch-up that reached the stream's end; 0 before.
  std::atomic<double> caught_up_at{0};
  // Entries applied by the catch-ups since the process started.
  std::atomic<std::uint64_t> applied{0};
};

// The standby's metrics page (Prometheus text): diphub_ready 0, diphub_cluster_leader 0 and, when
// `follow` is not nullptr, the diphub_cluster_standby_* gauges and counter drawn from it.
std::string StandbyMetricsPage(const StandbyFollowState* follow);
// The families that page declares with a follower ("# TYPE" lines), in its order.
std::vector<std::string> StandbyMetricFamilies();

class StandbyServer {
 public:
  // `holder()` names the current lease holder ("" when unknown). `follow` (nullptr when
  // following is off) must outlive the server.
  StandbyServer(std::string http_listen, std::string metrics_listen, std::string node,
                std::function<std::string()> holder, const StandbyFollowState* follow);
  ~StandbyServer();
  StandbyServer(const StandbyServer&) = delete;
  StandbyServer& operator=(const StandbyServer&) = delete;

  // Binds both addresses ("" skips one). A bind error is returned: another process holds the
  // port, and the hub could not start on it either.
  dip::Status Start();
  void Stop();
  // "http=host:port" and "metrics=host:port" as bound.
  std::vector<std::string> Endpoints() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace diphub::broker
