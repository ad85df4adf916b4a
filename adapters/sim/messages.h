// The DIP messages the simulated participants send and read: building a send (a one-message
// DIPMessageArray) from a few fields, and reading a delivery (DIPMessageEgressArray).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dip/dip_time.h"
#include "dip/status.h"

namespace diphub::adapters::sim {

// A message a simulated participant sends.
struct Outgoing {
  std::string interface_id;  // "IF-062"
  std::string event;         // "[MDRStartResponse]"
  std::string sender;        // DIP ID
  std::string sender_role;   // "MDR"
  std::vector<std::string> primary_recipients;
  std::string mpan;
  std::string distributor = "1900000001";  // M0.distributorDIPID; "" = no such field
  std::string correlation_id;              // "" = null
  std::string response_code;               // R0.responseCode; "" = no R0
  std::vector<std::string> response_messages;
  std::string custom_block = "{}";      // CustomBlock as JSON
  std::string reference;                // S1.senderUniqueReference
  std::string environment_tag = "DEV";  // S1.environmentTag
};

// A message delivered to a simulated participant.
struct Received {
  std::string interface_id, event, sender, sender_role, reference, correlation_id, mpan;
  std::string distributor;     // M0.distributorDIPID ("" when absent)
  std::string response_code;   // "" when the message has no R0
  std::string transaction_id;  // D0.transactionID
  std::string custom_block;    // CustomBlock as JSON ("{}" when absent)
  std::string raw;             // the array element as delivered
};

// A senderUniqueReference as the spec's pattern wants it, for `m` sent at `now`:
// "S-IF-062-1200000001-MDR-20261122-<unique>". `unique` must be letters and digits.
std::string Reference(const Outgoing& m, dip::Clock::time_point now, std::string_view unique);

// The send body: [ {"payload": {...}} ].
std::string RenderMessage(const Outgoing& m, dip::Clock::time_point now);
// `body` with S1.senderTimestamp replaced by a value that is not a DT-003 timestamp: the hub
// refuses it at level 1.
std::string Malform(std::string body);

// The messages of a delivery, in order.
dip::Result<std::vector<Received>> ParseDelivery(std::string_view body);
// A string field of `custom_block` ("B019", "assignedMDRDIPID"); "" when absent.
std::string CustomField(std::string_view custom_block, std::string_view block,
                        std::string_view field);
// True when `custom_block` has the key `block` (any value).
bool HasBlock(std::string_view custom_block, std::string_view block);

// Custom blocks of the BP017 messages. `date` is a DT-003 timestamp.
struct Party {
  std::string dip_id, mpid;
};
// The supplier that the simulated appointment flows name as requester (B012). The harness need
// not register it: nothing is addressed to it.
Party SimSupplier();
std::string MdrStartBlock(const Party& mdr, const std::string& date);        // IF-061
std::string MdrStopBlock(const Party& mdr, const std::string& date);         // IF-063
std::string ConsumptionBlock(const std::string& settlement_date);            // IF-064 (DT-003)
std::string ReadingBlock(const std::string& mpan, const std::string& date);  // IF-065 reply
std::string DsAppointmentBlock(const Party& ds, const Party& mdr,            // IF-036
                               const std::string& date);
std::string MdrOutcomeBlock(const Party& mdr, const std::string& date);      // IF-035
std::string DsDeAppointmentBlock(const Party& ds, const std::string& date);  // IF-037
// The IF-062 custom block: the blocks of the IF-061 it answers that IF-062 also carries.
std::string MdrStartResponseBlock(std::string_view request_custom_block);

// Midnight UTC of `t`'s day as DT-003: "2026-11-22T00:00:00+00:00".
std::string DayStart(dip::Clock::time_point t);

}  // namespace diphub::adapters::sim
