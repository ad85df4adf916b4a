#include "adapters/http/webhook_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <optional>
#include <vector>

#include "broker/webhook_url.h"
#include "dip/dip_time.h"

namespace diphub::adapters::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using broker::WebhookUrl;

class WebhookClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& io, std::chrono::milliseconds timeout,
             const broker::WebhookPolicy* policy, net::ssl::context* tls)
      : resolver_(net::make_strand(io)),
        plain_(resolver_.get_executor()),
        timeout_(timeout),
        policy_(policy),
        tls_(tls) {}

  void Start(WebhookUrl url, std::shared_ptr<bhttp::request<bhttp::string_body>> req,
             std::function<void(broker::DeliveryResult)> done) {
    net::post(resolver_.get_executor(), [self = shared_from_this(), url = std::move(url), req,
                                         done = std::move(done)]() mutable {
      self->url_ = std::move(url);
      self->req_ = std::move(req);
      self->done_ = std::move(done);
      bool reuse = self->Tcp().socket().is_open() && self->host_ == self->url_.host &&
                   self->port_ == self->url_.port && self->tls_on_ == self->url_.tls();
      if (reuse) {
        self->reused_ = true;
        self->Write();
      } else {
        self->Connect();
      }
    });
  }

 private:
  // The TCP layer under TLS, or the plain stream.
  beast::tcp_stream& Tcp() { return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : plain_; }

  // Runs `f` on the stream the HTTP exchange uses: TLS over TCP, or TCP.
  template <typename F>
  void WithStream(F&& f) {
    if (tls_stream_) {
      f(*tls_stream_);
    } else {
      f(plain_);
    }
  }

  void Connect() {
    reused_ = false;
    beast::error_code ignored;
    Tcp().socket().close(ignored);
    // Kept until the next connect: this may run inside a completion handler of that stream.
    retired_ = std::move(tls_stream_);
    host_ = url_.host;
    port_ = url_.port;
    tls_on_ = url_.tls();
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->Fail("resolve " + self->url_.host, ec);
          // Only addresses the policy allows are tried: the check is on what is connected to.
          self->endpoints_.clear();
          std::string refusal;
          for (const auto& r : results) {
            std::string why = self->policy_->Refusal(r.endpoint().address());
            if (why.empty()) {
              self->endpoints_.push_back(r.endpoint());
            } else if (refusal.empty()) {
              refusal = std::move(why);
            }
          }
          if (self->endpoints_.empty()) {
            return self->Done({0, "not connecting to " + self->url_.host + ": " + refusal});
          }
          if (self->tls_on_) {
            if (auto error = self->PrepareTls()) return self->Done({0, *error});
          }
          self->Tcp().expires_after(self->timeout_);
          self->Tcp().async_connect(self->endpoints_,
                                    [self](beast::error_code ec2, const tcp::endpoint&) {
                                      if (ec2) return self->Fail("connect", ec2);
                                      if (self->tls_on_) return self->Handshake();
                                      self->Write();
                                    });
        });
  }

  // A fresh TLS session for url_.host: SNI when it is a name, and OpenSSL's own check that the
  // certificate names the host (so that a mismatch is reported as such, not as a bare failure).
  std::optional<std::string> PrepareTls() {
    tls_stream_ =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(resolver_.get_executor(), *tls_);
    SSL* ssl = tls_stream_->native_handle();
    beast::error_code ec;
    net::ip::make_address(url_.host, ec);
    const bool is_ip = !ec;
    bool ok = true;
    if (is_ip) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str()) == 1;
    } else {
      ok = SSL_set_tlsext_host_name(ssl, url_.host.c_str()) == 1 &&
           SSL_set1_host(ssl, url_.host.c_str()) == 1;
    }
    if (!ok) return "TLS setup for " + url_.host + " failed";
    return std::nullopt;
  }

  void Handshake() {
    Tcp().expires_after(timeout_);
    tls_stream_->async_handshake(
        net::ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
          if (ec) {
            std::string what = "TLS handshake with " + self->url_.host + ":" + self->url_.port;
            long verify = SSL_get_verify_result(self->tls_stream_->native_handle());
            if (verify != X509_V_OK) {
              what += " (certificate not trusted: " +
                      std::string(X509_verify_cert_error_string(verify)) + ")";
            }
            return self->Fail(what, ec);
          }
          self->Write();
        });
  }

  void Write() {
    Tcp().expires_after(timeout_);
    WithStream([this](auto& stream) {
      bhttp::async_write(stream, *req_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                           if (ec) return self->RetryFresh("write", ec);
                           self->Read();
                         });
    });
  }

  void Read() {
    res_.emplace();
    res_->body_limit(1u << 20);
    buffer_.clear();
    WithStream([this](auto& stream) {
      bhttp::async_read(stream, buffer_, *res_,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec) return self->RetryFresh("read", ec);
                          auto res = self->res_->release();
                          if (!res.keep_alive()) self->Close();
                          self->Done({static_cast<int>(res.result_int()), {}});
                        });
    });
  }

  // A kept-alive connection the server has closed fails on first use: try once more on a new one.
  void RetryFresh(const char* what, beast::error_code ec) {
    if (reused_) return Connect();
    Fail(what, ec);
  }

  void Close() {
    beast::error_code ignored;
    Tcp().socket().close(ignored);
  }

  void Fail(const std::string& what, beast::error_code ec) {
    Close();
    Done({0, what + ": " + ec.message()});
  }

  void Done(broker::DeliveryResult result) {
    auto done = std::move(done_);
    req_.reset();
    done(std::move(result));
  }

  tcp::resolver resolver_;
  beast::tcp_stream plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_stream_;  // set for https
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> retired_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
  const broker::WebhookPolicy* policy_;
  net::ssl::context* tls_;
  std::vector<tcp::endpoint> endpoints_;
  std::string host_, port_;
  bool tls_on_ = false;
  WebhookUrl url_;
  bool reused_ = false;
  std::shared_ptr<bhttp::request<bhttp::string_body>> req_;
  std::optional<bhttp::response_parser<bhttp::string_body>> res_;
  std::function<void(broker::DeliveryResult)> done_;
};

