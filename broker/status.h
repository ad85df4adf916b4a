// Status messages, levels 3 and 4 (DOMAIN.md): a recipient's StandardResponseArray about
// messages it received (POST /statusmessage). Every item is checked against the message it
// names, the array is stored as status records (storage::kStatusInterface) in the same fsync'd
// group commit as sends, and the outbox delivers each record to the original sender's status
// webhook (docs/delivery.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/hub_api.h"
#include "broker/probe.h"
#include "dip/standard_response.h"
#include "dip/status.h"
#include "routing/registry.h"
#include "storage/group_commit.h"
#include "storage/store.h"

namespace diphub::broker {

// One StandardResponseBodyType as a recipient sent it, with the code its `message` starts with.
struct StatusItem {
  dip::ResponseItem item;
  std::string code;  // "RCP1061"
};

// Parses a StandardResponseArray by the spec's schema: an array of at least one object, every
// field of StandardResponseBodyType present and no other, strings (or null where the type is
// nullable), sentTimestamp a DT-003 DateTime, `message` starting with a code of the DIP's table
// ("RCP1061" or "RCP1061 - MPAN Invalid or Unknown"), and transactionID or
// senderUniqueReference naming the message reported on. A failure carries the DIP code
// (MSG1001, MSG1007) and help naming "[i].field" and the rule.
dip::Result<std::vector<StatusItem>> ParseStatusArray(std::string_view body);

// The sequence number a hub transaction ID was assigned with (its last 12 hex digits), or
// nullopt when `transaction_id` cannot be one of the hub's.
std::optional<std::uint64_t> SeqOfTransactionId(std::string_view transaction_id);

class StatusIngest {
 public:
  using RegistryFn = std::function<std::shared_ptr<const routing::Registry>()>;
  using CommittedFn = std::function<void(const std::vector<storage::MessageRecord>&)>;

  // All pointers must outlive the StatusIngest. `on_committed` runs on the committer thread,
  // in commit order (it hands the records to delivery).
  StatusIngest(const HubSettings* settings, RegistryFn registry, storage::Store* store,
               storage::GroupCommitter* committer, Probe* probe, CommittedFn on_committed);

  // POST /statusmessage. Safe from any thread; `done` runs exactly once (on this thread for a
  // refusal, on the committer thread once the records are durable or not stored).
  void Submit(SubmitRequest request, std::function<void(SubmitResponse)> done);

 private:
  // The stored message item `index` reports on, or why it cannot (MSG1030 unknown, MSG1009 the
  // reporter was not one of its recipients).
  dip::Result<storage::MessageRecord> Original(const StatusItem& s, std::size_t index);

  const HubSettings* settings_;
  RegistryFn registry_;
  storage::Store* store_;
  storage::GroupCommitter* committer_;
  Probe* probe_;
  CommittedFn on_committed_;
};

}  // namespace diphub::broker
