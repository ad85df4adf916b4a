#include "dip/standard_response.h"

#include "dip/json_writer.h"

namespace diphub::dip {

namespace {

void AppendItem(JsonWriter& w, const ResponseItem& it) {
  w.BeginObject();
  w.Key("transactionID").OptString(it.transaction_id);
  w.Key("senderUniqueReference").OptString(it.sender_unique_reference);
  w.Key("correlationID").OptString(it.correlation_id);
  w.Key("sentTimestamp").String(it.sent_timestamp);
  w.Key("senderID").String(it.sender_id);
  w.Key("recipientID").OptString(it.recipient_id);
  w.Key("DIPConnectionProviderID").OptString(it.connection_provider_id);
  w.Key("message").String(it.message);
  w.Key("help").OptString(it.help);
  w.Key("serviceTicketURL").OptString(it.service_ticket_url);
  w.EndObject();
}

}  // namespace

std::string RenderResponseItem(const ResponseItem& item) {
  JsonWriter w;
  AppendItem(w, item);
  return w.Take();
}

std::string RenderStandardResponse(const std::vector<ResponseItem>& items, Clock::time_point now) {
  JsonWriter w;
  w.Reserve(64 + 320 * items.size());
  w.BeginObject().Key("messageArray").BeginArray();
  for (const ResponseItem& it : items) AppendItem(w, it);
  w.EndArray().Key("timestamp").String(FormatDipTimestamp(now)).EndObject();
  return w.Take();
}

}  // namespace diphub::dip
