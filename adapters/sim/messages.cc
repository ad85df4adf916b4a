#include "adapters/sim/messages.h"

#include <simdjson.h>

#include <cstdio>

#include "dip/json_writer.h"

namespace diphub::adapters::sim {
namespace {

using dip::JsonWriter;

std::string Field(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

std::string Json(simdjson::dom::element e) { return simdjson::minify(e); }

}  // namespace

std::string Reference(const Outgoing& m, dip::Clock::time_point now, std::string_view unique) {
  return "S-" + m.interface_id + "-" + m.sender + "-" + m.sender_role + "-" +
         dip::FormatYyyymmdd(now) + "-" + std::string(unique);
}

std::string RenderMessage(const Outgoing& m, dip::Clock::time_point now) {
  JsonWriter w;
  w.BeginArray().BeginObject().Key("payload").BeginObject().Key("CommonBlock").BeginObject();
  w.Key("S0").BeginObject();
  w.Key("interfaceID").String(m.interface_id).Key("schemaVersion").String("011");
  w.Key("eventCode").String(m.event).EndObject();
  w.Key("S1").BeginObject();
  w.Key("environmentTag").String(m.environment_tag).Key("subText").Null();
  w.Key("senderUniqueReference").String(m.reference);
  w.Key("senderTimestamp").String(dip::FormatDipTimestamp(now));
  w.Key("senderDIPID").String(m.sender).Key("senderRoleID").String(m.sender_role);
  w.Key("senderCorrelationID");
  if (m.correlation_id.empty()) {
    w.Null();
  } else {
    w.String(m.correlation_id);
  }
  w.Key("DIPConnectionProviderID").Null().EndObject();
  w.Key("A0").BeginObject().Key("primaryRecipients").BeginArray();
  for (const std::string& p : m.primary_recipients) w.String(p);
  w.EndArray().Key("secondaryRecipients").BeginArray().EndArray();
  w.Key("always").BeginArray().EndArray().EndObject();
  w.Key("M0").BeginObject().Key("MPANCore").String(m.mpan);
  if (!m.distributor.empty()) w.Key("distributorDIPID").String(m.distributor);
  w.Key("GSPGroupID").String("_K").EndObject();
  if (!m.response_code.empty()) {
    w.Key("R0").BeginObject().Key("responseCode").String(m.response_code);
    w.Key("responseMessages").BeginArray();
    for (const std::string& r : m.response_messages) w.String(r);
    w.EndArray().EndObject();
  }
  w.EndObject().Key("CustomBlock").Raw(m.custom_block).EndObject().EndObject().EndArray();
  return w.Take();
}

std::string Malform(std::string body) {
  const std::string key = "\"senderTimestamp\":\"";
  std::size_t at = body.find(key);
  if (at == std::string::npos) return body;
  at += key.size();
  std::size_t end = body.find('"', at);
  body.replace(at, end - at, "sometime today");
  return body;
}

dip::Result<std::vector<Received>> ParseDelivery(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
    return dip::Status::Config("the delivery is not JSON");
  }
  simdjson::dom::array items;
  if (doc.get_array().get(items) != simdjson::SUCCESS) {
    return dip::Status::Config("the delivery is not a JSON array");
  }
  std::vector<Received> out;
  for (simdjson::dom::element item : items) {
    simdjson::dom::element payload, common;
    if (item["payload"].get(payload) != simdjson::SUCCESS ||
        payload["CommonBlock"].get(common) != simdjson::SUCCESS) {
      return dip::Status::Config("a delivered message lacks payload.CommonBlock");
    }
    Received r;
    simdjson::dom::element block;
    if (common["S0"].get(block) == simdjson::SUCCESS) {
      r.interface_id = Field(block, "interfaceID");
      r.event = Field(block, "eventCode");
    }
    if (common["S1"].get(block) == simdjson::SUCCESS) {
      r.sender = Field(block, "senderDIPID");
      r.sender_role = Field(block, "senderRoleID");
      r.reference = Field(block, "senderUniqueReference");
      r.correlation_id = Field(block, "senderCorrelationID");
    }
    if (common["M0"].get(block) == simdjson::SUCCESS) {
      r.mpan = Field(block, "MPANCore");
      r.distributor = Field(block, "distributorDIPID");
    }
    if (common["R0"].get(block) == simdjson::SUCCESS)
      r.response_code = Field(block, "responseCode");
    if (common["D0"].get(block) == simdjson::SUCCESS)
      r.transaction_id = Field(block, "transactionID");
    r.custom_block = payload["CustomBlock"].get(block) == simdjson::SUCCESS ? Json(block) : "{}";
    r.raw = Json(item);
    out.push_back(std::move(r));
  }
  return out;
}

std::string CustomField(std::string_view custom_block, std::string_view block,
                        std::string_view field) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc, b;
  if (parser.parse(custom_block.data(), custom_block.size()).get(doc) != simdjson::SUCCESS ||
      doc[block].get(b) != simdjson::SUCCESS) {
    return {};
  }
  return Field(b, field);
}

