// The DIP's StandardResponse: {messageArray:[StandardResponseBodyType...], timestamp}.
// Every body field is always present; absent values are null (DIN-1031).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dip/dip_time.h"

namespace diphub::dip {

struct ResponseItem {
  std::optional<std::string> transaction_id;
  std::optional<std::string> sender_unique_reference;
  std::optional<std::string> correlation_id;
  std::string sent_timestamp;               // DT-003, when the hub answered
  std::string sender_id;                    // the hub's DIP ID
  std::optional<std::string> recipient_id;  // the original sender
  std::optional<std::string> connection_provider_id;
  std::string message;  // "MSG0000 - Success"
  std::optional<std::string> help;
  std::optional<std::string> service_ticket_url;
};

// One StandardResponseBodyType object (every field present, null when absent).
std::string RenderResponseItem(const ResponseItem& item);
std::string RenderStandardResponse(const std::vector<ResponseItem>& items, Clock::time_point now);

}  // namespace diphub::dip
