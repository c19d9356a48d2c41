// The host API a tier gets from `plugins check`: one rank, the monotonic clock, metrics that
// are accepted and dropped, no other tiers. A tier's log lines are kept (the last ones are
// shown with a failed check) instead of printed between the check lines.
#pragma once

#include <string>
#include <vector>

#include <mlps/host_api.h>

namespace mlps::core::check {

class CheckHost {
  public:
    CheckHost();
    CheckHost(const CheckHost &) = delete;
    CheckHost &operator=(const CheckHost &) = delete;

    const mlps_host_api *api() const { return &api_; }
    // The tier's log lines so far, "warn: ...", at most the last 20.
    std::vector<std::string> logs() const;

  private:
    static void log(void *ctx, int32_t level, const char *message);
    mlps_host_api api_{};
    std::vector<std::string> logs_;
};

} // namespace mlps::core::check
