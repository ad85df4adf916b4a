#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <optional>

#include "bench/load/load.h"
#include "bench/load/messages.h"
#include "dip/dip_time.h"

namespace diphub::load {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

constexpr int kMaxConnectionErrors = 5;  // in a row, per connection, before it gives up

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
  // The read buffer has room for a whole answer (a StandardResponse of 50 items is ~15 KB): Beast
  // reads into its free space, and a default one reads such an answer 512 bytes at a time.
  Connection(asio::io_context& io, Shared& shared) : stream_(io), timer_(io), shared_(shared) {
    buffer_.reserve(64 * 1024);
  }

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
    if (!request_) {
      request_ = shared_.source.Take();
      if (request_) Sign();
    }
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

  // The request is built and signed when it is taken, before its due time, so at a fixed rate
  // the send -> ack latency starts with the write and the generator's own signing is not in it
  // (the X-DIP date may be up to the hub's skew, 5 minutes, old).
  void Sign() {
    Request& r = *request_;
    signature_ = shared_.senders[r.sender].signer->SignRequest(
        "POST", shared_.url, r.body, dip::FormatSignatureDate(std::chrono::system_clock::now()));
  }

  void Write() {
    Request& r = *request_;
    if (r.attempts == 0) {
      start_us_ = r.due_us >= 0 ? r.due_us : shared_.ledger.Now();
      shared_.ledger.Sent(r.first, r.count, start_us_);
    }
    const Sender& s = shared_.senders[r.sender];
    const dip::SignatureHeaders& h = signature_;
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
    http_request_.body() = {r.body.data(), r.body.size()};  // written from r.body, not copied
    http_request_.prepare_payload();
    if (r.attempts == 0 && r.due_us >= 0) shared_.ledger.Written(shared_.ledger.Now() - r.due_us);
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
      shared_.ledger.Acked(r.first, r.count, shared_.ledger.Now() - start_us_);
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
  http::request<http::span_body<const char>> http_request_;  // its body is request_->body
  http::response<http::string_body> response_;
  std::optional<Request> request_;
  dip::SignatureHeaders signature_;  // of request_
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
