// kvcache's unit tests: a hand-made option set parsed into Settings, as the core would hand
// the options over (only the options given are set). Shared by the unit test files.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "settings.hpp"

namespace mlps::kvcache::test {

// A hand-made option set, as the core would hand it over (only the options given are set).
class Options {
  public:
    Options &str(const char *name, std::string value, uint32_t type = MLPS_OPT_STRING) {
        strings_.push_back(std::make_unique<std::string>(std::move(value)));
        add(name, type).v.s = strings_.back()->c_str();
        return *this;
    }
    Options &integer(const char *name, int64_t value) {
        add(name, MLPS_OPT_INT).v.i = value;
        return *this;
    }
    Options &boolean(const char *name, bool value) {
        add(name, MLPS_OPT_BOOL).v.b = value ? 1 : 0;
        return *this;
    }
    Options &real(const char *name, double value) {
        add(name, MLPS_OPT_FLOAT).v.f = value;
        return *this;
    }
    Options &size(const char *name, uint64_t value) {
        add(name, MLPS_OPT_SIZE).v.u = value;
        return *this;
    }
    Settings parse() {
        config_ = mlps_config{
            sizeof(mlps_config), static_cast<uint32_t>(values_.size()), values_.data(), "{}"};
        return parseSettings(mlps::Config(&config_));
    }
    std::string error() {
        try {
            parse();
        } catch (const mlps::Error &e) {
            CHECK(e.code() == MLPS_E_INVALID);
            return e.what();
        }
        return "";
    }

  private:
    // A set value of `type` named `name`, for the caller to fill in.
    mlps_option_value &add(const char *name, uint32_t type) {
        mlps_option_value v{};
        v.name = name;
        v.type = type;
        v.is_set = 1;
        values_.push_back(v);
        return values_.back();
    }
    std::vector<std::unique_ptr<std::string>> strings_;
    std::vector<mlps_option_value> values_;
    mlps_config config_{};
};

} // namespace mlps::kvcache::test
