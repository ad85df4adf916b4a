#include "adapters/http/api.h"

#include <openssl/crypto.h>
#include <simdjson.h>

#include <vector>

#include "broker/config.h"
#include "broker/delivery_queries.h"
#include "dip/catalogue.h"
#include "dip/codes.h"
#include "dip/dip_time.h"
#include "dip/json_writer.h"
#include "dip/standard_response.h"
#include "dip/text.h"
#include "storage/records.h"

namespace diphub::adapters::http {
namespace bhttp = boost::beast::http;
using broker::SubmitResponse;

namespace {

Response Json(bhttp::status status, std::string body) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

// `text` as one header value: bytes outside printable ASCII (a help text quotes the sender's
// values, which may hold CR, LF or UTF-8) become '?', and it is cut at 2,000 bytes.
std::string HeaderSafe(std::string_view text) {
  std::string out(text.substr(0, 2000));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

Response Error(bhttp::status status, std::string_view message) {
  dip::JsonWriter w;
  w.BeginObject().Key("error").String(message).EndObject();
  return Json(status, w.Take());
}

std::vector<std::string_view> Segments(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  std::vector<std::string_view> out;
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    auto slash = target.find('/');
    out.push_back(target.substr(0, slash));
    target = slash == std::string_view::npos ? std::string_view() : target.substr(slash);
  }
  return out;
}

std::optional<std::string> Header(const Request& req, std::string_view name) {
  auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  if (it == req.end()) return std::nullopt;
  return std::string(it->value());
}

bool IsAdmin(const broker::HubApi& hub, const Request& req) {
  const std::string& token = hub.settings().admin_token;
  if (token.empty()) return false;
  auto auth = Header(req, "Authorization");
  const std::string expected = "Bearer " + token;
  // Compared in constant time, so answer times do not tell a guesser how much of it was right.
  return auth && auth->size() == expected.size() &&
         CRYPTO_memcmp(auth->data(), expected.data(), expected.size()) == 0;
}

Response StatusToResponse(const dip::Status& s, bhttp::status ok_status, std::string ok_body) {
  if (s.ok()) return Json(ok_status, std::move(ok_body));
  if (s.code() == dip::Status::kIoCode)
    return Error(bhttp::status::internal_server_error, s.help());
  if (s.help().starts_with("no participant")) return Error(bhttp::status::not_found, s.help());
  return Error(bhttp::status::bad_request, s.help());
}

// A DIP StandardResponse of one item with `code` and `help`.
Response DipRefusal(const broker::HubApi& hub, bhttp::status status, std::string_view code,
                    std::string help) {
  dip::ResponseItem item;
  auto now = dip::Clock::now();
  item.sent_timestamp = dip::FormatDipTimestamp(now);
  item.sender_id = hub.settings().dip_id;
  item.message = dip::CodeMessage(code);
  item.help = std::move(help);
  return Json(status, dip::RenderStandardResponse({item}, now));
}

Response SignatureRefused(const broker::HubApi& hub, bhttp::status status, std::string help) {
  return DipRefusal(hub, status, "RCP9999", std::move(help));
}

// Headers a request may carry once, with the code of a request that repeats one: with two
// X-API-Keys (or two signatures, or two Hosts) which one counts would depend on which the hub,
// a proxy or a log reads first. A repeated one is refused as a whole, 400 naming the header.
struct SingletonHeader {
  std::string_view name;
  std::string_view code;
};
constexpr SingletonHeader kSingletonHeaders[] = {
    {"X-API-Key", dip::codes::kSenderInvalid},  {"Authorization", dip::codes::kSenderInvalid},
    {"X-DIP-Signature-Date", "RCP9999"},        {"X-DIP-Content-Hash", "RCP9999"},
    {"X-DIP-Signature-Certificate", "RCP9999"}, {"X-DIP-Signature", "RCP9999"},
    {"Host", dip::codes::kProcessingFailed},
};

std::optional<Response> RepeatedHeader(const broker::HubApi& hub, const Request& req) {
  for (const SingletonHeader& h : kSingletonHeaders) {
    const std::size_t n = req.count(boost::beast::string_view(h.name.data(), h.name.size()));
    if (n > 1) {
      return DipRefusal(hub, bhttp::status::bad_request, h.code,
                        std::string(h.name) + ": sent " + std::to_string(n) +
                            " times; a request carries it once");
    }
  }
  return std::nullopt;
}

// Checks the four X-DIP headers as auth.signatures says. Sets `*signer` to the participant whose
// registered certificate signed; returns the refusal, if any.
std::optional<Response> CheckSignature(broker::HubApi& hub, dip::Verifier& verifier,
                                       const Request& req, std::optional<std::string>* signer,
                                       std::string_view scheme) {
  const std::string& mode = hub.settings().signatures;
  if (mode == "off") return std::nullopt;
  dip::SignatureHeaders h{Header(req, "X-DIP-Signature-Date").value_or(""),
                          Header(req, "X-DIP-Content-Hash").value_or(""),
                          Header(req, "X-DIP-Signature-Certificate").value_or(""),
                          Header(req, "X-DIP-Signature").value_or("")};
  bool any =
      !h.date.empty() || !h.content_hash.empty() || !h.certificate.empty() || !h.signature.empty();
  if (!any && mode == "verify-if-present") return std::nullopt;
  // The URL the client signed: scheme, the Host it used, and the target.
  std::string url = std::string(scheme) + "://" + Header(req, "Host").value_or("") +
                    std::string(req.target().data(), req.target().size());
  std::string pem;
  dip::Status s = verifier.Verify(std::string(req.method_string()), url, req.body(), h, &pem);
  if (!s.ok()) return SignatureRefused(hub, bhttp::status::unauthorized, s.help());
  const std::int64_t signed_ms = dip::ParseSignatureDateMs(h.date);
  const std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(dip::Clock::now().time_since_epoch())
          .count();
  const std::int64_t skew_ms = hub.settings().signature_skew_seconds * 1000;
  if (signed_ms < 0) {
    return SignatureRefused(
        hub, bhttp::status::unauthorized,
        "X-DIP-Signature-Date: expected YYYY-MM-DDThh:mm:ss.fffZ, got \"" + h.date + "\"");
  }
  if (signed_ms < now_ms - skew_ms || signed_ms > now_ms + skew_ms) {
    return SignatureRefused(hub, bhttp::status::unauthorized,
                            "X-DIP-Signature-Date: " + h.date + " is " +
                                std::to_string(std::llabs(now_ms - signed_ms) / 1000) +
                                " s from the hub's clock (allowed: auth.signature_skew_seconds = " +
                                std::to_string(hub.settings().signature_skew_seconds) + ")");
  }
  const routing::Participant* owner = hub.registry()->FindByCertificate(pem);
  if (owner == nullptr) {
    return SignatureRefused(hub, bhttp::status::forbidden,
                            "X-DIP-Signature-Certificate: not the certificate of any registered "
                            "participant");
  }
  *signer = owner->dip_id;
  return std::nullopt;
}

// Sends a send's (or a status message's) answer with its HTTP status.
void Answer(Responder& responder, SubmitResponse r) {
  bhttp::status status = bhttp::status::internal_server_error;
  switch (r.kind) {
    case SubmitResponse::Kind::kAccepted:
      status = bhttp::status::created;
      break;
    case SubmitResponse::Kind::kRejected:
      status = bhttp::status::bad_request;
      break;
    case SubmitResponse::Kind::kUnauthorized:
      status = bhttp::status::unauthorized;
      break;
    case SubmitResponse::Kind::kForbidden:
      status = bhttp::status::forbidden;
      break;
    case SubmitResponse::Kind::kOverloaded:
      status = bhttp::status::too_many_requests;
      break;
    case SubmitResponse::Kind::kFailed:
      status = bhttp::status::internal_server_error;
      break;
    case SubmitResponse::Kind::kUnavailable:
      status = bhttp::status::service_unavailable;
      break;
  }
  Response res = Json(status, std::move(r.body));
  if (status == bhttp::status::too_many_requests) res.set(bhttp::field::retry_after, "1");
  responder.Send(std::move(res));
}

void HandleSend(broker::HubApi& hub, dip::Verifier& verifier, Request&& req, std::string channel,
                std::shared_ptr<Responder> responder, std::string_view scheme) {
  broker::SubmitRequest submit;
  submit.received = std::chrono::steady_clock::now();
  if (auto refused = CheckSignature(hub, verifier, req, &submit.signer, scheme)) {
    return responder->Send(std::move(*refused));
  }
  submit.channel = std::move(channel);
  submit.api_key = Header(req, "X-API-Key");
  submit.body = std::move(req.body());
  hub.Submit(std::move(submit),
             [responder](SubmitResponse r) { Answer(*responder, std::move(r)); });
}

// POST /statusmessage: a StandardResponseArray of status messages, authenticated like a send.
void HandleStatus(broker::HubApi& hub, dip::Verifier& verifier, Request&& req,
                  std::string_view scheme, std::shared_ptr<Responder> responder) {
  broker::SubmitRequest submit;
  if (auto refused = CheckSignature(hub, verifier, req, &submit.signer, scheme)) {
    return responder->Send(std::move(*refused));
  }
  submit.channel = std::string(storage::kStatusInterface);
  submit.api_key = Header(req, "X-API-Key");
  submit.body = std::move(req.body());
  hub.SubmitStatus(std::move(submit),
                   [responder](SubmitResponse r) { Answer(*responder, std::move(r)); });
}

// POST|DELETE /dip-channel/{id}/pubconfig/{recipient} and /statusmessage/config/{recipient}:
// sets or removes `recipient`'s webhook for `iface` (a channel's interface ID, or
// storage::kStatusInterface). Body: WebhookConfig {callbackURL, maxMessageCount, maxPayloadSize
// (KB)}.
Response HandleWebhookConfig(broker::HubApi& hub, const Request& req, std::string_view iface,
                             std::string_view recipient) {
  auto reg = hub.registry();
  if (reg->Find(recipient) == nullptr) {
    return Error(bhttp::status::not_found,
                 "recipient-id: \"" + std::string(recipient) + "\" is not a registered DIP ID");
  }
  if (!IsAdmin(hub, req)) {
    auto key = Header(req, "X-API-Key");
    const routing::Participant* caller = key ? reg->FindByApiKey(*key) : nullptr;
    if (hub.settings().require_api_key && caller == nullptr) {
      return Error(bhttp::status::unauthorized, "X-API-Key: missing or unknown");
    }
    if (caller != nullptr && caller->dip_id != recipient) {
      return Error(bhttp::status::forbidden, "X-API-Key: belongs to " + caller->dip_id +
                                                 ", which may not configure " +
                                                 std::string(recipient) + "'s webhooks");
    }
  }
  if (req.method() == bhttp::verb::delete_) {
    dip::Status s = hub.SetWebhook(recipient, iface, std::nullopt);
    if (!s.ok()) return Error(bhttp::status::not_found, s.help());
    return Json(bhttp::status::no_content, "");
  }

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(req.body()).get(doc)) {
    return Error(bhttp::status::bad_request,
                 std::string("body: malformed JSON (") + simdjson::error_message(e) + ")");
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    return Error(bhttp::status::bad_request, "body: expected a WebhookConfig object");
  }
  routing::Webhook hook;
  for (auto [key, value] : obj) {
    if (dip::EqualsIgnoreCase(key, "callbackURL")) {
      std::string_view url;
      if (value.get_string().get(url)) {
        return Error(bhttp::status::bad_request, "body.callbackURL: expected a string");
      }
      hook.url.assign(url);
    } else if (dip::EqualsIgnoreCase(key, "maxMessageCount") ||
               dip::EqualsIgnoreCase(key, "maxPayloadSize")) {
      double n = 0;
      if (value.get_double().get(n) || n < 0) {
        return Error(bhttp::status::bad_request,
                     "body." + std::string(key) + ": expected a non-negative number");
      }
      if (dip::EqualsIgnoreCase(key, "maxMessageCount")) {
        hook.max_messages = static_cast<std::size_t>(n);
      } else {
        hook.max_bytes = static_cast<std::size_t>(n) * 1024;  // the spec gives it in KB
      }
    }
  }
  if (hook.url.empty()) return Error(bhttp::status::bad_request, "body.callbackURL: required");
  if (!dip::IsPrintableAscii(hook.url, false, /*no_spaces=*/true)) {
    return Error(bhttp::status::bad_request,
                 "body.callbackURL: must be printable ASCII without spaces");
  }
  // The hub checks the URL (http or https, no credentials, no internal address unless
  // webhooks.allow_internal lists it): a refusal is 400 "body.callbackURL: ...".
  dip::Status s = hub.SetWebhook(recipient, iface, hook);
  if (!s.ok()) return StatusToResponse(s, bhttp::status::created, "");
  dip::JsonWriter w;
  w.BeginObject().Key("recipientID").String(recipient).Key("channel").String(iface);
  w.Key("callbackURL").String(hook.url).EndObject();
  return Json(bhttp::status::created, w.Take());
}

// The caller must be `participant` (its X-API-Key) or hold the admin token; else the answer.
std::optional<Response> Authorize(broker::HubApi& hub, const Request& req,
                                  std::string_view participant) {
  auto reg = hub.registry();
  if (reg->Find(participant) == nullptr) {
    return Error(bhttp::status::not_found,
                 "recipient-id: \"" + std::string(participant) + "\" is not a registered DIP ID");
  }
  if (IsAdmin(hub, req)) return std::nullopt;
  auto key = Header(req, "X-API-Key");
  const routing::Participant* caller = key ? reg->FindByApiKey(*key) : nullptr;
  if (caller == nullptr) {
    if (!hub.settings().require_api_key) return std::nullopt;
    return Error(bhttp::status::unauthorized, "X-API-Key: missing or unknown");
  }
  if (caller->dip_id != participant) {
    return Error(bhttp::status::forbidden,
                 "X-API-Key: belongs to " + caller->dip_id + ", not " + std::string(participant));
  }
  return std::nullopt;
}

Response FromResult(const dip::Status& s) {
  if (s.help().starts_with("not found")) return Error(bhttp::status::not_found, s.help());
  if (s.code() == dip::Status::kIoCode) {
    return Error(bhttp::status::internal_server_error, s.help());
  }
  return Error(bhttp::status::bad_request, s.help());
}

std::string QueryParam(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && dip::EqualsIgnoreCase(pair.substr(0, eq), name)) {
      return std::string(pair.substr(eq + 1));
    }
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return {};
}

