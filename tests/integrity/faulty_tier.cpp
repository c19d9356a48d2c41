// A tier that misbehaves on purpose, for the run-integrity tests: an in-memory object store
// (one std::string per key) whose option `fault` picks what goes wrong after `fault_after` ops:
//   none          behaves
//   hang          ops are accepted and never complete
//   block_submit  submit never returns
//   segv          submit dereferences a null pointer
//   throw         submit lets a C++ exception escape its C entry point
//   corrupt       reads return one flipped byte
//   eio           ops complete with an I/O error
//   create_eio    the tier cannot start (an I/O error at create)
// It owns a folder under `path` (when given) with an owner record, like the file tiers, so the
// tests can see what a crash leaves behind. Written against the C ABI directly: the SDK's
// adapters would (rightly) catch the exception this tier must let escape.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <mlps/plugin.hpp>
#include <mlps/tier_abi.h>

#include "tier_directory.hpp"

namespace {

struct Faulty {
    const mlps_host_api *host = nullptr;
    std::string fault = "none";
    uint64_t faultAfter = 0;
    std::string dir;
    std::mutex mutex;
    std::map<std::string, std::string> objects;
    uint64_t ops = 0;
};

struct Queue {
    Faulty *tier;
    std::deque<mlps_completion> done;
};

bool faulting(Faulty &t) {
    std::lock_guard lock(t.mutex);
    return t.fault != "none" && ++t.ops > t.faultAfter;
}

const mlps_option_spec kOptions[] = {
    {"fault",
     MLPS_OPT_ENUM,
     0,
     "none",
     nullptr,
     nullptr,
     "none|hang|block_submit|segv|throw|corrupt|eio|create_eio",
     "What goes wrong"},
    {"fault_after", MLPS_OPT_INT, 0, "0", "0", nullptr, nullptr, "Ops that behave first"},
    {"path",
     MLPS_OPT_PATH,
     0,
     nullptr,
     nullptr,
     nullptr,
     nullptr,
     "Make a folder (with an owner record) under this directory"},
};

mlps_status
create(const mlps_host_api *host, const mlps_config *config, void **self, mlps_error *err) {
    mlps::Config options(config);
    auto *t = new Faulty();
    t->host = host;
    t->fault = options.getString("fault");
    t->faultAfter = static_cast<uint64_t>(options.getInt("fault_after"));
    if (t->fault == "create_eio") {
        mlps::fillError(err, MLPS_E_IO, EIO, "the device does not answer (injected)");
        delete t;
        return MLPS_E_IO;
    }
    if (options.isSet("path")) {
        // The file tiers' own folder helper: the same owner record a real tier writes.
        t->dir = mlps::posix::createTierDirectory(
            options.getString("path"), "faulty", {mlps::posix::runIdOf(mlps::Host(host)), false});
        std::ofstream(t->dir + "/data") << "some bytes";
    }
    *self = t;
    return MLPS_OK;
}

void destroy(void *self) {
    auto *t = static_cast<Faulty *>(self);
    if (!t->dir.empty()) {
        mlps::posix::removeTree(t->dir);
    }
    delete t;
}

mlps_status info(void *self, mlps_tier_info *out) {
    auto *t = static_cast<Faulty *>(self);
    mlps_tier_info i{};
    i.struct_size = sizeof i;
    i.alignment = 1;
    i.caps = MLPS_TIER_CAP_BYTE_RANGE;
    i.capacity_bytes = 1ull << 40;
    std::snprintf(
        i.location, sizeof i.location, "%s", t->dir.empty() ? "host memory" : t->dir.c_str());
    std::memcpy(out, &i, out->struct_size < sizeof i ? out->struct_size : sizeof i);
    return MLPS_OK;
}

mlps_status openQueue(void *self, uint32_t, void **queue, mlps_error *) {
    *queue = new Queue{static_cast<Faulty *>(self), {}};
    return MLPS_OK;
}

void closeQueue(void *, void *queue) {
    delete static_cast<Queue *>(queue);
}

mlps_status submit(void *queue, const mlps_io *ios, uint32_t n, uint32_t *accepted) {
    auto *q = static_cast<Queue *>(queue);
    Faulty &t = *q->tier;
    for (uint32_t i = 0; i < n; ++i) {
        const mlps_io &io = ios[i];
        const bool fault = faulting(t);
        if (fault && t.fault == "block_submit") {
            // Said first, so that a test knows the run is stuck here before it signals.
            t.host->log(t.host->ctx, MLPS_LOG_WARN, "submit blocks now (injected)");
            for (;;) {
                std::this_thread::sleep_for(std::chrono::hours(1));
            }
        }
        if (fault && t.fault == "segv") {
            volatile int *nowhere = nullptr;
            *nowhere = 1;
        }
        if (fault && t.fault == "throw") {
            throw std::runtime_error("faulty tier: an exception through a C entry point");
        }
        *accepted = i + 1;
        if (fault && t.fault == "hang") {
            continue; // accepted, never completed
        }
        mlps_completion c{io.user_data, MLPS_OK, 0, 0};
        if (fault && t.fault == "eio") {
            c.status = MLPS_E_IO;
            c.sys_errno = EIO;
            q->done.push_back(c);
            continue;
        }
        std::lock_guard lock(t.mutex);
        std::string &object = t.objects[std::string(io.key, io.key_len)];
        if (io.opcode == MLPS_IO_WRITE) {
            if (object.size() < io.offset + io.length) {
                object.resize(io.offset + io.length);
            }
            std::memcpy(object.data() + io.offset, io.buf, io.length);
            c.bytes = io.length;
        } else if (io.opcode == MLPS_IO_READ) {
            if (io.offset + io.length > object.size()) {
                c.status = MLPS_E_RANGE;
            } else {
                std::memcpy(io.buf, object.data() + io.offset, io.length);
                if (fault && t.fault == "corrupt" && io.length > 0) {
                    static_cast<unsigned char *>(io.buf)[io.length / 2] ^= 0x5a;
                }
                c.bytes = io.length;
            }
        } else if (io.opcode == MLPS_IO_DELETE) {
            t.objects.erase(std::string(io.key, io.key_len));
        }
        q->done.push_back(c);
    }
    return MLPS_OK;
}

mlps_status
poll(void *queue, mlps_completion *out, uint32_t, uint32_t maxDone, uint64_t, uint32_t *nDone) {
    auto *q = static_cast<Queue *>(queue);
    uint32_t n = 0;
    while (n < maxDone && !q->done.empty()) {
        out[n++] = q->done.front();
        q->done.pop_front();
    }
    *nDone = n;
    return MLPS_OK;
}

const mlps_tier_ops kOps = {
    sizeof(mlps_tier_ops), info, openQueue, closeQueue, submit, poll, nullptr, nullptr};

const mlps_plugin_descriptor kDescriptor = {sizeof(mlps_plugin_descriptor),
                                            MLPS_KIND_TIER,
                                            "faulty",
                                            "1.0.0",
                                            "a tier that fails on purpose (tests only)",
                                            kOptions,
                                            3,
                                            sizeof(mlps_option_spec),
                                            MLPS_TIER_CAP_BYTE_RANGE,
                                            create,
                                            destroy,
                                            &kOps,
                                            nullptr};

} // namespace

MLPS_PLUGIN_MANIFEST(&kDescriptor)
