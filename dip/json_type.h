// What a JSON value is, in words for error texts: "an array", "an object", "a number", ...
#pragma once

#include <simdjson.h>

#include <string_view>

namespace diphub::dip {

std::string_view JsonTypeName(simdjson::ondemand::json_type t);

}  // namespace diphub::dip
