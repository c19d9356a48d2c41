#include "check/check_context.hpp"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "check/check_host.hpp"
#include "check/child_process.hpp"
#include "util/sys_info.hpp"

namespace mlps::core::check {

namespace {

constexpr uint64_t kForever = UINT64_MAX;

// The one host of this child process (each check runs in its own).
CheckHost &host() {
    static CheckHost instance;
    return instance;
}

std::string tagText(const mlps_io &io) {
    return describeOp(io) + " (user_data " + std::to_string(io.user_data) + ")";
}

} // namespace

std::string statusName(mlps_status status) {
    const char *name = nullptr;
    switch (status) {
    case MLPS_OK:
        name = "MLPS_OK";
        break;
    case MLPS_IN_PROGRESS:
        name = "MLPS_IN_PROGRESS";
        break;
    case MLPS_BUSY:
        name = "MLPS_BUSY";
        break;
    case MLPS_E_GENERIC:
        name = "MLPS_E_GENERIC";
        break;
    case MLPS_E_INVALID:
        name = "MLPS_E_INVALID";
        break;
    case MLPS_E_NOT_SUPPORTED:
        name = "MLPS_E_NOT_SUPPORTED";
        break;
    case MLPS_E_NOT_FOUND:
        name = "MLPS_E_NOT_FOUND";
        break;
    case MLPS_E_NO_SPACE:
        name = "MLPS_E_NO_SPACE";
        break;
    case MLPS_E_IO:
        name = "MLPS_E_IO";
        break;
    case MLPS_E_RANGE:
        name = "MLPS_E_RANGE";
        break;
    case MLPS_E_NO_MEMORY:
        name = "MLPS_E_NO_MEMORY";
        break;
    case MLPS_E_STOPPED:
        name = "MLPS_E_STOPPED";
        break;
    case MLPS_E_TIMEOUT:
        name = "MLPS_E_TIMEOUT";
        break;
    default:
        return "status " + std::to_string(status);
    }
    return std::string(name) + " (" + std::to_string(status) + ")";
}

std::string describeOp(const mlps_io &io) {
    static const char *kNames[] = {"?", "WRITE", "READ", "DELETE", "SYNC"};
    const char *name = io.opcode <= 4 ? kNames[io.opcode] : "opcode";
    std::string text = name;
    if (io.opcode > 4) {
        text += " " + std::to_string(io.opcode);
    }
    if (io.key != nullptr) {
        std::string key;
        for (uint32_t i = 0; i < io.key_len && i < 40; ++i) {
            const unsigned char c = static_cast<unsigned char>(io.key[i]);
            if (c >= 0x20 && c < 0x7f) {
                key += static_cast<char>(c);
            } else {
                char hex[8];
                std::snprintf(hex, sizeof hex, "\\x%02x", c);
                key += hex;
            }
        }
        text += " '" + key + "'";
    }
    if (io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ) {
        text += " [" + std::to_string(io.offset) + ", +" + std::to_string(io.length) + ")";
    }
    return text;
}

ResolvedOptions
resolveTierOptions(const CheckSetup &setup, const std::string &scratchDir, uint64_t capacity) {
    YAML::Node options = YAML::Clone(setup.options);
    if (!options.IsMap()) {
        options = YAML::Node(YAML::NodeType::Map);
    }
    for (const std::string &name : setup.scratchOptions) {
        options[name] = scratchDir;
    }
    PluginUse use;
    use.plugin = setup.plugin->path;
    use.options = options;
    use.keyPath = "--set";
    use.sourceName = "--set";
    use.pluginAt.file = "--set";
    use.optionsAt.file = "--set";
    ExpandContext expand;
    expand.host = hostName();
    expand.runId = "plugins-check";
    expand.tmpdir = tempDir();
    ResolvedOptions resolved = resolveOptions(*setup.plugin->descriptor, use, expand);
    resolved.addSize("capacity", capacity);
    resolved.addBool("keep", false);
    resolved.addString("tier_name", "check");
    return resolved;
}

// ---- Buffer ---------------------------------------------------------------------------------

Buffer::Buffer(uint64_t size, uint32_t alignment) : size_(size) {
    const uint64_t align = alignment < 64 ? 64 : alignment;
    const uint64_t rounded = (size + align - 1) / align * align;
    data_ = static_cast<unsigned char *>(std::aligned_alloc(align, rounded == 0 ? align : rounded));
    if (data_ == nullptr) {
        throw CheckFailure{"host memory for a " + std::to_string(size) + "-byte buffer",
                           "aligned_alloc failed (the checker's machine is out of memory)"};
    }
}

Buffer::Buffer(Buffer &&other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

Buffer &Buffer::operator=(Buffer &&other) noexcept {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    return *this;
}

Buffer::~Buffer() {
    std::free(data_);
}

// ---- TierQueue ------------------------------------------------------------------------------

TierQueue::TierQueue(
    CheckContext &ctx, const mlps_tier_ops &ops, void *tier, void *queue, uint32_t depth)
    : ctx_(ctx), ops_(ops), tier_(tier), queue_(queue), depth_(depth) {}

TierQueue::~TierQueue() {
    try {
        close();
    } catch (...) { // a failure while unwinding from another one: the first one is reported
    }
}

void TierQueue::close() {
    if (queue_ == nullptr) {
        return;
    }
    ctx_.step("close_queue with " + std::to_string(outstanding()) + " op(s) outstanding");
    void *queue = std::exchange(queue_, nullptr);
    ops_.close_queue(tier_, queue);
    tags_.clear();
}

mlps_status TierQueue::submit(const mlps_io *ios, uint32_t n, uint32_t *accepted) {
    std::vector<mlps_io> tagged(ios, ios + n);
    for (auto &io : tagged) {
        io.user_data = nextTag_++;
    }
    uint32_t took = UINT32_MAX;
    ctx_.step("submit of " + std::to_string(n) + " op(s), first " + describeOp(ios[0]) + ", " +
              std::to_string(outstanding()) + " outstanding on a queue of depth " +
              std::to_string(depth_));
    const mlps_status st = ops_.submit(queue_, tagged.data(), n, &took);
    const std::string what =
        "submit of " + std::to_string(n) + " op(s) (first: " + describeOp(ios[0]) + ") with " +
        std::to_string(outstanding()) + " of depth " + std::to_string(depth_) + " outstanding";
    if (st != MLPS_OK && st != MLPS_BUSY) {
        ctx_.fail("submit returns MLPS_OK or MLPS_BUSY; an I/O error (NO_SPACE, NOT_FOUND, ...) is "
                  "a completion",
                  what + " returned " + statusName(st));
    }
    if (st == MLPS_BUSY && took != 0) {
        ctx_.fail("MLPS_BUSY with *accepted = 0",
                  what + " returned MLPS_BUSY with *accepted = " + std::to_string(took));
    }
    if (st == MLPS_OK && (took > n || (took == 0 && n > 0))) {
        ctx_.fail("MLPS_OK with 1 to " + std::to_string(n) + " accepted (none fits: MLPS_BUSY)",
                  what + " returned MLPS_OK with *accepted = " + std::to_string(took));
    }
    if (st == MLPS_BUSY) {
        took = 0;
    }
    for (uint32_t i = 0; i < took; ++i) {
        mlps_io original = ios[i];
        tags_.emplace(tagged[i].user_data, original);
    }
    submitted_ += took;
    if (outstanding() > depth_) {
        ctx_.fail("at most " + std::to_string(depth_) +
                      " op(s) outstanding (in flight or completed, not yet polled) on a queue "
                      "opened with depth " +
                      std::to_string(depth_),
                  what + " accepted " + std::to_string(took) + ": now " +
                      std::to_string(outstanding()) + " outstanding");
    }
    *accepted = took;
    return st;
}

std::vector<mlps_completion>
TierQueue::poll(uint32_t minDone, uint32_t maxDone, uint64_t timeoutNs, bool prompt) {
    std::vector<mlps_completion> out(maxDone + 1u);
    // Poison the slot past max_done: a tier that writes it returned more than asked.
    std::memset(&out[maxDone], 0xa5, sizeof out[maxDone]);
    const std::string what =
        "poll(min_done " + std::to_string(minDone) + ", max_done " + std::to_string(maxDone) +
        ", timeout " +
        (timeoutNs == kForever ? std::string("forever") : std::to_string(timeoutNs) + " ns") +
        ") with " + std::to_string(outstanding()) + " op(s) outstanding";
    if (prompt) {
        ctx_.promptStep(what + ": it must return at once");
    } else {
        ctx_.step(what);
    }
    uint32_t n = UINT32_MAX;
    const mlps_status st = ops_.poll(queue_, out.data(), minDone, maxDone, timeoutNs, &n);
    if (st != MLPS_OK) {
        ctx_.fail("poll returns MLPS_OK (errors are completions)",
                  what + " returned " + statusName(st));
    }
    if (n > maxDone) {
        ctx_.fail("at most max_done = " + std::to_string(maxDone) + " completions",
                  what + " set *n_done = " + std::to_string(n));
    }
    mlps_completion guard;
    std::memset(&guard, 0xa5, sizeof guard);
    if (std::memcmp(&out[maxDone], &guard, sizeof guard) != 0) {
        ctx_.fail("poll writes at most max_done completions into out[]",
                  what + " wrote past out[max_done - 1]");
    }
    if (timeoutNs == kForever && n < minDone && minDone <= outstanding()) {
        ctx_.fail("poll with timeout forever waits until min_done completions are there",
                  what + " returned " + std::to_string(n) + " completion(s)");
    }
    out.resize(n);
    for (auto &c : out) {
        auto it = tags_.find(c.user_data);
        if (it == tags_.end()) {
            ctx_.fail("every completion answers one op submitted on this queue, once",
                      what + " returned a completion (user_data " + std::to_string(c.user_data) +
                          ", " + statusName(c.status) +
                          ") for no outstanding op: " + std::to_string(submitted_) +
                          " op(s) submitted, " + std::to_string(completed_ + 1) +
                          " completions so far (more completions than ops)");
        }
        const mlps_io &io = it->second;
        if (c.status == MLPS_OK && (io.opcode == MLPS_IO_WRITE || io.opcode == MLPS_IO_READ) &&
            c.bytes != io.length) {
            ctx_.fail("a successful " + describeOp(io) +
                          " reports bytes = " + std::to_string(io.length),
                      "its completion says bytes = " + std::to_string(c.bytes));
        }
        if (c.status > 0) {
            ctx_.fail("a completion's status is MLPS_OK or a negative MLPS_E_*",
                      tagText(io) + " completed with " + statusName(c.status));
        }
        c.user_data = io.user_data;
        tags_.erase(it);
        ++completed_;
    }
    return out;
}

mlps_completion TierQueue::run(const mlps_io &io) {
    return runAll({io}).front();
}

std::vector<mlps_completion> TierQueue::runAll(const std::vector<mlps_io> &ios) {
    // Ops are tagged with their index here (TierQueue::submit tags them again on the way down
    // and gives the index back), so completions land in submission order whatever order the
    // tier completes them in. The queue must have nothing outstanding from elsewhere.
    std::vector<mlps_completion> done(ios.size());
    std::vector<mlps_io> indexed(ios);
    for (size_t i = 0; i < indexed.size(); ++i) {
        indexed[i].user_data = i;
    }
    size_t next = 0;
    size_t finished = 0;
    while (finished < ios.size()) {
        if (next < ios.size() && outstanding() < depth_) {
            const uint32_t room = depth_ - outstanding();
            const auto n = static_cast<uint32_t>(std::min<size_t>(room, ios.size() - next));
            uint32_t accepted = 0;
            if (submit(&indexed[next], n, &accepted) == MLPS_BUSY && outstanding() == 0) {
                ctx_.fail("submit accepts an op when nothing is outstanding on the queue",
                          describeOp(indexed[next]) + ": MLPS_BUSY on an idle queue of depth " +
                              std::to_string(depth_));
            }
            next += accepted;
            if (accepted == n && next < ios.size() && outstanding() < depth_) {
                continue; // room for more before waiting
            }
        }
        for (auto &c : poll(1, depth_, kForever)) {
            const size_t i = c.user_data;
            c.user_data = ios[i].user_data;
            done[i] = c;
            ++finished;
        }
    }
    return done;
}

// ---- TierInstance ---------------------------------------------------------------------------

TierInstance::TierInstance(CheckContext &ctx, void *self, std::unique_ptr<ResolvedOptions> options)
    : ctx_(ctx), self_(self), options_(std::move(options)) {}

TierInstance::~TierInstance() {
    try {
        destroy();
    } catch (...) { // see ~TierQueue
    }
}

const mlps_tier_ops &TierInstance::ops() const {
    return ctx_.ops();
}

void TierInstance::destroy() {
    if (self_ != nullptr) {
        ctx_.step("destroy");
        ctx_.descriptor().destroy(std::exchange(self_, nullptr));
    }
}

mlps_tier_info TierInstance::info() {
    // The struct sits in a larger poisoned block: a tier that writes past the struct_size it
    // was given (an older host's struct) corrupts the host's memory.
    struct Guarded {
        mlps_tier_info info;
        unsigned char after[256];
    } block;
    std::memset(&block, 0xa5, sizeof block);
    block.info.struct_size = sizeof block.info;
    ctx_.step("info");
    const mlps_status st = ops().info(self_, &block.info);
    ctx_.expect(st == MLPS_OK, "info returns MLPS_OK", "info returned " + statusName(st));
    for (unsigned char c : block.after) {
        ctx_.expect(c == 0xa5,
                    "info writes at most out->struct_size bytes",
                    "info wrote past the " + std::to_string(sizeof block.info) +
                        " bytes it was given");
    }
    mlps_tier_info info = block.info;
    // Fields a shorter (older) struct does not carry read as that version's defaults.
    if (!MLPS_HAS_FIELD(&info, mlps_tier_info, buffer_memory)) {
        info.buffer_memory = 0;
    }
    if (!MLPS_HAS_FIELD(&info, mlps_tier_info, io_memory)) {
        info.io_memory = 0;
    }
    return info;
}

uint32_t TierInstance::unit() {
    const mlps_tier_info i = info();
    return (i.caps & MLPS_TIER_CAP_ALIGNED_BUFFERS) != 0 && i.alignment > 1 ? i.alignment : 1;
}

bool TierInstance::takesHostMemory() {
    const mlps_tier_info i = info();
    return i.io_memory == 0 || (i.io_memory & MLPS_MEMORY_HOST_KINDS) != 0;
}

std::unique_ptr<TierQueue> TierInstance::openQueue(uint32_t depth) {
    void *queue = nullptr;
    mlps_error err{};
    ctx_.step("open_queue(depth " + std::to_string(depth) + ")");
    const mlps_status st = ops().open_queue(self_, depth, &queue, &err);
    if (st != MLPS_OK || queue == nullptr) {
        ctx_.fail("open_queue(depth " + std::to_string(depth) + ") succeeds",
                  "it returned " + statusName(st) + (queue == nullptr ? " and no queue" : "") +
                      (err.message[0] != '\0' ? std::string(": ") + err.message : ""));
    }
    return std::make_unique<TierQueue>(ctx_, ops(), self_, queue, depth);
}

Buffer TierInstance::buffer(uint64_t size) {
    return Buffer(size, info().alignment);
}

// ---- CheckContext ---------------------------------------------------------------------------

CheckContext::CheckContext(const CheckSetup &setup, std::string scratchDir)
    : setup_(setup), scratch_(std::move(scratchDir)) {}

const mlps_host_api *CheckContext::host() const {
    return check::host().api();
}

std::vector<std::string> CheckContext::logs() const {
    return check::host().logs();
}

mlps_status CheckContext::tryCreate(uint64_t capacity,
                                    std::unique_ptr<ResolvedOptions> &options,
                                    void **self,
                                    mlps_error *err) {
    options = std::make_unique<ResolvedOptions>(
        resolveTierOptions(setup_, scratch_, capacity != 0 ? capacity : setup_.capacity));
    step("create");
    *self = nullptr;
    return descriptor().create(host(), options->config(), self, err);
}

std::unique_ptr<TierInstance> CheckContext::create(uint64_t capacity) {
    std::unique_ptr<ResolvedOptions> options;
    void *self = nullptr;
    mlps_error err{};
    const mlps_status st = tryCreate(capacity, options, &self, &err);
    if (st != MLPS_OK || self == nullptr) {
        fail("create succeeds with options " + options->json().dump(),
             "it returned " + statusName(st) +
                 (err.message[0] != '\0' ? std::string(": ") + err.message : "") +
                 (st == MLPS_OK ? " and no instance" : ""));
    }
    return std::make_unique<TierInstance>(*this, self, std::move(options));
}

void CheckContext::step(const std::string &what) {
    StepBoard::set(what, 0);
}

void CheckContext::promptStep(const std::string &what) {
    StepBoard::set(what, monotonicNs() + setup_.promptNs);
}

void CheckContext::note(const std::string &text) {
    notes_.push_back(text);
}

void CheckContext::skip(const std::string &why) {
    throw CheckSkipped{why};
}

void CheckContext::fail(const std::string &expected, const std::string &happened) {
    throw CheckFailure{expected, happened};
}

} // namespace mlps::core::check
