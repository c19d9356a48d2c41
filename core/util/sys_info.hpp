// Facts about the machine for the results' host inventory.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace mlps::core {

std::string hostName();
// {"hostname", "cpus", "memory_bytes", "kernel", "os"}
nlohmann::json hostInventory();
// {"path", "fs_type", "size_bytes", "free_bytes"} of the file system holding `path`; {} when the
// path does not exist.
nlohmann::json fileSystemOf(const std::string &path);
// $TMPDIR, or /tmp.
std::string tempDir();

} // namespace mlps::core
