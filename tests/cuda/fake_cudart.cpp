// A fake CUDA runtime for the cuda tier's tests: the subset of the runtime API the tier
// resolves (plugins/tiers/cuda/cuda_api.hpp), over host memory. Device memory is malloc'd and
// checked: a copy whose device side is not inside one allocation, or whose host side is device
// memory, fails with cudaErrorInvalidValue as the real runtime's would. Copies and event records
// queue on their stream and complete later on the runtime's own thread, in stream order and
// interleaved across streams, like a device's copy engines. Tests steer it through
// fake_cudart.hpp (hold the thread, run one stream, fail copies, limit memory).
#include "fake_cudart.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <sys/mman.h>
#include <thread>
#include <vector>

#define FAKE_API extern "C" __attribute__((visibility("default")))

namespace {

constexpr int kSuccess = 0;
constexpr int kInvalidValue = 1;
constexpr int kMemoryAllocation = 2;
constexpr int kNoDevice = 100;
constexpr int kInvalidDevice = 101;
constexpr int kInvalidResourceHandle = 400;
constexpr int kNotReady = 600;
constexpr int kLaunchFailure = 719;
constexpr uint64_t kDefaultMemory = 1ull << 30;

struct Event {
    bool recorded = false;
    bool done = true;
    int status = kSuccess;
};

struct Item {
    bool copy = false;
    void *dst = nullptr;
    const void *src = nullptr;
    size_t count = 0;
    Event *event = nullptr;
};

struct Stream {
    int index = 0;
    std::deque<Item> items;
    bool busy = false;        // the thread is running one of its items
    bool failPending = false; // a failed copy: the next event reports it
};

struct State {
    std::mutex mutex;
    std::condition_variable cv;
    bool configured = false;
    int devices = 1;
    uint64_t memory = kDefaultMemory;
    uint64_t pinnedLimit = 0;
    std::map<uintptr_t, size_t> device; // allocations: base -> size
    std::map<uintptr_t, size_t> pinned;
    uint64_t deviceBytes = 0;
    uint64_t pinnedBytes = 0;
    uint64_t copies = 0;
    int failCopies = 0;
    int streamsCreated = 0;
    std::vector<Stream *> streams;
    size_t nextStream = 0; // round robin of the thread over the streams
    bool held = false;
    int runOnly = -1; // while held: the stream index the thread may run
    bool threadStarted = false;
};

// Never destroyed: the copy thread may still wait on it while the process exits.
State &state() {
    static State *s = new State;
    return *s;
}

void configureFromEnv(State &s) { // under the mutex
    if (s.configured) {
        return;
    }
    s.configured = true;
    if (const char *v = std::getenv("FAKE_CUDA_DEVICES")) {
        s.devices = std::atoi(v);
    }
    if (const char *v = std::getenv("FAKE_CUDA_MEMORY")) {
        s.memory = std::strtoull(v, nullptr, 10);
    }
}

// The allocation of `map` that holds [p, p + n), or end().
std::map<uintptr_t, size_t>::const_iterator
inside(const std::map<uintptr_t, size_t> &map, const void *p, size_t n) {
    const auto addr = reinterpret_cast<uintptr_t>(p);
    auto it = map.upper_bound(addr);
    if (it == map.begin()) {
        return map.end();
    }
    --it;
    return addr + n <= it->first + it->second ? it : map.end();
}

bool touchesDevice(const State &s, const void *p) {
    return inside(s.device, p, 1) != s.device.end();
}

// The next stream with work the thread may run, or nullptr. Under the mutex.
Stream *runnable(State &s) {
    for (size_t i = 0; i < s.streams.size(); ++i) {
        Stream *st = s.streams[(s.nextStream + i) % s.streams.size()];
        if (st->items.empty() || st->busy) {
            continue;
        }
        if (s.held && st->index != s.runOnly) {
            continue;
        }
        s.nextStream = (s.nextStream + i + 1) % s.streams.size();
        return st;
    }
    return nullptr;
}

void copyThread() {
    State &s = state();
    std::unique_lock lock(s.mutex);
    for (;;) {
        Stream *st = nullptr;
        s.cv.wait(lock, [&] { return (st = runnable(s)) != nullptr; });
        Item item = st->items.front();
        st->items.pop_front();
        st->busy = true;
        if (item.copy) {
            const bool fail = s.failCopies > 0;
            if (fail) {
                --s.failCopies;
                st->failPending = true;
            }
            lock.unlock();
            if (!fail) {
                std::memcpy(item.dst, item.src, item.count);
            }
            lock.lock();
            ++s.copies;
        } else {
            item.event->status = st->failPending ? kLaunchFailure : kSuccess;
            item.event->done = true;
            st->failPending = false;
        }
        st->busy = false;
        s.cv.notify_all();
    }
}

bool knownStream(const State &s, void *stream) {
    for (const Stream *st : s.streams) {
        if (st == stream) {
            return true;
        }
    }
    return false;
}

void waitIdle(std::unique_lock<std::mutex> &lock, Stream *st) {
    state().cv.wait(lock, [&] { return st->items.empty() && !st->busy; });
}

} // namespace