bool HasBlock(std::string_view custom_block, std::string_view block) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc, b;
  return parser.parse(custom_block.data(), custom_block.size()).get(doc) == simdjson::SUCCESS &&
         doc[block].get(b) == simdjson::SUCCESS;
}

std::string DayStart(dip::Clock::time_point t) {
  return dip::FormatDipTimestamp(t).substr(0, 10) + "T00:00:00+00:00";
}

std::string MdrStartBlock(const Party& mdr, const std::string& date) {
  JsonWriter w;
  w.BeginObject().Key("B019").BeginObject();
  w.Key("assignedMDRDIPID").String(mdr.dip_id).Key("assignedMDRMPID").String(mdr.mpid);
  w.Key("assignedMDREffectiveFromDate").String(date).EndObject();
  w.Key("B078").BeginObject().Key("energyDirection").String("I").EndObject();
  w.Key("B025").BeginObject().Key("energisationStatus").String("E");
  w.Key("energisationStatusEffectiveFromDate").String(date).EndObject();
  w.Key("B068").BeginObject().Key("consentGranularity").String("H");
  w.Key("consentGranularityEffectiveFromDate").String(date).EndObject();
  return w.EndObject().Take();
}

std::string MdrStopBlock(const Party& mdr, const std::string& date) {
  JsonWriter w;
  w.BeginObject().Key("B083").BeginObject();
  w.Key("assignedMDRDIPID").String(mdr.dip_id).Key("assignedMDRMPID").String(mdr.mpid);
  w.Key("assignedMDREffectiveToDate").String(date).EndObject();
  return w.EndObject().Take();
}

std::string ConsumptionBlock(const std::string& settlement_date) {
  // Settlement period `sp` starts (sp - 1) half hours after the day's midnight UTC.
  auto period_start = [&](int sp) {
    char time[16];  // "hh:mm"; room for any int, as -Wformat-truncation at -O1 asks
    std::snprintf(time, sizeof time, "%02d:%02d", (sp - 1) / 2, (sp - 1) % 2 * 30);
    return settlement_date.substr(0, 10) + "T" + time + ":00+00:00";
  };
  JsonWriter w;
  w.BeginObject().Key("B045").BeginObject().Key("measurementQuantityID").String("AI").EndObject();
  w.Key("B941List").BeginArray().BeginObject();
  w.Key("settlementDay").BeginObject().Key("settlementDayDate").String(settlement_date);
  w.Key("periodDuration").Int(30).EndObject();
  w.Key("MDRConsumptionPeriods").BeginArray();
  for (int sp = 1; sp <= 48; ++sp) {
    // A plausible household day: low at night, higher in the evening.
    const char* v = sp < 14 ? "0.120" : sp < 34 ? "0.250" : "0.480";
    w.BeginObject().Key("sp").String(period_start(sp)).Key("v").String(v);
    w.Key("q").String("A").EndObject();
  }
  w.EndArray().EndObject().EndArray();
  return w.EndObject().Take();
}

std::string ReadingBlock(const std::string& mpan, const std::string& date) {
  JsonWriter w;
  w.BeginObject().Key("B076List").BeginArray().BeginObject();
  w.Key("meterID").String("M" + mpan.substr(mpan.size() - 8));
  w.Key("cumulativeRegisterReading").String("12345.600");
  w.Key("cumulativeRegisterReadingDateTime").String(date).EndObject().EndArray();
  return w.EndObject().Take();
}

Party SimSupplier() { return {"1300000001", "SSUP"}; }

