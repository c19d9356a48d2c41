// The symbols a shared object exports (defined, global or weak, default or protected
// visibility), read from its .dynsym section.
#pragma once

#include <string>
#include <vector>

namespace mlps::core::check {

// Throws std::runtime_error when the file cannot be read or is not a 64-bit ELF file.
std::vector<std::string> exportedSymbols(const std::string &path);

} // namespace mlps::core::check