// /dip-channel/{id}/deliveryStatus|replay|requeue/{recipient-id}[/{reference}]
Response HandleDeliveryQuery(broker::HubApi& hub, const Request& req,
                             const std::vector<std::string_view>& seg) {
  auto iface = dip::ChannelInterface(seg[1]);
  if (!iface) {
    return Error(bhttp::status::bad_request,
                 "URL: \"" + std::string(seg[1]) + "\" is not a DIP channel (IF-0xx or PUB-0xx)");
  }
  std::string_view what = seg[2];
  std::string_view participant = seg[3];
  if (auto denied = Authorize(hub, req, participant)) return *denied;
  broker::DeliveryQueries& q = hub.queries();

  if (dip::EqualsIgnoreCase(what, "deliveryStatus")) {
    if (req.method() != bhttp::verb::get || seg.size() != 5) {
      return Error(bhttp::status::method_not_allowed,
                   "GET /dip-channel/{id}/deliveryStatus/{recipient-id}/{senderUniqueReference}");
    }
    auto journal = q.Journal(participant, *iface, seg[4]);
    if (!journal.ok()) return FromResult(journal.status());
    return Json(bhttp::status::ok, std::move(journal).value());
  }
  if (seg.size() != 4) return Error(bhttp::status::not_found, "no such endpoint");
  std::string_view target(req.target().data(), req.target().size());
  if (dip::EqualsIgnoreCase(what, "requeue") && req.method() == bhttp::verb::get) {
    std::string id = QueryParam(target, "requeue-id");
    if (id.empty())
      return Error(bhttp::status::bad_request, "requeue-id: query parameter required");
    auto status = q.RequeueStatus(participant, id);
    if (!status.ok()) return FromResult(status.status());
    return Json(bhttp::status::ok, std::move(status).value());
  }
  if (req.method() != bhttp::verb::post) {
    return Error(bhttp::status::method_not_allowed, "POST (GET for a requeue's status)");
  }
  auto query = broker::ParseMessageRequest(req.body(), std::string(*iface));
  if (!query.ok()) return FromResult(query.status());
  if (dip::EqualsIgnoreCase(what, "replay")) {
    std::string token = Header(req, "X-Continuation-Token").value_or("");
    auto page = q.Replay(participant, query.value(), token);
    if (!page.ok()) return FromResult(page.status());
    Response res = Json(bhttp::status::ok, std::move(page.value().body));
    if (!page.value().continuation_token.empty()) {
      res.set("X-Continuation-Token", page.value().continuation_token);
    }
    return res;
  }
  auto requeued = q.Requeue(participant, query.value());
  if (!requeued.ok()) return FromResult(requeued.status());
  return Json(bhttp::status::ok, std::move(requeued).value());
}

