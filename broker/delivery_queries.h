// What a participant (or an operator) can ask of past deliveries: the journal of a message,
// replay (the publications again, in the answer), requeue (the publications again, to the
// webhook), dead letters, pause and resume. Transport-neutral; the http adapter maps the DIP's
// endpoints onto it. Safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker/delivery.h"
#include "dip/json_writer.h"
#include "dip/status.h"
#include "storage/store.h"

namespace diphub::broker {

// The DIP's MessageRequest, parsed: every filter is optional.
struct ReplayQuery {
  std::string interface_id;  // the channel, canonical
  std::optional<std::int64_t> from_ms, to_ms;
  std::optional<std::string> event_code, mpan;
  std::vector<std::string> transaction_ids;  // at most 100
};

// Parses a MessageRequest body (datetimeFrom, datetimeTo, eventCode, MPAN, transactionIDs,
// version). Errors name the field and the rule.
dip::Result<ReplayQuery> ParseMessageRequest(std::string_view body, std::string interface_id);

struct ReplayPage {
  std::string body;  // DIPMessageEgressArray, replayIndicator true
  std::size_t messages = 0;
  std::string continuation_token;  // empty on the last page
};

class DeliveryQueries {
 public:
  static constexpr std::size_t kPageSize = 100;
  static constexpr std::size_t kMaxRequeue = 1000000;

  DeliveryQueries(storage::Store* store, DeliveryScheduler* scheduler);

  // The journal of `reference` as `caller` may see it (the sender sees every stage, a recipient
  // the inbound stages and its own outbound ones), as JSON; Config error "not found" if none.
  // Status messages about a message add StatusMessage stages (accepted, then each delivery
  // attempt to the original sender's status webhook), seen by the sender and by the reporter.
  dip::Result<std::string> Journal(std::string_view caller, std::string_view interface_id,
                                   std::string_view reference);

  dip::Result<ReplayPage> Replay(std::string_view recipient, const ReplayQuery& query,
                                 std::string_view continuation_token);
  // Puts every match (at most kMaxRequeue) back in the recipient's outbox; returns
  // {"requeueId":..., "totalTransactions":n}.
  dip::Result<std::string> Requeue(std::string_view recipient, const ReplayQuery& query);
  // RequeueStatus JSON: percentComplete, totalTransactions, processedTransactions, status.
  dip::Result<std::string> RequeueStatus(std::string_view recipient, std::string_view requeue_id);

  dip::Result<std::string> DeadLetters(std::string_view recipient);
  dip::Result<std::uint64_t> ReplayDeadLetters(std::string_view recipient);
  dip::Result<std::uint64_t> PurgeDeadLetters(std::string_view recipient);

  // Persisted across restarts; applied to the scheduler by LoadPaused() at start.
  dip::Status SetPaused(std::string_view recipient, bool paused);
  bool IsPaused(std::string_view recipient);
  dip::Status LoadPaused();

 private:
  // Matching messages for `recipient` with seq > after, at most `limit`; `more` set when the
  // scan stopped at the limit.
  dip::Result<std::vector<storage::MessageRecord>> Match(std::string_view recipient,
                                                         const ReplayQuery& query,
                                                         std::uint64_t after, std::size_t limit,
                                                         bool* more);

  // The StatusMessage stages of status record `status` (with its journal `rows`) as `caller`
  // may see them.
  void WriteStatusStages(dip::JsonWriter& w, std::string_view caller, bool is_sender,
                         const storage::MessageRecord& status,
                         const std::vector<storage::JournalRow>& rows);

  storage::Store* store_;
  DeliveryScheduler* scheduler_;
  std::mutex mu_;
  std::set<std::string, std::less<>> paused_;  // guarded by mu_
};

}  // namespace diphub::broker
