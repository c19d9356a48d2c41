#include "runtime/plugin_call.hpp"

#include <cstring>
#include <link.h>

namespace mlps::core {

namespace {

thread_local const char *tCaller = nullptr;
thread_local const char *tCall = nullptr;

// Fixed-size and filled before any run thread starts, so the signal handler reads it without
// locks or allocation.
struct Mapping {
    uintptr_t begin = 0, end = 0;
    char path[256] = {};
};
constexpr size_t kMaxMappings = 128;
Mapping gMappings[kMaxMappings];
size_t gMappingCount = 0;

int collect(struct dl_phdr_info *info, size_t /*size*/, void *data) {
    const auto *wanted = static_cast<const std::string *>(data);
    if (info->dlpi_name == nullptr || *wanted != info->dlpi_name) {
        return 0;
    }
    for (int i = 0; i < info->dlpi_phnum && gMappingCount < kMaxMappings; ++i) {
        const ElfW(Phdr) &ph = info->dlpi_phdr[i];
        if (ph.p_type != PT_LOAD) {
            continue;
        }
        Mapping &m = gMappings[gMappingCount++];
        m.begin = info->dlpi_addr + ph.p_vaddr;
        m.end = m.begin + ph.p_memsz;
        std::strncpy(m.path, wanted->c_str(), sizeof m.path - 1);
    }
    return 1;
}

} // namespace

PluginCallScope::PluginCallScope(const char *who, const char *what) noexcept
    : savedWho_(tCaller), savedWhat_(tCall) {
    tCaller = who;
    tCall = what;
}

PluginCallScope::~PluginCallScope() {
    tCaller = savedWho_;
    tCall = savedWhat_;
}

const char *currentPluginCaller() noexcept {
    return tCaller;
}

const char *currentPluginCall() noexcept {
    return tCall;
}

void notePluginMapping(const std::string &path) {
    for (size_t i = 0; i < gMappingCount; ++i) {
        if (path == gMappings[i].path) {
            return;
        }
    }
    dl_iterate_phdr(collect, const_cast<std::string *>(&path));
}

const char *pluginAt(uintptr_t address) noexcept {
    for (size_t i = 0; i < gMappingCount; ++i) {
        if (address >= gMappings[i].begin && address < gMappings[i].end) {
            return gMappings[i].path;
        }
    }
    return nullptr;
}

} // namespace mlps::core
