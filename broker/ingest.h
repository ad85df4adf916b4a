// The ingest pipeline, transport-neutral: authenticate, parse, level-1 checks, route, then hand
// the whole send to the group committer and answer once it is durable.
//
//   adapter thread:    channel -> API key -> ParseMessageArray -> CheckEnvelope -> registry
//                      checks -> Route -> GroupCommitter::Submit
//   committer thread:  duplicate check -> WriteBatch + fsync -> answer -> delivery hand-off
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/hub_api.h"
#include "broker/probe.h"
#include "broker/sla.h"
#include "dip/envelope.h"
#include "routing/registry.h"
#include "routing/router.h"
#include "storage/group_commit.h"

namespace diphub::broker {

class Ingest {
 public:
  using RegistryFn = std::function<std::shared_ptr<const routing::Registry>()>;
  using CommittedFn = std::function<void(const std::vector<storage::MessageRecord>&)>;

  // All pointers must outlive the Ingest; `sla` may be null. `on_committed` runs on the
  // committer thread.
  Ingest(const HubSettings* settings, RegistryFn registry, storage::GroupCommitter* committer,
         Probe* probe, SlaTracker* sla, CommittedFn on_committed);

  // Safe from any thread; `done` runs exactly once (on this thread for an early rejection, on
  // the committer thread otherwise).
  void Submit(SubmitRequest request, std::function<void(SubmitResponse)> done);

  // POST /validate/{id}/{event}: the level-1 checks of a send on one message, nothing stored.
  // `event` is the event code from the URL, with or without its brackets. The answer's body is
  // a JSON string: "MSG0000 - Success" (kAccepted), or the code, title and help (kRejected).
  SubmitResponse Validate(const SubmitRequest& request, std::string_view event);

 private:
  struct Checked {
    std::string scratch;
    dip::ParsedArray parsed;
    std::vector<dip::Status> verdicts;
    std::vector<std::vector<routing::Recipient>> routes;
    std::size_t failures = 0;
  };
  // Authentication, parsing, level-1 and registry checks, routing. Returns the answer when the
  // send is refused as a whole; otherwise `out` holds a verdict and routes per message.
  std::optional<SubmitResponse> Check(const SubmitRequest& request, std::string_view iface,
                                      Checked* out);

  const HubSettings* settings_;
  RegistryFn registry_;
  storage::GroupCommitter* committer_;
  Probe* probe_;
  SlaTracker* sla_;
  CommittedFn on_committed_;
};

}  // namespace diphub::broker
