#include "adapters/http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <vector>

#include "dip/codes.h"
#include "dip/dip_time.h"
#include "dip/standard_response.h"
#include "dip/text.h"

namespace diphub::adapters::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// The answer to a request the parser refused (400, 413, 431): a DIP StandardResponse, as every
// other refusal of the DIP API, with MSG1000 (the request could not be processed at all) and a
// help text saying why. The connection is closed after it.
Response ParserRefusal(bhttp::status status, const std::string& dip_id, std::string help) {
  const auto now = dip::Clock::now();
  dip::ResponseItem item;
  item.sent_timestamp = dip::FormatDipTimestamp(now);
  item.sender_id = dip_id;
  item.message = dip::CodeMessage(dip::codes::kProcessingFailed);
  item.help = std::move(help);
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = dip::RenderStandardResponse({item}, now);
  res.keep_alive(false);
  return res;
}

// RFC 9112 section 3.2.2: a request-target in absolute form ("http://host:port/path?query") is
// served as its origin form ("/path?query"), and its authority replaces the Host header. The
// rest of the server (routing, the URL a signature covers) then sees one form only.
void ToOriginForm(Request& req) {
  std::string_view target(req.target().data(), req.target().size());
  std::size_t colon = target.find("://");
  if (target.empty() || target.front() == '/' || colon == std::string_view::npos) return;
  const std::string_view scheme = target.substr(0, colon);
  if (!dip::EqualsIgnoreCase(scheme, "http") && !dip::EqualsIgnoreCase(scheme, "https")) return;
  const std::size_t authority_start = colon + 3;
  const std::size_t path_start = target.find_first_of("/?", authority_start);
  const std::string authority(target.substr(authority_start, path_start == std::string_view::npos
                                                                 ? std::string_view::npos
                                                                 : path_start - authority_start));
  std::string origin =
      path_start == std::string_view::npos ? "/" : std::string(target.substr(path_start));
  if (origin.front() == '?') origin.insert(origin.begin(), '/');
  req.set(bhttp::field::host, authority);
  req.target(origin);
}

