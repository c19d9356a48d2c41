// Where the loader fixtures were built (tests/loader/fixtures/<name>/<name>.so).
#pragma once

#include <string>

namespace loader_test {

inline std::string fixtureDir(const std::string &name) {
    return std::string(MLPS_LOADER_FIXTURES) + "/" + name;
}

inline std::string fixture(const std::string &name) {
    return fixtureDir(name) + "/" + name + ".so";
}

} // namespace loader_test