// /admin/deadletters/{recipient}[/replay] and /admin/recipients/{recipient}/pause|resume
Response HandleAdminDelivery(broker::HubApi& hub, const Request& req,
                             const std::vector<std::string_view>& seg) {
  std::string_view recipient = seg[2];
  if (hub.registry()->Find(recipient) == nullptr) {
    return Error(bhttp::status::not_found, "no participant " + std::string(recipient));
  }
  broker::DeliveryQueries& q = hub.queries();
  auto count = [](const dip::Result<std::uint64_t>& n, const char* key) {
    if (!n.ok()) return FromResult(n.status());
    return Json(bhttp::status::ok,
                "{\"" + std::string(key) + "\":" + std::to_string(n.value()) + "}");
  };
  if (dip::EqualsIgnoreCase(seg[1], "deadletters")) {
    if (seg.size() == 3 && req.method() == bhttp::verb::get) {
      auto list = q.DeadLetters(recipient);
      if (!list.ok()) return FromResult(list.status());
      return Json(bhttp::status::ok, std::move(list).value());
    }
    if (seg.size() == 3 && req.method() == bhttp::verb::delete_) {
      return count(q.PurgeDeadLetters(recipient), "purged");
    }
    if (seg.size() == 4 && dip::EqualsIgnoreCase(seg[3], "replay") &&
        req.method() == bhttp::verb::post) {
      return count(q.ReplayDeadLetters(recipient), "requeued");
    }
    return Error(bhttp::status::method_not_allowed,
                 "GET or DELETE /admin/deadletters/{id}, POST /admin/deadletters/{id}/replay");
  }
  if (seg.size() == 4 && req.method() == bhttp::verb::post &&
      (dip::EqualsIgnoreCase(seg[3], "pause") || dip::EqualsIgnoreCase(seg[3], "resume"))) {
    bool pause = dip::EqualsIgnoreCase(seg[3], "pause");
    dip::Status s = q.SetPaused(recipient, pause);
    if (!s.ok()) return FromResult(s);
    return Json(bhttp::status::ok, std::string("{\"recipientID\":\"") + std::string(recipient) +
                                       "\",\"paused\":" + (pause ? "true" : "false") + "}");
  }
  return Error(bhttp::status::not_found,
               "POST /admin/recipients/{id}/pause or /admin/recipients/{id}/resume");
}

