// Message texts shared by the dip unit tests: one valid IF-061 [MDRStart] message and helpers to
// vary it.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace diphub::dip::testing {

// The S1 block of a valid message, without braces, so tests can add or drop fields.
inline std::string ValidS1Fields() {
  return R"("environmentTag": "DEV",
          "subText": null,
          "senderUniqueReference": "REF-0001",
          "senderTimestamp": "2025-08-11T09:30:00+01:00",
          "senderDIPID": "1100000001",
          "senderRoleID": "SDS",
          "senderCorrelationID": "CI-0001",
          "DIPConnectionProviderID": null)";
}

// One array element: {"payload": {...}} of a valid IF-061 message.
inline std::string ValidItem(std::string_view custom_block = R"({"B019": {"x": 1}})") {
  return R"({"payload": {
      "CommonBlock": {
        "S0": {"interfaceID": "IF-061", "schemaVersion": "011", "eventCode": "[MDRStart]"},
        "S1": {)" +
         ValidS1Fields() + R"(},
        "A0": {"primaryRecipients": ["1200000001"], "secondaryRecipients": [], "always": []},
        "M0": {"MPANCore": "2000056535971", "GSPGroupID": "_K"}
      },
      "CustomBlock": )" +
         std::string(custom_block) + R"(
    }})";
}

// `text` with the first occurrence of `from` replaced by `to`; a test failure when absent.
inline std::string Replace(std::string text, std::string_view from, std::string_view to) {
  std::size_t at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "test text lacks \"" << from << "\"";
    return text;
  }
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace diphub::dip::testing
