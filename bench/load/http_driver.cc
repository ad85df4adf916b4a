#include "bench/load/http_driver.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "bench/load/messages.h"
#include "dip/dip_time.h"

namespace diphub::load {

Ledger::Ledger(std::uint64_t messages) : sent_at_(messages), seen_(messages) {
  for (auto& t : sent_at_) t.store(-1, std::memory_order_relaxed);
}

std::int64_t Ledger::Now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - origin_)
      .count();
}

void Ledger::Sent(std::uint64_t first, std::size_t count, std::int64_t at_us) {
  for (std::uint64_t s = first; s < first + count; ++s) {
    sent_at_[s].store(at_us, std::memory_order_release);
  }
  sent_.fetch_add(count, std::memory_order_relaxed);
}

void Ledger::Acked(std::size_t count, std::int64_t latency_us) {
  {
    std::lock_guard lock(mu_);
    ack_latency_.Record(latency_us);
  }
  acked_.fetch_add(count, std::memory_order_relaxed);
  last_ack_us_.store(Now(), std::memory_order_relaxed);
}

void Ledger::Rejected(std::size_t count, int status, const std::string& body) {
  rejected_.fetch_add(count, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (first_problem_.empty()) {
    first_problem_ = "HTTP " + std::to_string(status) + ": " + body.substr(0, 600);
  }
}

void Ledger::ConnectionError(const std::string& what) {
  connection_errors_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (first_problem_.empty()) first_problem_ = what;
}

void Ledger::Delivered(std::uint64_t seq) {
  if (seq >= seen_.size()) {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (seen_[seq].exchange(1, std::memory_order_relaxed) != 0) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::int64_t sent = sent_at_[seq].load(std::memory_order_acquire);
  if (sent >= 0) {
    std::lock_guard lock(mu_);
    delivery_latency_.Record(Now() - sent);
  }
  delivered_count_.fetch_add(1, std::memory_order_relaxed);
  last_delivery_us_.store(Now(), std::memory_order_relaxed);
}

std::string Ledger::FirstProblem() const {
  std::lock_guard lock(mu_);
  return first_problem_;
}

Histogram Ledger::AckLatency() const {
  std::lock_guard lock(mu_);
  return ack_latency_;
}

Histogram Ledger::DeliveryLatency() const {
  std::lock_guard lock(mu_);
  return delivery_latency_;
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

constexpr int kMaxConnectionErrors = 5;  // in a row, per connection, before it gives up

struct Request {
  std::uint64_t first = 0;  // sequence number of the first message
  std::size_t count = 0;
  std::size_t sender = 0;    // index into the senders
  std::int64_t due_us = -1;  // at a fixed rate: when it is due on the ledger's clock
  std::string body;
  int attempts = 0;
};

// Builds the plan's requests in order. Request r comes from sender r % senders; each sender
// walks its own MPANs (index % pairs == its pair) round-robin, so a national day sends each MPAN
// exactly once when the message count equals the MPAN count.
class Source {
 public:
  Source(const Plan& plan, const std::vector<Sender>& senders, std::int64_t start_us)
      : plan_(plan),
        senders_(senders),
        per_sender_(senders.size(), 0),
        mpans_per_sender_(std::max<std::uint64_t>(1, plan.mpans / senders.size())),
        start_us_(start_us) {}

  std::optional<Request> Take() {
    if (next_seq_ >= plan_.messages) return std::nullopt;
    Request r;
    r.first = next_seq_;
    r.count =
        static_cast<std::size_t>(std::min<std::uint64_t>(plan_.batch, plan_.messages - next_seq_));
    r.sender = static_cast<std::size_t>(next_request_++ % senders_.size());
    if (plan_.rate > 0) {
      r.due_us =
          start_us_ + static_cast<std::int64_t>(static_cast<double>(r.first) * 1e6 / plan_.rate);
    }
    const Sender& s = senders_[r.sender];
    const std::string stamp = dip::FormatDipTimestamp(std::chrono::system_clock::now());
    r.body.reserve(r.count * 3300 + 2);
    r.body += '[';
    for (std::size_t k = 0; k < r.count; ++k) {
      const std::uint64_t nth = per_sender_[r.sender]++ % mpans_per_sender_;
      const std::string mpan = MpanCore(r.sender + senders_.size() * nth);
      if (k > 0) r.body += ',';
      AppendConsumption({.mdr = s.mdr,
                         .sds = s.sds,
                         .mpan = mpan,
                         .day = plan_.day,
                         .stamp = stamp,
                         .sequence = r.first + k},
                        &r.body);
    }
    r.body += ']';
    next_seq_ += r.count;
    return r;
  }

 private:
  const Plan& plan_;
  const std::vector<Sender>& senders_;
  std::vector<std::uint64_t> per_sender_;
  const std::uint64_t mpans_per_sender_;
  const std::int64_t start_us_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_request_ = 0;
};

struct Shared {
  const std::vector<Sender>& senders;
  Source& source;
  Ledger& ledger;
  tcp::endpoint endpoint;
  std::string host;  // Host header
  std::string url;   // the URL signed
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, Shared& shared) : stream_(io), timer_(io), shared_(shared) {}

  void Start() { Connect(); }

 private:
  void Connect() {
    stream_.expires_after(std::chrono::seconds(10));
    stream_.async_connect(shared_.endpoint, [self = shared_from_this()](ErrorCode ec) {
      if (ec) return self->Failed("connect", ec);
      self->Next();
    });
  }

  void Next() {
    if (!request_) request_ = shared_.source.Take();
    if (!request_) {
      ErrorCode ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    if (request_->due_us >= 0) {
      const std::int64_t wait = request_->due_us - shared_.ledger.Now();
      if (wait > 0) {
        timer_.expires_after(std::chrono::microseconds(wait));
        timer_.async_wait([self = shared_from_this()](ErrorCode) { self->Write(); });
        return;
      }
    }
    Write();
  }

  void Write() {
    Request& r = *request_;
    if (r.attempts == 0) {
      start_us_ = r.due_us >= 0 ? r.due_us : shared_.ledger.Now();
      shared_.ledger.Sent(r.first, r.count, start_us_);
    }
    const Sender& s = shared_.senders[r.sender];
    const dip::SignatureHeaders h = s.signer->SignRequest(
        "POST", shared_.url, r.body, dip::FormatSignatureDate(std::chrono::system_clock::now()));
    http_request_ = {};
    http_request_.method(http::verb::post);
    http_request_.target("/dip-channel/IF-064");
    http_request_.version(11);
    http_request_.keep_alive(true);
    http_request_.set(http::field::host, shared_.host);
    http_request_.set(http::field::content_type, "application/json");
    http_request_.set("X-API-Key", s.api_key);
    http_request_.set("X-DIP-Signature-Date", h.date);
    http_request_.set("X-DIP-Content-Hash", h.content_hash);
    http_request_.set("X-DIP-Signature-Certificate", h.certificate);
    http_request_.set("X-DIP-Signature", h.signature);
    http_request_.body() = r.body;
    http_request_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(120));
    http::async_write(stream_, http_request_,
                      [self = shared_from_this()](ErrorCode ec, std::size_t) {
                        if (ec) return self->Failed("write", ec);
                        self->Read();
                      });
  }

  void Read() {
    response_ = {};
    http::async_read(stream_, buffer_, response_,
                     [self = shared_from_this()](ErrorCode ec, std::size_t) {
                       if (ec) return self->Failed("read", ec);
                       self->OnResponse();
                     });
  }

  void OnResponse() {
    errors_ = 0;
    const int status = response_.result_int();
    Request& r = *request_;
    if (status == 429 || status == 503) {
      shared_.ledger.Overloaded();
      ++r.attempts;
      int after_ms = 100;
      if (auto it = response_.find(http::field::retry_after); it != response_.end()) {
        after_ms = std::max(1, std::atoi(std::string(it->value()).c_str())) * 1000;
      }
      timer_.expires_after(std::chrono::milliseconds(after_ms));
      timer_.async_wait([self = shared_from_this()](ErrorCode) {
        if (self->response_.keep_alive()) {
          self->Write();
        } else {
          self->Reconnect();
        }
      });
      return;
    }
    if (status == 201) {
      shared_.ledger.Acked(r.count, shared_.ledger.Now() - start_us_);
    } else {
      shared_.ledger.Rejected(r.count, status, response_.body());
    }
    request_.reset();
    if (!response_.keep_alive()) return Reconnect();
    Next();
  }

  void Reconnect() {
    ErrorCode ignored;
    stream_.socket().close(ignored);
    Connect();
  }

  // A transport error: reconnect and send the same request again, up to kMaxConnectionErrors
  // in a row; then the request's messages count as rejected and the connection stops.
  void Failed(const char* what, ErrorCode ec) {
    shared_.ledger.ConnectionError(std::string(what) + ": " + ec.message());
    if (request_) ++request_->attempts;
    if (++errors_ >= kMaxConnectionErrors) {
      if (request_)
        shared_.ledger.Rejected(request_->count, 0, "connection failed: " + ec.message());
      // The rest of the plan is left to the other connections.
      return;
    }
    ErrorCode ignored;
    stream_.socket().close(ignored);
    timer_.expires_after(std::chrono::milliseconds(100 * errors_));
    timer_.async_wait([self = shared_from_this()](ErrorCode) { self->Connect(); });
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  Shared& shared_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> http_request_;
  http::response<http::string_body> response_;
  std::optional<Request> request_;
  std::int64_t start_us_ = 0;
  int errors_ = 0;
};

}  // namespace

void RunHttp(const Plan& plan, const std::vector<Sender>& senders, std::uint16_t port,
             Ledger& ledger) {
  asio::io_context io;
  Source source(plan, senders, ledger.Now());
  const std::string host = "127.0.0.1:" + std::to_string(port);
  Shared shared{senders, source,
                ledger,  tcp::endpoint(asio::ip::address_v4::loopback(), port),
                host,    "http://" + host + "/dip-channel/IF-064"};
  for (std::size_t i = 0; i < plan.connections; ++i) {
    std::make_shared<Connection>(io, shared)->Start();
  }
  io.run();
}

}  // namespace diphub::load
