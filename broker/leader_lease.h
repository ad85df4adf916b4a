// Leadership among diphub nodes sharing one JetStream log (docs/scaleout.md): a lease held as
// key `leader` of a JetStream KV bucket (history 1, R`replicas`). Every write of the key is a
// publish on its subject conditional on the key's last revision (Nats-Expected-Last-Subject-
// Sequence), answered by the bucket's stream leader, so two nodes never both win one revision.
//
//  - Acquire: write this node's name if the key is absent (never written, or deleted by its
//    holder on a clean stop). Otherwise the refusal names the key's current revision; a standby
//    that sees the same revision refused for `ttl` without a gap takes the key over with a write
//    conditional on that revision. Until then it polls every ttl/6, logging the holder every
//    few seconds. The staleness clock restarts whenever a poll gets no answer, so a standby
//    never counts a time in which the holder could not have renewed either (the bucket's stream
//    electing a new leader after a nats node died: nats-server 2.9 takes 5 to 9 s).
//  - Renew: every ttl/3 a write conditional on the revision this node last wrote. A refusal means
//    another node took the key: the lease is lost at once (unless the key still holds this
//    node's name: a renewal whose answer was lost was written after all, and its revision is
//    adopted once). A renewal without an answer is
//    retried every ttl/10 for up to `unreachable_after`; then the lease is counted lost.
//  - Release: a delete marker (KV-Operation: DEL) conditional on this node's revision, so a
//    clean stop hands over at once and never deletes a successor's key.
//
// The lease is coordination, not safety: the log's fencing (Nats-Expected-Last-Sequence on every
// publish) is what stops a deposed leader that has not noticed yet from interleaving.
//
// Thread-safety: Acquire, Release, Abandon and Holder from one thread (the owner's);
// RequestStop, held(), holder_seen() and lost_reason() from any thread. `on_lost` runs once, on
// the renewal thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dip/status.h"

namespace diphub::broker {

struct LeaseOptions {
  std::vector<std::string> servers;      // nats:// URLs of the cluster. Default: none (required)
  std::string bucket = "diphub_leader";  // the KV bucket. Default: diphub_leader
  std::string key = "leader";            // the key in it. Default: leader
  std::string node;  // this node's name, the key's value. Default: "" (required)
  // A holder silent this long (as seen by a standby) is replaced. Default: 3000 ms
  std::chrono::milliseconds ttl{3000};
  // Renewals without an answer for this long = lost. Default: 15 s
  std::chrono::milliseconds unreachable_after{15000};
  int replicas = 3;  // replicas of the bucket when this node creates it. Default: 3
  std::chrono::milliseconds log_every{5000};  // while waiting, log the holder. Default: 5 s
};

class LeaderLease {
 public:
  // `on_lost(reason)` is called once, from the renewal thread, when a held lease is lost.
  LeaderLease(LeaseOptions options, std::function<void(const std::string&)> on_lost);
  // Stops renewing without releasing (as a crash would); call Release() for a clean handover.
  ~LeaderLease();
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  // Blocks until this node holds the lease (Ok; renewals have started) or a stop is requested
  // (RequestStop() or `should_stop` returning true, checked every 100 ms): then an Io error.
  // Connection and bucket errors are logged and retried.
  dip::Status Acquire(const std::function<bool()>& should_stop = {});
  void RequestStop();

  // Stops renewing and deletes the key if this node still holds it: another node's Acquire
  // succeeds at once.
  void Release();
  // Stops renewing and keeps the key: it expires after the TTL (tests: a node that hangs).
  void Abandon();

  bool held() const { return held_.load(); }
  std::string lost_reason() const;
  // The holder last seen by Acquire ("" before the first poll).
  std::string holder_seen() const;
  // The name the key holds now ("" when nobody holds it or the cluster does not answer).
  std::string Holder();

 private:
  struct Nats;
  struct Write {
    bool ok = false;             // written; `revision` is the new one
    bool refused = false;        // answered: the key is not at the expected revision
    std::uint64_t revision = 0;  // the new revision, or the key's current one when refused
    std::string error;
  };
  dip::Status Connect();
  // Publishes on the key's subject, conditional on `expected` (0: the key must not exist).
  Write Put(std::uint64_t expected, bool erase = false);
  void Won(std::uint64_t revision, const std::string& how);
  // The key's value; "" when absent or deleted; nullopt when the cluster does not answer.
  std::optional<std::string> Lookup();
  void Renew();
  void StopRenewing();
  void Lost(const std::string& reason);
  // Waits `d` or until RequestStop(); false when a stop was requested.
  bool WaitFor(std::chrono::milliseconds d);

  LeaseOptions options_;
  std::function<void(const std::string&)> on_lost_;
  std::unique_ptr<Nats> nats_;
  std::atomic<bool> held_{false};
  std::uint64_t revision_ = 0;  // the revision this node last wrote; the renewal thread's
  std::thread renewer_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;        // Acquire must return; guarded by mu_
  bool stop_renew_ = false;  // the renewal thread must return; guarded by mu_
  std::string lost_reason_;  // guarded by mu_
  std::string holder_seen_;  // guarded by mu_
};

}  // namespace diphub::broker
