#include "spec/run_spec.hpp"

namespace mlps::core {

std::string SourceLocation::str() const {
    if (line <= 0) {
        return file;
    }
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

} // namespace mlps::core
