// The DIP's MSG codes (synchronous, level 1) and RCP codes (recipients'), as used by diphub.
// The titles come from the generated table (ResponseCodes in the official spec).
#pragma once

#include <string>
#include <string_view>

namespace diphub::dip::codes {

inline constexpr std::string_view kSuccess = "MSG0000";
inline constexpr std::string_view kProcessingFailed = "MSG1000";
inline constexpr std::string_view kSchemaFailure = "MSG1001";
inline constexpr std::string_view kInterfaceInvalid = "MSG1002";
inline constexpr std::string_view kDuplicateReference = "MSG1006";
inline constexpr std::string_view kTimestampInvalid = "MSG1007";
inline constexpr std::string_view kSenderInvalid = "MSG1009";
inline constexpr std::string_view kRoleInvalid = "MSG1010";
inline constexpr std::string_view kConnectionProviderInvalid = "MSG1011";
inline constexpr std::string_view kCorrelationInvalid = "MSG1012";
inline constexpr std::string_view kAddressingError = "MSG1030";
inline constexpr std::string_view kPrimaryRecipientInvalid = "MSG1031";
inline constexpr std::string_view kPrimaryRoleInvalid = "MSG1032";
inline constexpr std::string_view kSecondaryRecipientInvalid = "MSG1033";
inline constexpr std::string_view kSecondaryRoleInvalid = "MSG1034";
inline constexpr std::string_view kAlwaysRecipientInvalid = "MSG1035";
inline constexpr std::string_view kAlwaysRoleInvalid = "MSG1036";
inline constexpr std::string_view kMpanMissing = "MSG1037";
inline constexpr std::string_view kNoSecondaryParty = "MSG1038";

}  // namespace diphub::dip::codes

namespace diphub::dip {

// The spec's title for a code ("Schema Failure"), or "" for a code not in the table.
std::string_view CodeTitle(std::string_view code);
// The StandardResponse `message` text: "MSG1001 - Schema Failure".
std::string CodeMessage(std::string_view code);

}  // namespace diphub::dip