// ---- the runtime API subset ----------------------------------------------------------------

FAKE_API int cudaGetDeviceCount(int *count) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    configureFromEnv(s);
    *count = s.devices > 0 ? s.devices : 0;
    return s.devices > 0 ? kSuccess : kNoDevice;
}

FAKE_API int cudaSetDevice(int device) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    configureFromEnv(s);
    if (s.devices <= 0) {
        return kNoDevice;
    }
    return device >= 0 && device < s.devices ? kSuccess : kInvalidDevice;
}

FAKE_API int cudaDeviceGetPCIBusId(char *id, int len, int device) {
    std::snprintf(id, static_cast<size_t>(len), "0000:%02x:00.0", device + 1);
    return kSuccess;
}

FAKE_API int cudaRuntimeGetVersion(int *version) {
    *version = 12080;
    return kSuccess;
}

FAKE_API int cudaMemGetInfo(size_t *free, size_t *total) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    configureFromEnv(s);
    *total = s.memory;
    *free = s.memory - s.deviceBytes;
    return kSuccess;
}

FAKE_API int cudaMalloc(void **p, size_t size) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    configureFromEnv(s);
    if (s.devices <= 0) {
        return kNoDevice;
    }
    if (size > s.memory - s.deviceBytes) {
        return kMemoryAllocation;
    }
    // mmap, not malloc: pages are committed only when a copy touches them (a tier takes its
    // whole capacity at creation), and MALLOC_PERTURB_ (set by meson test) does not fill them.
    void *mem = mmap(nullptr,
                     std::max<size_t>(size, 1),
                     PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1,
                     0);
    if (mem == MAP_FAILED) {
        return kMemoryAllocation;
    }
    s.device[reinterpret_cast<uintptr_t>(mem)] = size;
    s.deviceBytes += size;
    *p = mem;
    return kSuccess;
}

FAKE_API int cudaFree(void *p) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    if (p == nullptr) {
        return kSuccess;
    }
    const auto it = s.device.find(reinterpret_cast<uintptr_t>(p));
    if (it == s.device.end()) {
        return kInvalidValue;
    }
    s.deviceBytes -= it->second;
    munmap(p, std::max<size_t>(it->second, 1));
    s.device.erase(it);
    return kSuccess;
}

FAKE_API int cudaHostAlloc(void **p, size_t size, unsigned int /*flags*/) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    if (s.pinnedLimit != 0 && size > s.pinnedLimit - std::min(s.pinnedLimit, s.pinnedBytes)) {
        return kMemoryAllocation;
    }
    // Page-aligned, as the real runtime's pinned memory is.
    void *mem = std::aligned_alloc(4096, (size + 4095) / 4096 * 4096);
    if (mem == nullptr) {
        return kMemoryAllocation;
    }
    s.pinned[reinterpret_cast<uintptr_t>(mem)] = size;
    s.pinnedBytes += size;
    *p = mem;
    return kSuccess;
}

FAKE_API int cudaFreeHost(void *p) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    const auto it = s.pinned.find(reinterpret_cast<uintptr_t>(p));
    if (it == s.pinned.end()) {
        return kInvalidValue;
    }
    s.pinnedBytes -= it->second;
    s.pinned.erase(it);
    std::free(p);
    return kSuccess;
}

FAKE_API int cudaStreamCreateWithFlags(void **stream, unsigned int /*flags*/) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    auto *st = new Stream;
    st->index = s.streamsCreated++;
    s.streams.push_back(st);
    if (!s.threadStarted) {
        s.threadStarted = true;
        std::thread(copyThread).detach();
    }
    *stream = st;
    return kSuccess;
}

FAKE_API int cudaStreamSynchronize(void *stream) {
    State &s = state();
    std::unique_lock lock(s.mutex);
    if (!knownStream(s, stream)) {
        return kInvalidResourceHandle;
    }
    waitIdle(lock, static_cast<Stream *>(stream));
    return kSuccess;
}

FAKE_API int cudaStreamDestroy(void *stream) {
    State &s = state();
    std::unique_lock lock(s.mutex);
    if (!knownStream(s, stream)) {
        return kInvalidResourceHandle;
    }
    auto *st = static_cast<Stream *>(stream);
    waitIdle(lock, st); // the real one returns at once and finishes the work behind our back
    std::erase(s.streams, st);
    s.nextStream = 0;
    delete st;
    return kSuccess;
}