// /admin/routing, /admin/pairings/{sds}/{mdr}, /admin/mdr-opt-in/{mdr}/{publication},
// /admin/appointments (docs/routing.md).
Response HandleAdminRouting(broker::HubApi& hub, const Request& req,
                            const std::vector<std::string_view>& seg) {
  const auto method = req.method();
  if (seg.size() == 2 && dip::EqualsIgnoreCase(seg[1], "routing")) {
    if (method != bhttp::verb::get) return Error(bhttp::status::method_not_allowed, "GET only");
    return Json(bhttp::status::ok, hub.RoutingJson());
  }
  if (seg.size() == 2 && dip::EqualsIgnoreCase(seg[1], "appointments")) {
    if (method != bhttp::verb::post) {
      return Error(bhttp::status::method_not_allowed, "POST a CSV body");
    }
    auto imported = hub.ImportAppointments(req.body());
    if (!imported.ok()) return StatusToResponse(imported.status(), bhttp::status::ok, "");
    return Json(bhttp::status::ok, "{\"imported\":" + std::to_string(imported.value()) + "}");
  }
  const bool put = method == bhttp::verb::put, del = method == bhttp::verb::delete_;
  if (seg.size() == 4 && (put || del)) {
    dip::Status s;
    std::string body;
    if (dip::EqualsIgnoreCase(seg[1], "pairings")) {
      s = hub.SetPairing(seg[2], seg[3], put);
      body = "{\"sds\":\"" + std::string(seg[2]) + "\",\"mdr\":\"" + std::string(seg[3]) +
             "\",\"paired\":" + (put ? "true" : "false") + "}";
    } else {
      s = hub.SetOptIn(seg[2], seg[3], put);
      body = "{\"mdr\":\"" + std::string(seg[2]) + "\",\"publication\":\"" +
             dip::PublicationId(dip::ChannelInterface(seg[3]).value_or("")) +
             "\",\"optedIn\":" + (put ? "true" : "false") + "}";
    }
    return StatusToResponse(s, bhttp::status::ok, std::move(body));
  }
  return Error(bhttp::status::not_found,
               "PUT or DELETE /admin/pairings/{sds}/{mdr} or /admin/mdr-opt-in/{mdr}/{PUB-0xx}");
}

