#include "tier_driver.hpp"

#include <doctest/doctest.h>

namespace mlps::test {

mlps_io writeOp(std::string_view key,
                const void *buf,
                uint64_t offset,
                uint64_t length,
                uint64_t objectSize,
                uint64_t userData) {
    return mlps_io{MLPS_IO_WRITE,
                   0,
                   key.data(),
                   static_cast<uint32_t>(key.size()),
                   0,
                   const_cast<void *>(buf),
                   offset,
                   length,
                   objectSize,
                   userData};
}

mlps_io
readOp(std::string_view key, void *buf, uint64_t offset, uint64_t length, uint64_t userData) {
    return mlps_io{MLPS_IO_READ,
                   0,
                   key.data(),
                   static_cast<uint32_t>(key.size()),
                   0,
                   buf,
                   offset,
                   length,
                   0,
                   userData};
}

mlps_io deleteOp(std::string_view key, uint64_t userData) {
    return mlps_io{MLPS_IO_DELETE,
                   0,
                   key.data(),
                   static_cast<uint32_t>(key.size()),
                   0,
                   nullptr,
                   0,
                   0,
                   0,
                   userData};
}

mlps_io syncOp(const std::string *key, uint64_t userData) {
    return mlps_io{MLPS_IO_SYNC,
                   0,
                   key != nullptr ? key->data() : nullptr,
                   key != nullptr ? static_cast<uint32_t>(key->size()) : 0,
                   0,
                   nullptr,
                   0,
                   0,
                   0,
                   userData};
}

std::vector<unsigned char> pattern(uint64_t tag, uint64_t offset, uint64_t length) {
    std::vector<unsigned char> bytes(length);
    for (uint64_t i = 0; i < length; ++i) {
        const uint64_t x = (offset + i) * 0x9e3779b97f4a7c15ull ^ (tag + 1) * 0xbf58476d1ce4e5b9ull;
        bytes[i] = static_cast<unsigned char>(x >> 56);
    }
    return bytes;
}

std::vector<mlps_completion>
TierQueueDriver::poll(uint32_t minDone, uint32_t maxDone, uint64_t timeoutNs) {
    std::vector<mlps_completion> out(maxDone);
    uint32_t n = 0;
    REQUIRE(ops_->poll(queue_, out.data(), minDone, maxDone, timeoutNs, &n) == MLPS_OK);
    REQUIRE(n <= maxDone);
    out.resize(n);
    return out;
}

mlps_completion TierQueueDriver::run(const mlps_io &io) {
    uint32_t accepted = 0;
    REQUIRE(submit(&io, 1, &accepted) == MLPS_OK);
    REQUIRE(accepted == 1);
    // A generous timeout: tiers in these tests complete at once or within microseconds.
    const auto done = poll(1, 1, 30'000'000'000ull);
    REQUIRE(done.size() == 1);
    CHECK(done[0].user_data == io.user_data);
    return done[0];
}

TierDriver::TierDriver(const mlps_plugin_descriptor *descriptor,
                       FakeHost &host,
                       const mlps_config *config)
    : descriptor_(descriptor), ops_(static_cast<const mlps_tier_ops *>(descriptor->ops)) {
    REQUIRE(descriptor->kind == MLPS_KIND_TIER);
    void *self = nullptr;
    status_ = descriptor->create(host.api(), config, &self, &error_);
    if (status_ == MLPS_OK) {
        self_ = self;
    }
}

void TierDriver::destroy() {
    if (self_ != nullptr) {
        descriptor_->destroy(self_);
        self_ = nullptr;
    }
}

mlps_tier_info TierDriver::info() const {
    mlps_tier_info info{};
    info.struct_size = sizeof info;
    REQUIRE(ops_->info(self_, &info) == MLPS_OK);
    return info;
}

std::unique_ptr<TierQueueDriver> TierDriver::openQueue(uint32_t depth) {
    void *queue = nullptr;
    mlps_error err{};
    const mlps_status st = ops_->open_queue(self_, depth, &queue, &err);
    INFO("open_queue: " << err.message);
    REQUIRE(st == MLPS_OK);
    return std::make_unique<TierQueueDriver>(ops_, self_, queue);
}

} // namespace mlps::test