FAKE_API int cudaMemcpyAsync(void *dst, const void *src, size_t count, int kind, void *stream) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    if (!knownStream(s, stream)) {
        return kInvalidResourceHandle;
    }
    const bool h2d = kind == 1;
    const bool d2h = kind == 2;
    const void *device = h2d ? dst : src;
    const void *host = h2d ? src : dst;
    if ((!h2d && !d2h) || inside(s.device, device, count) == s.device.end() ||
        touchesDevice(s, host)) {
        return kInvalidValue;
    }
    static_cast<Stream *>(stream)->items.push_back(Item{true, dst, src, count, nullptr});
    s.cv.notify_all();
    return kSuccess;
}

FAKE_API int cudaEventCreateWithFlags(void **event, unsigned int /*flags*/) {
    *event = new Event;
    return kSuccess;
}

FAKE_API int cudaEventRecord(void *event, void *stream) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    if (!knownStream(s, stream)) {
        return kInvalidResourceHandle;
    }
    auto *e = static_cast<Event *>(event);
    e->recorded = true;
    e->done = false;
    static_cast<Stream *>(stream)->items.push_back(Item{false, nullptr, nullptr, 0, e});
    s.cv.notify_all();
    return kSuccess;
}

FAKE_API int cudaEventQuery(void *event) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    const auto *e = static_cast<Event *>(event);
    if (!e->recorded) {
        return kSuccess;
    }
    return e->done ? e->status : kNotReady;
}

FAKE_API int cudaEventDestroy(void *event) {
    State &s = state();
    std::unique_lock lock(s.mutex);
    auto *e = static_cast<Event *>(event);
    s.cv.wait(lock, [&] { return e->done; }); // still queued on a stream: let it pass first
    delete e;
    return kSuccess;
}

FAKE_API const char *cudaGetErrorString(int error) {
    switch (error) {
    case kSuccess:
        return "no error";
    case kInvalidValue:
        return "invalid argument";
    case kMemoryAllocation:
        return "out of memory";
    case kNoDevice:
        return "no CUDA-capable device is detected";
    case kInvalidDevice:
        return "invalid device ordinal";
    case kInvalidResourceHandle:
        return "invalid resource handle";
    case kNotReady:
        return "device not ready";
    case kLaunchFailure:
        return "unspecified launch failure";
    default:
        return "unknown error";
    }
}

FAKE_API int cudaGetLastError() {
    return kSuccess;
}

// ---- control -----------------------------------------------------------------------------

FAKE_API void fake_cuda_configure(int devices, uint64_t memoryBytes) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.configured = true;
    s.devices = devices;
    s.memory = memoryBytes;
}

FAKE_API void fake_cuda_hold(int on) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.held = on != 0;
    s.cv.notify_all();
}

FAKE_API void fake_cuda_run_stream(int index) {
    State &s = state();
    std::unique_lock lock(s.mutex);
    Stream *st = nullptr;
    for (Stream *candidate : s.streams) {
        st = candidate->index == index ? candidate : st;
    }
    if (st == nullptr) {
        return;
    }
    s.runOnly = index;
    s.cv.notify_all();
    waitIdle(lock, st);
    s.runOnly = -1;
}

FAKE_API void fake_cuda_fail_next_copies(int n) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.failCopies = n;
}

FAKE_API void fake_cuda_pinned_limit(uint64_t bytes) {
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.pinnedLimit = bytes;
}

FAKE_API uint64_t fake_cuda_device_bytes() {
    State &s = state();
    std::lock_guard lock(s.mutex);
    return s.deviceBytes;
}

FAKE_API uint64_t fake_cuda_pinned_bytes() {
    State &s = state();
    std::lock_guard lock(s.mutex);
    return s.pinnedBytes;
}

FAKE_API uint64_t fake_cuda_copies() {
    State &s = state();
    std::lock_guard lock(s.mutex);
    return s.copies;
}

FAKE_API int fake_cuda_streams_created() {
    State &s = state();
    std::lock_guard lock(s.mutex);
    return s.streamsCreated;
}

FAKE_API void fake_cuda_reset() {
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.configured = true;
    s.devices = 1;
    s.memory = kDefaultMemory;
    s.pinnedLimit = 0;
    s.copies = 0;
    s.failCopies = 0;
    s.streamsCreated = 0;
    s.held = false;
    s.runOnly = -1;
    for (Stream *st : s.streams) { // numbering restarts: streams still open keep theirs
        st->index = -1 - st->index;
    }
    s.cv.notify_all();
}
