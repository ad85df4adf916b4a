// What the hub offers its edge adapters. Adapters translate a transport (HTTP, ZeroMQ, a
// simulator) to these calls; the core never names a concrete adapter.
// Thread-safety: every method is safe from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "broker/webhook_policy.h"
#include "dip/signature.h"
#include "dip/status.h"
#include "routing/registry.h"

namespace diphub::broker {
class DeliveryQueries;
}

namespace diphub::broker {

struct SubmitRequest {
  std::string channel;  // the {id} of POST /dip-channel/{id}, as given
  std::string body;     // the message array; views into it are taken, so it is moved in
  std::optional<std::string> api_key;  // X-API-Key
  // The participant whose registered certificate signed the request (X-DIP headers verified),
  // when the transport checked a signature.
  std::optional<std::string> signer;
  // The participant the transport itself authenticated (the zmq adapter's CURVE key), which
  // stands in for an API key: the send is checked as that participant's.
  std::optional<std::string> authenticated;
  // When the transport took the request (read whole); the ingest stage is timed from it
  // (diphub_stage_seconds{stage="ingest"}). Unset: not timed.
  std::chrono::steady_clock::time_point received{};
};

struct SubmitResponse {
  enum class Kind {
    kAccepted,      // 201: durable, every message has a transactionID
    kRejected,      // 400: level-1 failure, nothing stored
    kUnauthorized,  // 401: no or unknown API key
    kForbidden,     // 403: authenticated, but not allowed to send these messages
    kOverloaded,    // 429: the commit queue is full; retry later
    kFailed,        // 500: storage failed, nothing stored
    kUnavailable,   // 503: shutting down
  };
  Kind kind = Kind::kFailed;
  std::string body;    // StandardResponse JSON
  std::string reason;  // for a refusal of the whole send: "MSG1001 - Schema Failure: <help>"
  // POST /validate only, when level 1 passed: what routing would do on a real send, which does
  // not change the verdict: "MSG0000 - Success: ..." naming the recipients, or the code, title
  // and help a send would be refused with (MSG1037, MSG1030, ...). The HTTP adapter answers it
  // in the X-DIPHub-Routing header (docs/api.md).
  std::string routing = {};
};

struct HubSettings {
  std::string dip_id;
  std::string environment_tag;
  bool require_api_key = true;
  std::string admin_token;
  std::string signatures = "require";  // require, verify-if-present, off
  std::int64_t signature_skew_seconds = 300;
  // Where webhooks may point (webhooks.allow_internal); checked at registration and at connect.
  WebhookPolicy webhook_policy;
  std::string webhook_ca_file;  // webhooks.ca_file; "" = the system trust store
};

class HubApi {
 public:
  virtual ~HubApi() = default;

  virtual const HubSettings& settings() const = 0;
  virtual std::shared_ptr<const routing::Registry> registry() const = 0;
  // The hub's signing identity for egress (X-DIP headers on webhooks).
  virtual std::shared_ptr<const dip::Signer> signer() const = 0;

  // Validates, routes and durably stores a send; `done` runs exactly once, on any thread, after
  // the group commit for an accepted send.
  virtual void Submit(SubmitRequest request, std::function<void(SubmitResponse)> done) = 0;
  // POST /statusmessage: a recipient's status messages (levels 3/4) about messages it received,
  // checked, stored and routed to each original sender's status webhook (broker/status.h).
  // `request.body` is the StandardResponseArray; `done` runs exactly once, as for Submit.
  virtual void SubmitStatus(SubmitRequest request, std::function<void(SubmitResponse)> done) = 0;
  // POST /validate/{channel}/{event}: level-1 checks of one message, nothing stored.
  virtual SubmitResponse Validate(const SubmitRequest& request, std::string_view event) = 0;

  // Journal, replay, requeue, dead letters, pause/resume.
  virtual DeliveryQueries& queries() = 0;
  // Tries `recipient`'s delivery queue now, cutting short a retry backoff (an adapter calls it
  // when the recipient (re)connects).
  virtual void KickDelivery(std::string_view recipient) = 0;

  // Empty when ready (storage open, delivery shards running, every adapter up), otherwise what
  // is not.
  virtual std::string NotReady() const = 0;

  // Run-time participant changes, persisted before they return.
  // `text` is the participant as YAML or JSON; its dip_id must equal `dip_id` (or be absent).
  virtual dip::Status PutParticipant(std::string_view dip_id, std::string_view text) = 0;
  virtual dip::Status DeleteParticipant(std::string_view dip_id) = 0;  // Config error if unknown
  // Sets (or with nullopt removes) `dip_id`'s webhook for `interface_id` ("*" = every channel;
  // storage::kStatusInterface = its status webhook, which "*" does not cover). A URL that
  // settings().webhook_policy refuses (an internal address, credentials) is a Config error whose
  // help starts "body.callbackURL: "; so is one for PutParticipant ("body.webhooks.<channel>: ").
  virtual dip::Status SetWebhook(std::string_view dip_id, std::string_view interface_id,
                                 std::optional<routing::Webhook> webhook) = 0;

  // Routing (docs/routing.md). Changes are persisted and journalled before they return, and
  // apply from the next message routed.
  virtual dip::Status SetPairing(std::string_view sds, std::string_view mdr, bool paired) = 0;
  virtual dip::Status SetOptIn(std::string_view mdr, std::string_view publication,
                               bool opted_in) = 0;
  // The routing policy as JSON: pairings, opt-ins, always recipients, the publication table and
  // the journal of run-time changes.
  virtual std::string RoutingJson() = 0;
  // Imports appointments from CSV (MPANCore,role,DIPID,effectiveFromDate); all or nothing.
  // Returns the number of rows imported, or an error naming the line and field.
  virtual dip::Result<std::size_t> ImportAppointments(std::string_view csv) = 0;
  // GET /mpan/{MPANCore}: the MPAN's appointed parties, for `caller` (a DIP ID; nullopt for
  // the admin). `done` gets the HTTP status and a JSON body, on the owning shard's thread.
  virtual void QueryMpan(std::string_view mpan_core, std::optional<std::string> caller,
                         std::function<void(int status, std::string body)> done) = 0;
};

}  // namespace diphub::broker
