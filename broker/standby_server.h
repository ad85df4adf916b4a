// What a standby node answers while it waits for the leader lease (docs/scaleout.md): on the
// DIP API's address, GET /healthz 200 (the process is alive) and everything else 503 with a
// short text naming the node and the lease holder, so a load balancer that checks /readyz sends
// no traffic here; on the metrics address, diphub_ready 0 and diphub_cluster_leader 0. Both
// close before the hub starts and binds the same addresses. Plain HTTP only: behind TLS
// (http.tls) the balancer's check fails the handshake instead, which also reads as not ready.
//
// Thread-safety: construct, Start and Stop from one thread; the holder callback is called on the
// server's own thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dip/status.h"

namespace diphub::broker {

class StandbyServer {
 public:
  // `holder()` names the current lease holder ("" when unknown).
  StandbyServer(std::string http_listen, std::string metrics_listen, std::string node,
                std::function<std::string()> holder);
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
