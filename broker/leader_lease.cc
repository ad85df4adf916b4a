#include "broker/leader_lease.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace diphub::broker {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string NatsError(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string out = natsStatus_GetText(s);
  if (text != nullptr && *text != '\0') out += std::string(" (") + text + ")";
  return out;
}

}  // namespace

struct LeaderLease::Nats {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;
  ~Nats() {
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
};

LeaderLease::LeaderLease(LeaseOptions options, std::function<void(const std::string&)> on_lost)
    : options_(std::move(options)), on_lost_(std::move(on_lost)) {}

LeaderLease::~LeaderLease() { StopRenewing(); }

dip::Status LeaderLease::Connect() {
  if (nats_ && nats_->kv != nullptr) return dip::Status::Ok();
  auto n = std::make_unique<Nats>();
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  std::vector<const char*> servers;
  for (const std::string& url : options_.servers) servers.push_back(url.c_str());
  const std::string name = "diphub-lease-" + options_.node;
  if (s == NATS_OK) {
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  }
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // to a survivor, for ever
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 100);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 2000);
  if (s == NATS_OK) s = natsConnection_Connect(&n->nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return dip::Status::Io("cannot connect to the nats cluster: " + NatsError(s));
  jsOptions jo;
  jsOptions_Init(&jo);
  // A renewal waits at most a third of the lease for its answer before it is retried.
  jo.Wait = std::max<std::int64_t>(options_.ttl.count() / 3, 200);
  if (s = natsConnection_JetStream(&n->js, n->nc, &jo); s != NATS_OK) {
    return dip::Status::Io("JetStream context: " + NatsError(s));
  }
  s = js_KeyValue(&n->kv, n->js, options_.bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = options_.bucket.c_str();
    cfg.History = 1;
    cfg.Replicas = options_.replicas;
    s = js_CreateKeyValue(&n->kv, n->js, &cfg);
    if (s == NATS_OK) {
      spdlog::info("cluster: created the lease bucket {} ({} replicas)", options_.bucket,
                   options_.replicas);
    }
  }
  if (s != NATS_OK) {
    return dip::Status::Io("lease bucket " + options_.bucket + ": " + NatsError(s));
  }
  nats_ = std::move(n);
  return dip::Status::Ok();
}

bool LeaderLease::WaitFor(milliseconds d) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stop_; });
}

void LeaderLease::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

LeaderLease::Write LeaderLease::Put(std::uint64_t expected, bool erase) {
  Write w;
  const std::string subject = "$KV." + options_.bucket + "." + options_.key;
  natsMsg* msg = nullptr;
  natsStatus s =
      natsMsg_Create(&msg, subject.c_str(), nullptr, erase ? nullptr : options_.node.data(),
                     erase ? 0 : static_cast<int>(options_.node.size()));
  if (s == NATS_OK && erase) s = natsMsgHeader_Set(msg, "KV-Operation", "DEL");
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (expected == 0) {
    po.ExpectNoMessage = true;
  } else {
    po.ExpectLastSubjectSeq = expected;
  }
  jsPubAck* ack = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, nats_->js, msg, &po, &jerr);
  if (s == NATS_OK) {
    w.ok = true;
    w.revision = ack->Sequence;
  } else {
    w.error = NatsError(s);
    if (jerr == JSStreamWrongLastSequenceErr) {
      w.refused = true;  // "wrong last sequence: N", from the stream leader
      const std::size_t at = w.error.find("wrong last sequence: ");
      if (at != std::string::npos) {
        w.revision = std::strtoull(w.error.c_str() + at + 21, nullptr, 10);
      }
    }
  }
  jsPubAck_Destroy(ack);
  natsMsg_Destroy(msg);
  return w;
}

void LeaderLease::Won(std::uint64_t revision, const std::string& how) {
  revision_ = revision;
  held_ = true;
  {
    std::lock_guard lock(mu_);
    stop_renew_ = false;
    lost_reason_.clear();
    holder_seen_ = options_.node;
  }
  renewer_ = std::thread([this] { Renew(); });
  spdlog::info("cluster: node {} holds the leader lease ({}/{}, {}; TTL {} ms)", options_.node,
               options_.bucket, options_.key, how, options_.ttl.count());
}