// A server context: TLS 1.2 or later, the configured certificate chain and key, and with
// client_ca_file, a client certificate signed by one of its CAs required at the handshake.
dip::Result<std::unique_ptr<net::ssl::context>> MakeTlsContext(const TlsConfig& c) {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  beast::error_code ec;
  ctx->use_certificate_chain_file(c.certificate_file, ec);
  if (ec) {
    return dip::Status::Config("http.tls.certificate_file \"" + c.certificate_file +
                               "\": " + ec.message());
  }
  ctx->use_private_key_file(c.private_key_file, net::ssl::context::pem, ec);
  if (ec) {
    return dip::Status::Config("http.tls.private_key_file \"" + c.private_key_file +
                               "\": " + ec.message());
  }
  if (!c.client_ca_file.empty()) {
    ctx->load_verify_file(c.client_ca_file, ec);
    if (ec) {
      return dip::Status::Config("http.tls.client_ca_file \"" + c.client_ca_file +
                                 "\": " + ec.message());
    }
    ctx->set_verify_mode(net::ssl::verify_peer | net::ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

}  // namespace

// One connection: plain (Stream = beast::tcp_stream) or TLS (beast::ssl_stream over it).
template <class Stream>
class Server::Session : public std::enable_shared_from_this<Session<Stream>>, public Responder {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  // The read buffer: room for a request's header (a DIP send's is ~2.5 KB, most of it the
  // certificate) while waiting for one; room for 64 KiB of body (Beast's most per read) during one.
  static constexpr std::size_t kHeaderReadBytes = 4 * 1024;
  static constexpr std::size_t kBodyReadBytes = 64 * 1024;

 public:
  template <class... TlsContext>
  Session(tcp::socket socket, const Server& server, TlsContext&... tls)
      : stream_(std::move(socket), tls...),
        handler_(server.handler_),
        config_(server.config_),
        open_(server.open_sessions_) {
    open_->fetch_add(1);
  }
  ~Session() override { open_->fetch_sub(1); }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        // The handshake must finish within the idle timeout, as a request would.
        self->Lowest().expires_after(self->config_.idle_timeout);
        self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) {
            spdlog::debug("http: TLS handshake failed: {}", ec.message());
            return self->Lowest().close();
          }
          self->Read();
        });
      } else {
        self->Read();
      }
    });
  }

  void Send(Response response) override {
    net::post(stream_.get_executor(),
              [self = this->shared_from_this(), r = std::move(response)]() mutable {
                self->Write(std::move(r));
              });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // A request is read in two steps, the header and then the body, so that the read buffer can be
  // sized for the body: Beast reads into the free space of the buffer and grows it only when that
  // is full, so a buffer sized for a header reads a 150 KB body in ~100 recv calls (each one a
  // trip through the reactor and the strand); sized for the body it takes three.
  void Read() {
    parser_.emplace();
    parser_->body_limit(config_.max_body_bytes);
    parser_->header_limit(32 * 1024);
    buffer_.reserve(kHeaderReadBytes);
    Lowest().expires_after(config_.idle_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t n) {
    if (ec || parser_->is_done()) return OnRead(ec, n);
    // Room for the body (Beast reads at most 64 KiB at a time), or for a chunked one.
    const std::uint64_t body = parser_->content_length_remaining().value_or(kBodyReadBytes);
    buffer_.reserve(buffer_.size() +
                    static_cast<std::size_t>(std::min<std::uint64_t>(body, kBodyReadBytes)));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      keep_alive_ = false;
      return Write(ParserRefusal(bhttp::status::payload_too_large, config_.dip_id,
                                 "body: larger than http.max_body_bytes (" +
                                     std::to_string(config_.max_body_bytes) + " bytes)"));
    }
    if (ec == bhttp::error::header_limit) {
      keep_alive_ = false;
      return Write(ParserRefusal(bhttp::status::request_header_fields_too_large, config_.dip_id,
                                 "request headers: larger than 32 KiB"));
    }
    if (ec) {
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
        keep_alive_ = false;
        return Write(ParserRefusal(bhttp::status::bad_request, config_.dip_id,
                                   "HTTP request: malformed (" + ec.message() + ")"));
      }
      return Close();
    }
    keep_alive_ = parser_->get().keep_alive();
    Lowest().expires_never();  // the answer may wait for a group commit
    // An idle keep-alive connection holds no body-sized buffer (up to http.max_connections).
    if (buffer_.size() == 0 && buffer_.capacity() > kHeaderReadBytes) buffer_.shrink_to_fit();
    Request req = parser_->release();
    ToOriginForm(req);
    handler_(std::move(req), this->shared_from_this());
  }

  void Write(Response res) {
    res.version(11);
    if (!keep_alive_) res.keep_alive(false);
    res.set(bhttp::field::server, "diphub");
    res.prepare_payload();
    response_ = std::make_shared<Response>(std::move(res));
    Lowest().expires_after(config_.idle_timeout);
    bhttp::async_write(stream_, *response_,
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->Close();
                         if (!self->response_->keep_alive()) return self->Linger();
                         self->response_.reset();
                         self->Read();
                       });
  }

  // After an early answer (413, 400 on a broken request) the client may still be sending: stop
  // our side, then read and discard for a short while so the close does not reset the
  // connection and destroy the answer before the client reads it.
  void Linger() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().expires_after(std::chrono::seconds(2));
    drain_.resize(64 * 1024);
    stream_.async_read_some(net::buffer(drain_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (64u << 20)) return self->Close();
                              self->Linger();
                            });
  }

  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<Response> response_;
  bool keep_alive_ = true;
  std::vector<char> drain_;
  std::size_t drained_ = 0;
  const Handler& handler_;
  const HttpAdapterConfig& config_;
  std::shared_ptr<std::atomic<std::size_t>> open_;
};

Server::Server(net::io_context& io, const HttpAdapterConfig& config, Handler handler)
    : io_(io),
      config_(config),
      handler_(std::move(handler)),
      acceptor_(net::make_strand(io)),
      open_sessions_(std::make_shared<std::atomic<std::size_t>>(0)) {}

Server::~Server() { StopAccepting(); }

dip::Status Server::Listen() {
  if (!config_.tls.certificate_file.empty()) {
    auto tls = MakeTlsContext(config_.tls);
    if (!tls.ok()) return tls.status();
    tls_ = std::move(tls).value();
  }
  beast::error_code ec;
  auto address = net::ip::make_address(config_.host, ec);
  if (ec) return dip::Status::Config("http.listen: \"" + config_.host + "\" is not an IP address");
  tcp::endpoint endpoint(address, config_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return dip::Status::Config("http.listen " + config_.host + ":" + std::to_string(config_.port) +
                               ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return dip::Status::Ok();
}

void Server::StopAccepting() {
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
}

void Server::Accept() {
  acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (open_sessions_->load() >= config_.max_connections) {
        spdlog::warn("http: {} connections open (http.max_connections); refusing one",
                     open_sessions_->load());
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        if (tls_) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), *this,
                                                                          *tls_)
              ->Run();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this)->Run();
        }
      }
    }
    Accept();
  });
}

}  // namespace diphub::adapters::http
