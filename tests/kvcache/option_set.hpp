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
        mlps_option_value v{};
        v.name = name;
        v.type = type;
        v.is_set = 1;
        v.v.s = strings_.back()->c_str();
        values_.push_back(v);
        return *this;
    }
    Options &integer(const char *name, int64_t value) {
        mlps_option_value v{};
        v.name = name;
        v.type = MLPS_OPT_INT;
        v.is_set = 1;
        v.v.i = value;
        values_.push_back(v);
        return *this;
    }
    Options &boolean(const char *name, bool value) {
        mlps_option_value v{};
        v.name = name;
        v.type = MLPS_OPT_BOOL;
        v.is_set = 1;
        v.v.b = value ? 1 : 0;
        values_.push_back(v);
        return *this;
    }
    Options &real(const char *name, double value) {
        mlps_option_value v{};
        v.name = name;
        v.type = MLPS_OPT_FLOAT;
        v.is_set = 1;
        v.v.f = value;
        values_.push_back(v);
        return *this;
    }
    Options &size(const char *name, uint64_t value) {
        mlps_option_value v{};
        v.name = name;
        v.type = MLPS_OPT_SIZE;
        v.is_set = 1;
        v.v.u = value;
        values_.push_back(v);
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
    std::vector<std::unique_ptr<std::string>> strings_;
    std::vector<mlps_option_value> values_;
    mlps_config config_{};
};

} // namespace mlps::kvcache::test
