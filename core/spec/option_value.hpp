// Typed parsing of one option value from text, shared by the option resolver (spec values,
// defaults) and checkSchema (defaults and bounds must parse with the same rules).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <mlps/plugin_abi.h>

namespace mlps::core {

// The numeric/boolean payload of a parsed option (strings are kept by the caller).
struct OptionScalar {
    bool b = false;
    int64_t i = 0;
    double f = 0;
    uint64_t u = 0;
};

// What a value of `type` looks like, for messages: "an integer", "a size like 512MiB, ...".
std::string expectedOf(uint32_t type);
const char *typeName(uint32_t type); // "bool", "int", ... ; "?" for an unknown type

bool isNumericType(uint32_t type); // INT FLOAT SIZE DURATION BANDWIDTH: bounds apply
bool isStringType(uint32_t type);  // STRING ENUM PATH JSON: v.s carries the value

// Parses `text` as a BOOL, INT, FLOAT, SIZE, DURATION or BANDWIDTH. Throws UnitError whose
// message reads "expected ..., found "text"".
OptionScalar parseOptionScalar(uint32_t type, std::string_view text);

// -1, 0, 1 as a < b, a == b, a > b, for a numeric type.
int compareOptionScalars(uint32_t type, const OptionScalar &a, const OptionScalar &b);

// "a|b|c" contains `value` as a whole choice.
bool isChoice(std::string_view choices, std::string_view value);

} // namespace mlps::core

namespace mlps::core {

// Option `index` of a descriptor, read with the plugin's own element size (option_struct_size,
// never sizeof): fields a shorter element lacks read as zero/NULL.
mlps_option_spec schemaOption(const mlps_plugin_descriptor &descriptor, uint32_t index);

// Whether the descriptor is long enough to carry options/n_options/option_struct_size
// (MLPS_HAS_FIELD, without its NULL test on a reference).
bool hasOptionFields(const mlps_plugin_descriptor &descriptor);

// n_options, or 0 when the descriptor is too old or too short to carry an options array.
uint32_t schemaOptionCount(const mlps_plugin_descriptor &descriptor);

} // namespace mlps::core