namespace {

void RequestingSupplier(JsonWriter& w) {
  const Party supplier = SimSupplier();
  w.Key("B012").BeginObject();
  w.Key("serviceProviderAppointmentRequestingSupplierDIPID").String(supplier.dip_id);
  w.Key("serviceProviderAppointmentRequestingSupplierMPID").String(supplier.mpid).EndObject();
}

}  // namespace

std::string DsAppointmentBlock(const Party& ds, const Party& mdr, const std::string& date) {
  JsonWriter w;
  w.BeginObject();
  RequestingSupplier(w);
  w.Key("B015").BeginObject();
  w.Key("incomingDataServiceMPID")
      .String(ds.mpid)
      .Key("incomingDataServiceDIPID")
      .String(ds.dip_id);
  w.Key("incomingDataServiceEffectiveFromDate").String(date);
  w.Key("contractReferenceDataService").String("SIMCONTRACT");
  w.Key("appointmentScenario").String("COS").Key("traditionalFallBackReadFrequency").String("M");
  w.EndObject();
  if (!mdr.dip_id.empty()) {
    w.Key("B019").BeginObject();
    w.Key("assignedMDRDIPID").String(mdr.dip_id).Key("assignedMDRMPID").String(mdr.mpid);
    w.Key("assignedMDREffectiveFromDate").String(date).EndObject();
  }
  // The metering point's standing data, as a registration service publishes it.
  w.Key("B022").BeginObject().Key("meteringPointPostcode").String("AB1 2CD");
  w.Key("addressLine1").String("1 Simulated Street");
  for (int line = 2; line <= 9; ++line) w.Key("addressLine" + std::to_string(line)).Null();
  w.EndObject();
  w.Key("B023").BeginObject().Key("connectionTypeIndicator").String("W");
  w.Key("connectionTypeEffectiveFromDate").String(date).Key("energyDirection").String("I");
  w.Key("meteredIndicator").Bool(true).EndObject();
  w.Key("B024").BeginObject().Key("DUOSTariffID").String("A01");
  w.Key("DUOSTariffIDEffectiveFromDate").String(date).EndObject();
  w.Key("B025").BeginObject().Key("energisationStatus").String("E");
  w.Key("energisationStatusEffectiveFromDate").String(date).EndObject();
  w.Key("B026").BeginObject().Key("marketSegmentIndicator").String("S");
  w.Key("marketSegmentIndicatorEffectiveFromDate").String(date).EndObject();
  w.Key("B028").BeginObject().Key("domesticPremiseIndicator").Bool(true);
  w.Key("domesticPremiseIndicatorEffectiveFromDate").String(date).EndObject();
  return w.EndObject().Take();
}

std::string MdrOutcomeBlock(const Party& mdr, const std::string& date) {
  JsonWriter w;
  w.BeginObject();
  RequestingSupplier(w);
  w.Key("B092").BeginObject();
  w.Key("assignedMDRDIPID").String(mdr.dip_id).Key("assignedMDRMPID").String(mdr.mpid);
  w.Key("assignedMDREffectiveFromDate").String(date).EndObject();
  w.Key("B099").BeginObject().Key("responseCode").String("A");
  w.Key("responseMessages").BeginArray().String("RCP0000 - Message Success").EndArray();
  w.EndObject();
  return w.EndObject().Take();
}

std::string DsDeAppointmentBlock(const Party& ds, const std::string& date) {
  JsonWriter w;
  w.BeginObject().Key("B009").BeginObject();
  w.Key("deAppointedDataServiceDIPID").String(ds.dip_id);
  w.Key("deAppointedDataServiceMPID").String(ds.mpid);
  w.Key("dataServiceEffectiveFromDate").String("2020-01-01T00:00:00+00:00");
  w.Key("dataServiceEffectiveToDate").String(date);
  w.Key("deAppointmentReasonCode").String("CSUPP").EndObject();
  return w.EndObject().Take();
}

std::string MdrStartResponseBlock(std::string_view request_custom_block) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc, b;
  JsonWriter w;
  w.BeginObject();
  if (parser.parse(request_custom_block.data(), request_custom_block.size()).get(doc) ==
      simdjson::SUCCESS) {
    for (const char* key : {"B019", "B078", "B025", "B068"}) {
      if (doc[key].get(b) == simdjson::SUCCESS) w.Key(key).Raw(Json(b));
    }
  }
  return w.EndObject().Take();
}

}  // namespace diphub::adapters::sim