dip::Status LeaderLease::Acquire(const std::function<bool()>& should_stop) {
  const milliseconds poll = std::clamp(options_.ttl / 6, milliseconds(50), milliseconds(500));
  auto stopping = [&] {
    std::lock_guard lock(mu_);
    if (!stop_ && should_stop && should_stop()) stop_ = true;  // latched: it may consume a signal
    return stop_;
  };
  auto next_log = Clock::now();
  std::uint64_t seen_revision = 0;  // the revision refusals named, unchanged since...
  Clock::time_point seen_since{};   // ... this time, answered at every poll in between
  while (!stopping()) {
    std::string why;
    std::string holder;
    if (dip::Status c = Connect(); !c.ok()) {
      nats_.reset();
      why = c.help();
      seen_revision = 0;
    } else {
      Write w = Put(0);
      if (w.ok) {
        Won(w.revision, "the key was free");
        return dip::Status::Ok();
      }
      why = w.error;
      if (!w.refused || w.revision == 0) {
        seen_revision = 0;  // no answer: nobody could renew or take it; restart the clock
      } else {
        const std::optional<std::string> current = Lookup();
        holder = current.value_or("");
        if (!current) {
          seen_revision = 0;  // no answer
        } else if (holder.empty()) {
          // A delete marker (a clean release): take it over at its revision.
          Write t = Put(w.revision);
          if (t.ok) {
            Won(t.revision, "released by its holder");
            return dip::Status::Ok();
          }
        } else if (w.revision != seen_revision) {
          seen_revision = w.revision;
          seen_since = Clock::now();
        } else if (Clock::now() - seen_since >= options_.ttl) {
          Write t = Put(w.revision);
          if (t.ok) {
            Won(t.revision,
                holder + " did not renew for " + std::to_string(options_.ttl.count()) + " ms");
            return dip::Status::Ok();
          }
          seen_revision = 0;
        }
        std::lock_guard lock(mu_);
        holder_seen_ = holder;
      }
    }
    if (Clock::now() >= next_log) {
      if (!holder.empty()) {
        spdlog::info("cluster: standby; node {} waits for the leader lease held by {}",
                     options_.node, holder);
      } else {
        spdlog::warn("cluster: standby; node {} cannot take the leader lease: {}", options_.node,
                     why);
      }
      next_log = Clock::now() + options_.log_every;
    }
    // In slices, so `should_stop` (a signal check) is looked at often.
    for (auto until = Clock::now() + poll; Clock::now() < until;) {
      if (!WaitFor(std::min(milliseconds(100), poll)) || stopping()) break;
    }
  }
  return dip::Status::Io("stopped while waiting for the leader lease");
}

void LeaderLease::Renew() {
  const milliseconds every = std::max(options_.ttl / 3, milliseconds(10));
  const milliseconds retry = std::max(options_.ttl / 10, milliseconds(10));
  Clock::time_point last_ok_sent = Clock::now();
  milliseconds wait = every;
  bool adopted = false;  // the last refusal's revision was adopted as this node's own
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, wait, [this] { return stop_renew_; })) return;
    }
    const Clock::time_point sent = Clock::now();
    Write w = Put(revision_);
    if (w.ok) {
      revision_ = w.revision;
      last_ok_sent = sent;
      adopted = false;
      wait = every;
      continue;
    }
    if (w.refused) {
      const std::string holder = Holder();
      if (holder == options_.node && w.revision != 0 && !adopted) {
        // A renewal that timed out was written after all (its answer was lost in a nats
        // node's death): the key's revision is this node's own write. Renew from it.
        revision_ = w.revision;
        adopted = true;
        wait = milliseconds(0);
        continue;
      }
      Lost("another node" + (holder.empty() ? std::string() : " (" + holder + ")") +
           " holds the lease now; this node's last renewal was " +
           std::to_string(std::chrono::duration_cast<milliseconds>(sent - last_ok_sent).count()) +
           " ms before");
      return;
    }
    const auto since = std::chrono::duration_cast<milliseconds>(Clock::now() - last_ok_sent);
    if (since >= options_.unreachable_after) {
      Lost("no renewal was answered for " + std::to_string(since.count()) +
           " ms; last error: " + w.error);
      return;
    }
    spdlog::warn("cluster: renewing the leader lease failed ({} ms since the last renewal): {}",
                 since.count(), w.error);
    wait = retry;
  }
}

void LeaderLease::Lost(const std::string& reason) {
  held_ = false;
  {
    std::lock_guard lock(mu_);
    lost_reason_ = reason;
  }
  spdlog::error("cluster: node {} lost the leader lease: {}", options_.node, reason);
  if (on_lost_) on_lost_(reason);
}

std::string LeaderLease::lost_reason() const {
  std::lock_guard lock(mu_);
  return lost_reason_;
}

void LeaderLease::StopRenewing() {
  {
    std::lock_guard lock(mu_);
    stop_renew_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

void LeaderLease::Abandon() {
  StopRenewing();
  held_ = false;
}

void LeaderLease::Release() {
  StopRenewing();
  if (!held_.exchange(false) || !nats_) return;
  Write w = Put(revision_, /*erase=*/true);
  if (w.ok) {
    spdlog::info("cluster: node {} released the leader lease", options_.node);
  } else {
    spdlog::warn(
        "cluster: releasing the leader lease failed (a standby takes it {} ms after the "
        "last renewal): {}",
        options_.ttl.count(), w.error);
  }
}

std::string LeaderLease::holder_seen() const {
  std::lock_guard lock(mu_);
  return holder_seen_;
}

std::optional<std::string> LeaderLease::Lookup() {
  if (!nats_) return std::nullopt;
  kvEntry* e = nullptr;
  const natsStatus s = kvStore_Get(&e, nats_->kv, options_.key.c_str());
  if (s == NATS_NOT_FOUND) return std::string();  // never written, deleted or purged
  if (s != NATS_OK) return std::nullopt;
  std::string holder(static_cast<const char*>(kvEntry_Value(e)),
                     static_cast<std::size_t>(kvEntry_ValueLen(e)));
  kvEntry_Destroy(e);
  return holder;
}

std::string LeaderLease::Holder() { return Lookup().value_or(""); }

}  // namespace diphub::broker