WebhookClient::WebhookClient(net::io_context& io, std::chrono::milliseconds timeout,
                             std::shared_ptr<const dip::Signer> signer,
                             broker::WebhookPolicy policy, const std::string& ca_file)
    : io_(io),
      timeout_(timeout),
      signer_(std::move(signer)),
      policy_(std::move(policy)),
      tls_(net::ssl::context::tls_client) {
  tls_.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1);
  tls_.set_verify_mode(net::ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty()) {
    tls_.set_default_verify_paths(ec);
  } else {
    tls_.load_verify_file(ca_file, ec);
  }
  if (ec) {
    status_ = dip::Status::Config((ca_file.empty() ? std::string("the system trust store")
                                                   : "webhooks.ca_file \"" + ca_file + "\"") +
                                  ": cannot load CA certificates (" + ec.message() + ")");
  }
}

WebhookClient::~WebhookClient() = default;

void WebhookClient::Post(broker::DeliveryRequest request,
                         std::function<void(broker::DeliveryResult)> done) {
  dip::Result<WebhookUrl> url = broker::ParseWebhookUrl(request.url);
  if (!url.ok()) {
    done({0, "webhook URL " + url.status().help()});
    return;
  }
  if (url.value().tls() && !status_.ok()) {
    done({0, status_.help()});
    return;
  }
  const bool default_port = url.value().port == (url.value().tls() ? "443" : "80");
  const std::string host = url.value().host.find(':') != std::string::npos
                               ? "[" + url.value().host + "]"
                               : url.value().host;
  auto req = std::make_shared<bhttp::request<bhttp::string_body>>(bhttp::verb::post,
                                                                  url.value().target, 11);
  req->set(bhttp::field::host, default_port ? host : host + ":" + url.value().port);
  req->set(bhttp::field::content_type, "application/json");
  req->set(bhttp::field::user_agent, "diphub");
  dip::SignatureHeaders sig = signer_->SignRequest("POST", request.url, request.body,
                                                   dip::FormatSignatureDate(dip::Clock::now()));
  req->set("X-DIP-Signature-Date", sig.date);
  req->set("X-DIP-Content-Hash", sig.content_hash);
  req->set("X-DIP-Signature-Certificate", sig.certificate);
  req->set("X-DIP-Signature", sig.signature);
  req->body() = std::move(request.body);
  req->prepare_payload();

  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    auto& slot = connections_[request.recipient];
    if (!slot) slot = std::make_shared<Connection>(io_, timeout_, &policy_, &tls_);
    conn = slot;
  }
  conn->Start(std::move(url).value(), std::move(req), std::move(done));
}

}  // namespace diphub::adapters::http