Response HandleAdmin(broker::HubApi& hub, const Request& req,
                     const std::vector<std::string_view>& seg) {
  if (hub.settings().admin_token.empty()) {
    return Error(bhttp::status::not_found, "the admin API is disabled (auth.admin_token is empty)");
  }
  if (!IsAdmin(hub, req)) {
    return Error(bhttp::status::unauthorized, "Authorization: expected Bearer <auth.admin_token>");
  }
  if (seg.size() >= 3 && (dip::EqualsIgnoreCase(seg[1], "deadletters") ||
                          dip::EqualsIgnoreCase(seg[1], "recipients"))) {
    return HandleAdminDelivery(hub, req, seg);
  }
  if (seg.size() >= 2 &&
      (dip::EqualsIgnoreCase(seg[1], "routing") || dip::EqualsIgnoreCase(seg[1], "pairings") ||
       dip::EqualsIgnoreCase(seg[1], "mdr-opt-in") ||
       dip::EqualsIgnoreCase(seg[1], "appointments"))) {
    return HandleAdminRouting(hub, req, seg);
  }
  if (seg.size() < 2 || !dip::EqualsIgnoreCase(seg[1], "participants") || seg.size() > 3) {
    return Error(bhttp::status::not_found, "no such admin resource");
  }
  auto reg = hub.registry();
  if (seg.size() == 2) {
    if (req.method() != bhttp::verb::get) {
      return Error(bhttp::status::method_not_allowed, "GET only");
    }
    std::string out = "[";
    for (const routing::Participant& p : reg->all()) {
      if (out.size() > 1) out.push_back(',');
      out += broker::ParticipantToJson(p);
    }
    out.push_back(']');
    return Json(bhttp::status::ok, out);
  }
  std::string_view id = seg[2];
  switch (req.method()) {
    case bhttp::verb::get: {
      const routing::Participant* p = reg->Find(id);
      if (p == nullptr) return Error(bhttp::status::not_found, "no participant " + std::string(id));
      return Json(bhttp::status::ok, broker::ParticipantToJson(*p));
    }
    case bhttp::verb::put: {
      bool existed = reg->Find(id) != nullptr;
      dip::Status s = hub.PutParticipant(id, req.body());
      if (!s.ok()) return StatusToResponse(s, bhttp::status::ok, "");
      const routing::Participant* p = hub.registry()->Find(id);
      return Json(existed ? bhttp::status::ok : bhttp::status::created,
                  p ? broker::ParticipantToJson(*p) : "{}");
    }
    case bhttp::verb::delete_: {
      dip::Status s = hub.DeleteParticipant(id);
      if (!s.ok()) return StatusToResponse(s, bhttp::status::no_content, "");
      return Json(bhttp::status::no_content, "");
    }
    default:
      return Error(bhttp::status::method_not_allowed, "GET, PUT or DELETE");
  }
}

}  // namespace

