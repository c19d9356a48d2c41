// The mlps_host_api table handed to one plugin instance. `ctx` points back at this object, which
// knows the run and the plugin's name (for log prefixes).
#pragma once

#include <string>

#include <mlps/host_api.h>

namespace mlps::core {

class RunContext;

class HostBinding {
  public:
    HostBinding(RunContext &run, std::string label);
    HostBinding(const HostBinding &) = delete;
    HostBinding &operator=(const HostBinding &) = delete;

    const mlps_host_api *api() const { return &api_; }
    RunContext &run() { return run_; }
    const std::string &label() const { return label_; }

  private:
    RunContext &run_;
    std::string label_; // "tierbench", "tier fast (dram)"
    mlps_host_api api_{};
};

} // namespace mlps::core
