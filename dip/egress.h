// Renders a message as the DIP publishes it (DIPMessageEgress): the payload as received, with
// the A0 addressing block completed and the D0 block the hub assigns on publication.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dip/status.h"

namespace diphub::dip {

struct DipBlock {  // D0
  std::string transaction_id;
  std::string transaction_timestamp;  // DT-003
  std::string publication_id;         // "PUB-061"
  std::optional<std::string> initial_correlation_id;
  bool replay_indicator = false;
  std::optional<std::string> service_ticket_url;
};

struct Addressing {  // A0
  std::vector<std::string> primary_recipients;
  std::vector<std::string> secondary_recipients;
  std::vector<std::string> always;
};

// The same blocks as views (of a stored message, storage::MessageView): nothing copied.
struct DipBlockView {
  std::string_view transaction_id;
  std::string_view transaction_timestamp;
  std::string_view publication_id;
  std::optional<std::string_view> initial_correlation_id;
  bool replay_indicator = false;
  std::optional<std::string_view> service_ticket_url;
};

struct AddressingView {
  std::span<const std::string_view> primary_recipients;
  std::span<const std::string_view> secondary_recipients;
  std::span<const std::string_view> always;
};

// Appends {"payload":{"CommonBlock":{...,"A0":{...},"D0":{...}},"CustomBlock":...}} to `out`.
// `raw_item` is an array element as accepted by ParseMessageArray. The block and envelope names
// the hub knows are written in the spec's case; everything else is passed through as received.
// When those names were sent in the spec's case (the usual case), the result is `raw_item`'s
// bytes with the sender's A0/D0 cut out of CommonBlock and the hub's spliced in before its
// closing brace; otherwise the element is re-written block by block, each block's value as
// received.
// Safe from any thread (thread-local parser).
Status AppendEgressMessage(std::string_view raw_item, const Addressing& a0, const DipBlock& d0,
                           std::string* out);
// The same; when `raw_item` has room for the parser's padding (capacity() at least size() +
// kBodyPadding, as storage::DecodeMessage leaves it) it is read in place, not copied first.
Status AppendEgressMessage(const std::string& raw_item, const Addressing& a0, const DipBlock& d0,
                           std::string* out);
// The same with the blocks as views; `raw_item` is copied to a padded thread-local buffer for
// the parser (no allocation once it has grown).
Status AppendEgressMessage(std::string_view raw_item, const AddressingView& a0,
                           const DipBlockView& d0, std::string* out);
inline Status AppendEgressMessage(const char* raw_item, const Addressing& a0, const DipBlock& d0,
                                  std::string* out) {
  return AppendEgressMessage(std::string_view(raw_item), a0, d0, out);
}

}  // namespace diphub::dip