void HandleApiRequest(broker::HubApi& hub, dip::Verifier& verifier, Request&& req,
                      std::shared_ptr<Responder> responder, std::string_view scheme) {
  std::vector<std::string_view> seg =
      Segments(std::string_view(req.target().data(), req.target().size()));
  auto is = [&](std::size_t i, std::string_view s) {
    return seg.size() > i && dip::EqualsIgnoreCase(seg[i], s);
  };
  if (auto refused = RepeatedHeader(hub, req)) return responder->Send(std::move(*refused));
  if (seg.size() == 1 && is(0, "healthz") && req.method() == bhttp::verb::get) {
    return responder->Send(Json(bhttp::status::ok, "{\"status\":\"ok\"}"));
  }
  if (seg.size() == 1 && is(0, "readyz") && req.method() == bhttp::verb::get) {
    std::string why = hub.NotReady();
    if (why.empty()) return responder->Send(Json(bhttp::status::ok, "{\"status\":\"ready\"}"));
    dip::JsonWriter w;
    w.BeginObject().Key("status").String("not ready").Key("reason").String(why).EndObject();
    return responder->Send(Json(bhttp::status::service_unavailable, w.Take()));
  }
  if (is(0, "dip-channel") && seg.size() == 2) {
    if (req.method() != bhttp::verb::post) {
      return responder->Send(Error(bhttp::status::method_not_allowed, "POST only"));
    }
    std::string channel(seg[1]);
    return HandleSend(hub, verifier, std::move(req), std::move(channel), std::move(responder),
                      scheme);
  }
  if (is(0, "dip-channel") && seg.size() == 4 && is(2, "pubconfig")) {
    if (req.method() != bhttp::verb::post && req.method() != bhttp::verb::delete_) {
      return responder->Send(Error(bhttp::status::method_not_allowed, "POST or DELETE"));
    }
    auto iface = dip::ChannelInterface(seg[1]);
    if (!iface) {
      return responder->Send(
          Error(bhttp::status::bad_request,
                "URL: \"" + std::string(seg[1]) + "\" is not a DIP channel (IF-0xx or PUB-0xx)"));
    }
    return responder->Send(HandleWebhookConfig(hub, req, *iface, seg[3]));
  }
  if (seg.size() == 1 && is(0, "statusmessage")) {
    if (req.method() != bhttp::verb::post) {
      return responder->Send(Error(bhttp::status::method_not_allowed, "POST only"));
    }
    return HandleStatus(hub, verifier, std::move(req), scheme, std::move(responder));
  }
  if (seg.size() == 3 && is(0, "statusmessage") && is(1, "config")) {
    if (req.method() != bhttp::verb::post && req.method() != bhttp::verb::delete_) {
      return responder->Send(Error(bhttp::status::method_not_allowed, "POST or DELETE"));
    }
    return responder->Send(HandleWebhookConfig(hub, req, storage::kStatusInterface, seg[2]));
  }
  if (is(0, "validate") && seg.size() == 3) {
    if (req.method() != bhttp::verb::post) {
      return responder->Send(Error(bhttp::status::method_not_allowed, "POST only"));
    }
    // The spec has a /validate path for 127 (interface, event) pairs; the catalogue's others
    // (IF-016, IF-047, the REP reports) have none, so they are not found, as on the DIP.
    const std::optional<std::string_view> iface = dip::CanonicalInterface(seg[1]);
    std::string path_event(seg[2]);
    if (!path_event.starts_with("[")) path_event = "[" + path_event + "]";
    if (iface && !dip::HasValidatePath(*iface, path_event)) {
      return responder->Send(Error(bhttp::status::not_found,
                                   "not found: the DIP API has no POST /validate/" +
                                       std::string(*iface) + "/" + std::string(seg[2]) + " path"));
    }
    broker::SubmitRequest check;
    if (auto refused = CheckSignature(hub, verifier, req, &check.signer, scheme)) {
      return responder->Send(std::move(*refused));
    }
    check.channel = std::string(seg[1]);
    check.api_key = Header(req, "X-API-Key");
    const std::string event(seg[2]);
    check.body = std::move(req.body());
    broker::SubmitResponse r = hub.Validate(check, event);
    bhttp::status status =
        r.kind == broker::SubmitResponse::Kind::kAccepted       ? bhttp::status::created
        : r.kind == broker::SubmitResponse::Kind::kUnauthorized ? bhttp::status::unauthorized
        : r.kind == broker::SubmitResponse::Kind::kForbidden    ? bhttp::status::forbidden
                                                                : bhttp::status::bad_request;
    Response res = Json(status, std::move(r.body));
    if (!r.routing.empty()) res.set("X-DIPHub-Routing", HeaderSafe(r.routing));
    return responder->Send(std::move(res));
  }
  if (is(0, "dip-channel") && seg.size() >= 4 &&
      (is(2, "deliveryStatus") || is(2, "replay") || is(2, "requeue"))) {
    return responder->Send(HandleDeliveryQuery(hub, req, seg));
  }
  if (is(0, "admin")) return responder->Send(HandleAdmin(hub, req, seg));
  if (is(0, "mpan") && seg.size() == 2) {
    if (req.method() != bhttp::verb::get) {
      return responder->Send(Error(bhttp::status::method_not_allowed, "GET only"));
    }
    // Seed 003's MPAN query: a participant appointed to the MPAN (by X-API-Key), or the admin.
    std::optional<std::string> caller;
    if (!IsAdmin(hub, req)) {
      auto key = Header(req, "X-API-Key");
      const routing::Participant* p = key ? hub.registry()->FindByApiKey(*key) : nullptr;
      if (p == nullptr) {
        return responder->Send(Error(bhttp::status::unauthorized,
                                     key ? "X-API-Key: not the key of any registered participant"
                                         : "X-API-Key: header required"));
      }
      caller = p->dip_id;
    }
    return hub.QueryMpan(seg[1], std::move(caller), [responder](int status, std::string body) {
      responder->Send(Json(static_cast<bhttp::status>(status), std::move(body)));
    });
  }
  responder->Send(Error(
      bhttp::status::not_found,
      "no such endpoint: " + std::string(req.method_string()) + " " + std::string(req.target())));
}

}  // namespace diphub::adapters::http
