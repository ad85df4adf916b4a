#include "adapters/http/webhook_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "adapters/http/url.h"
#include "dip/dip_time.h"

namespace diphub::adapters::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class WebhookClient::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& io, std::chrono::milliseconds timeout)
      : resolver_(net::make_strand(io)), stream_(resolver_.get_executor()), timeout_(timeout) {}

  void Start(Url url, std::shared_ptr<bhttp::request<bhttp::string_body>> req,
             std::function<void(broker::DeliveryResult)> done) {
    net::post(stream_.get_executor(), [self = shared_from_this(), url = std::move(url), req,
                                       done = std::move(done)]() mutable {
      self->url_ = std::move(url);
      self->req_ = std::move(req);
      self->done_ = std::move(done);
      bool reuse = self->stream_.socket().is_open() && self->host_ == self->url_.host &&
                   self->port_ == self->url_.port;
      if (reuse) {
        self->reused_ = true;
        self->Write();
      } else {
        self->Connect();
      }
    });
  }

 private:
  void Connect() {
    reused_ = false;
    beast::error_code ignored;
    stream_.socket().close(ignored);
    host_ = url_.host;
    port_ = url_.port;
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->Fail("resolve " + self->url_.host, ec);
          self->stream_.expires_after(self->timeout_);
          self->stream_.async_connect(results, [self](beast::error_code ec2, const tcp::endpoint&) {
            if (ec2) return self->Fail("connect", ec2);
            self->Write();
          });
        });
  }

  void Write() {
    stream_.expires_after(timeout_);
    bhttp::async_write(stream_, *req_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->RetryFresh("write", ec);
                         self->res_.emplace();
                         self->res_->body_limit(1u << 20);
                         self->buffer_.clear();
                         bhttp::async_read(self->stream_, self->buffer_, *self->res_,
                                           [self](beast::error_code ec2, std::size_t) {
                                             if (ec2) return self->RetryFresh("read", ec2);
                                             auto res = self->res_->release();
                                             if (!res.keep_alive()) {
                                               beast::error_code ignored;
                                               self->stream_.socket().close(ignored);
                                             }
                                             self->Done({static_cast<int>(res.result_int()), {}});
                                           });
                       });
  }

  // A kept-alive connection the server has closed fails on first use: try once more on a new one.
  void RetryFresh(const char* what, beast::error_code ec) {
    if (reused_) return Connect();
    Fail(what, ec);
  }

  void Fail(const std::string& what, beast::error_code ec) {
    beast::error_code ignored;
    stream_.socket().close(ignored);
    Done({0, what + ": " + ec.message()});
  }

  void Done(broker::DeliveryResult result) {
    auto done = std::move(done_);
    req_.reset();
    done(std::move(result));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
  std::string host_, port_;
  Url url_;
  bool reused_ = false;
  std::shared_ptr<bhttp::request<bhttp::string_body>> req_;
  std::optional<bhttp::response_parser<bhttp::string_body>> res_;
  std::function<void(broker::DeliveryResult)> done_;
};

WebhookClient::WebhookClient(net::io_context& io, std::chrono::milliseconds timeout,
                             std::shared_ptr<const dip::Signer> signer)
    : io_(io), timeout_(timeout), signer_(std::move(signer)) {}

WebhookClient::~WebhookClient() = default;

void WebhookClient::Post(broker::DeliveryRequest request,
                         std::function<void(broker::DeliveryResult)> done) {
  dip::Result<Url> url = ParseUrl(request.url);
  if (!url.ok()) {
    done({0, url.status().help()});
    return;
  }
  auto req = std::make_shared<bhttp::request<bhttp::string_body>>(bhttp::verb::post,
                                                                  url.value().target, 11);
  req->set(bhttp::field::host, url.value().host + ":" + url.value().port);
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
    if (!slot) slot = std::make_shared<Connection>(io_, timeout_);
    conn = slot;
  }
  conn->Start(std::move(url).value(), std::move(req), std::move(done));
}

}  // namespace diphub::adapters::http
