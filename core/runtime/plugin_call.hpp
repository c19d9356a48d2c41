// Which plugin call a thread is in, for the crash record (crash_handler.cpp). The core wraps
// every call into a plugin in a PluginCallScope: two thread-local pointer stores, cheap enough
// for submit/poll. A crash on a thread the plugin started itself (no scope) is attributed by
// the faulting address, against the address ranges of the loaded plugin files.
#pragma once

#include <cstdint>
#include <string>

namespace mlps::core {

// `who` ("tier fast (dram)") and `what` ("submit") must outlive the scope (static or owned by
// the run); nothing is copied.
class PluginCallScope {
  public:
    PluginCallScope(const char *who, const char *what) noexcept;
    ~PluginCallScope();
    PluginCallScope(const PluginCallScope &) = delete;
    PluginCallScope &operator=(const PluginCallScope &) = delete;

  private:
    const char *savedWho_;
    const char *savedWhat_;
};

// The calling thread's current plugin call; both null outside any. Async-signal-safe.
const char *currentPluginCaller() noexcept;
const char *currentPluginCall() noexcept;

// Records where the plugin file `path` is mapped (call after dlopen). Not thread-safe; the
// loader runs before any run thread.
void notePluginMapping(const std::string &path);
// The plugin file holding `address`, or null. Async-signal-safe.
const char *pluginAt(uintptr_t address) noexcept;

} // namespace mlps::core
