// Byte encodings for keys and values: big-endian fixed integers (so keys sort numerically) and
// length-prefixed strings (varint32 length, then bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace diphub::storage {

void PutFixed64BE(std::string* dst, std::uint64_t v);
std::uint64_t DecodeFixed64BE(const char* p);
void PutVarint32(std::string* dst, std::uint32_t v);
void PutLengthPrefixed(std::string* dst, std::string_view s);

// Reads from the front of `in`, advancing it. False on truncated or corrupt input.
bool GetVarint32(std::string_view* in, std::uint32_t* v);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);
bool GetFixed64BE(std::string_view* in, std::uint64_t* v);

}  // namespace diphub::storage
