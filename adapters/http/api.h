// The DIP HTTP API and the admin API, mapped onto HubApi:
//   POST   /dip-channel/{id}                         send (StandardResponse; 201/400/401/413/429)
//   POST   /dip-channel/{id}/pubconfig/{recipient}   set a webhook (WebhookConfig)
//   DELETE /dip-channel/{id}/pubconfig/{recipient}   remove it
//   POST   /statusmessage                            status messages (StandardResponseArray)
//   POST   /statusmessage/config/{recipient}         set the status webhook (WebhookConfig)
//   DELETE /statusmessage/config/{recipient}         remove it
//   PUT|GET|DELETE /admin/participants/{dipId}       run-time participants (Bearer admin token)
//   GET    /admin/participants                       list them
//   GET    /healthz                                  liveness
// Paths match case-insensitively, as the DIP's do.
#pragma once

#include <memory>

#include "adapters/http/server.h"
#include "broker/hub_api.h"
#include "dip/signature.h"

namespace diphub::adapters::http {

// `verifier` checks X-DIP signatures on sends (auth.signatures) and caches certificates.
// `scheme` ("http" or "https") begins the URL a client signed.
void HandleApiRequest(broker::HubApi& hub, dip::Verifier& verifier, Request&& request,
                      std::shared_ptr<Responder> responder, std::string_view scheme = "http");

}  // namespace diphub::adapters::http
