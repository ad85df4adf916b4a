#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <unordered_map>

#include "adapters/zmq/client.h"
#include "bench/load/load.h"
#include "bench/load/messages.h"

namespace diphub::load {

namespace zmq = adapters::zmq;

struct ZmqLoad::Impl {
  Impl(std::string e, std::string k, const std::vector<Sender>& s, Ledger& l, bool p)
      : endpoint(std::move(e)), server_key(std::move(k)), senders(s), ledger(l), plain(p) {}

  zmq::ClientOptions Options(const std::string& public_key, const std::string& secret_key,
                             const std::string& dip_id, const std::string& api_key,
                             bool receive) const {
    zmq::ClientOptions o;
    o.endpoint = endpoint;
    o.server_public_key = server_key;
    o.public_key = public_key;
    o.secret_key = secret_key;
    o.plain = plain;
    o.dip_id = dip_id;
    o.api_key = api_key;
    o.receive = receive;
    return o;
  }

  // One SDS: connect, then take deliveries until stopped.
  void Receive(std::size_t k) {
    const Sender& s = senders[k];
    auto client = zmq::Client::Connect(
        Options(s.sds_zmq_public_key, s.sds_zmq_secret_key, s.sds, s.sds_api_key, true));
    {
      std::lock_guard lock(mu);
      if (!client.ok()) error = s.sds + ": " + client.status().ToString();
      ++connected;
    }
    cv.notify_all();
    if (!client.ok()) return;
    client.value()->on_delivery = [this](const std::vector<zmq::Delivered>& batch) {
      for (const zmq::Delivered& d : batch) {
        // One message each: its reference is in S1, near the start.
        if (const std::int64_t seq = DeliveredSequence(d.message); seq >= 0) {
          ledger.Delivered(static_cast<std::uint64_t>(seq));
        }
      }
    };
    while (!stop.load()) {
      if (dip::Status st = client.value()->Poll(std::chrono::milliseconds(100)); !st.ok()) {
        ledger.ConnectionError(s.sds + " receiving: " + st.ToString());
        return;
      }
    }
  }

  const std::string endpoint, server_key;
  const std::vector<Sender>& senders;
  Ledger& ledger;
  const bool plain;
  std::atomic<bool> stop{false};
  std::vector<std::thread> receivers;
  std::mutex mu;
  std::condition_variable cv;
  std::size_t connected = 0;  // guarded by mu
  std::string error;          // guarded by mu
};

ZmqLoad::ZmqLoad(std::string endpoint, std::string server_public_key,
                 const std::vector<Sender>& senders, Ledger& ledger, bool plain)
    : impl_(std::make_unique<Impl>(std::move(endpoint), std::move(server_public_key), senders,
                                   ledger, plain)) {}

ZmqLoad::~ZmqLoad() { Stop(); }

dip::Status ZmqLoad::StartReceivers() {
  for (std::size_t k = 0; k < impl_->senders.size(); ++k) {
    impl_->receivers.emplace_back([this, k] { impl_->Receive(k); });
  }
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [this] { return impl_->connected == impl_->senders.size(); });
  if (!impl_->error.empty()) return dip::Status::Config("zmq receiver " + impl_->error);
  return dip::Status::Ok();
}

dip::Status ZmqLoad::Send(const Plan& plan) {
  Ledger& ledger = impl_->ledger;
  struct Pending {
    std::uint64_t first = 0;
    std::size_t count = 0;
    std::int64_t start_us = 0;
  };
  std::vector<std::unique_ptr<zmq::Client>> clients;
  std::vector<std::unordered_map<std::uint64_t, Pending>> pending(impl_->senders.size());
  for (std::size_t k = 0; k < impl_->senders.size(); ++k) {
    const Sender& s = impl_->senders[k];
    auto client = zmq::Client::Connect(
        impl_->Options(s.zmq_public_key, s.zmq_secret_key, s.mdr, s.api_key, false));
    if (!client.ok())
      return dip::Status::Config("zmq sender " + s.mdr + ": " + client.status().ToString());
    client.value()->on_ack = [&ledger, &map = pending[k]](const zmq::SendAck& ack) {
      auto it = map.find(ack.seq);
      if (it == map.end()) return;
      if (ack.status == 201) {
        ledger.Acked(it->second.first, it->second.count, ledger.Now() - it->second.start_us);
      } else {
        ledger.Rejected(it->second.count, ack.status, ack.response);
      }
      map.erase(it);
    };
    clients.push_back(std::move(client).value());
  }

  // A client reads the hub's ACKs only when polled (or when its credit window is full), so every
  // sender is polled while waiting for the next due time and after each send; otherwise at a
  // fixed rate the ACKs would be read at the final Flush and send -> ack would measure the run.
  auto poll_all = [&]() {
    for (auto& client : clients) {
      if (dip::Status st = client->Poll(std::chrono::milliseconds(0)); !st.ok()) {
        ledger.ConnectionError("zmq poll: " + st.ToString());
      }
    }
  };
  // The wait sleeps in ppoll(2) on every client's descriptors until one may have something or
  // the next send is due (nanosecond timeout): the generator shares the hub's machine, and
  // waking every 200 us to poll each client took a quarter of its CPU at half load.
  std::vector<pollfd> fds;
  for (auto& client : clients) {
    for (int fd : client->WaitFds()) fds.push_back({fd, POLLIN, 0});
  }
  bool wait_failed = false;  // ppoll failed (reported once)
  Source source(plan, impl_->senders, ledger.Now());
  while (std::optional<Request> r = source.Take()) {
    if (r->due_us >= 0) {
      poll_all();  // what is ready now: the descriptors signal changes, not what is waiting
      for (std::int64_t wait = r->due_us - ledger.Now(); wait > 0;
           wait = r->due_us - ledger.Now()) {
        const timespec timeout{static_cast<time_t>(wait / 1'000'000),
                               static_cast<long>(wait % 1'000'000) * 1000};
        const int ready = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
        if (ready > 0) {
          poll_all();
        } else if (ready < 0 && errno != EINTR) {
          // Not a state to spin in until the due time: say so once, then sleep the wait out.
          if (!wait_failed)
            ledger.ConnectionError(std::string("zmq wait: ppoll: ") + std::strerror(errno));
          wait_failed = true;
          ::nanosleep(&timeout, nullptr);
        }
      }
    }
    const std::int64_t start = r->due_us >= 0 ? r->due_us : ledger.Now();
    ledger.Sent(r->first, r->count, start);
    auto seq = clients[r->sender]->SendOwned("IF-064", std::move(r->body));
    if (!seq.ok()) {
      ledger.Rejected(r->count, 0, "zmq send: " + seq.status().ToString());
      continue;
    }
    if (r->due_us >= 0) ledger.Written(ledger.Now() - r->due_us);
    pending[r->sender][seq.value()] = {r->first, r->count, start};
    poll_all();
  }
  for (auto& client : clients) {
    if (dip::Status st = client->Flush(std::chrono::seconds(120)); !st.ok()) {
      ledger.ConnectionError("zmq flush: " + st.ToString());
    }
  }
  return dip::Status::Ok();
}

void ZmqLoad::Stop() {
  impl_->stop = true;
  for (std::thread& t : impl_->receivers) t.join();
  impl_->receivers.clear();
}

}  // namespace diphub::load
