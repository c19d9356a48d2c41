// loadPluginFile() against the fixtures: one test per rule the loader enforces, asserting the
// message a user sees, and the good C fixture driven through its ops.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "plugin/plugin_loader.hpp"
#include "runtime/plugin_validate.hpp"
#include "util/errors.hpp"

using namespace mlps::core;
using loader_test::fixture;
using loader_test::fixtureDir;

namespace {

// The message of the PluginError that loading `path` throws ("" when it loads).
std::string loadError(const std::string &path) {
    try {
        loadPluginFile(path);
    } catch (const PluginError &e) {
        CHECK(e.exitCode() == kExitPlugin);
        return e.what();
    }
    return {};
}

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("the good C fixture loads and is described by its manifest") {
    const PluginFile file = loadPluginFile(fixture("good"));
    CHECK(file.path == fixture("good"));
    CHECK(file.handle != nullptr);
    REQUIRE(file.plugins.size() == 1);
    const LoadedPlugin &p = file.plugins[0];
    CHECK(p.path == fixture("good"));
    CHECK(p.name() == "good");
    CHECK(p.isTier());
    CHECK(p.abiMajor == MLPS_ABI_MAJOR);
    CHECK(p.abiMinor == MLPS_ABI_MINOR);
    CHECK(p.tierOps() != nullptr);
    CHECK(p.benchmarkOps() == nullptr);
    CHECK(std::string(p.option(0).name) == "max_objects");
    CHECK(p.descriptor->caps == MLPS_TIER_CAP_BYTE_RANGE);
}

TEST_CASE("a relative path is made absolute and loading the same file twice is harmless") {
    const PluginFile a = loadPluginFile(fixture("good"));
    const PluginFile b = loadPluginFile(fixtureDir("good") + "/../good/./good.so");
    CHECK(b.path == fixture("good"));
    CHECK(a.handle == b.handle); // dlopen refcounts the same object
    CHECK(a.plugins[0].descriptor == b.plugins[0].descriptor);
}

TEST_CASE("the good C fixture works through create/info/open_queue/submit/poll") {
    const PluginFile file = loadPluginFile(fixture("good"));
    const LoadedPlugin &p = file.plugins[0];
    const mlps_tier_ops *ops = p.tierOps();

    mlps_option_value values[2] = {};
    values[0].name = "capacity";
    values[0].type = MLPS_OPT_SIZE;
    values[0].is_set = 1;
    values[0].v.u = 64;
    values[1].name = "max_objects";
    values[1].type = MLPS_OPT_INT;
    values[1].is_set = 1;
    values[1].v.i = 4;
    const mlps_config config{sizeof(mlps_config), 2, values, "{}"};
    mlps_host_api host{};
    host.struct_size = sizeof host;

    void *self = nullptr;
    mlps_error err{};
    REQUIRE(p.descriptor->create(&host, &config, &self, &err) == MLPS_OK);
    REQUIRE(self != nullptr);

    mlps_tier_info info{};
    info.struct_size = sizeof info;
    REQUIRE(ops->info(self, &info) == MLPS_OK);
    CHECK(info.capacity_bytes == 64);
    CHECK(info.used_bytes == 0);
    CHECK(std::string(info.location) == "host memory");

    void *queue = nullptr;
    REQUIRE(ops->open_queue(self, 2, &queue, &err) == MLPS_OK);

    char data[32] = "twenty bytes of data";
    char back[32] = {};
    const char *key = "k1";
    mlps_io ios[3] = {};
    ios[0] = {MLPS_IO_WRITE, 0, key, 2, 0, data, 0, 20, 20, 1};
    ios[1] = {MLPS_IO_READ, 0, key, 2, 0, back, 4, 8, 0, 2};
    ios[2] = {MLPS_IO_READ, 0, "nope", 4, 0, back, 0, 1, 0, 3};

    // Depth 2: the third op does not fit until the queue is polled.
    uint32_t accepted = 0;
    REQUIRE(ops->submit(queue, ios, 3, &accepted) == MLPS_OK);
    CHECK(accepted == 2);
    CHECK(ops->submit(queue, ios + 2, 1, &accepted) == MLPS_BUSY);
    CHECK(accepted == 0);

    mlps_completion done[4] = {};
    uint32_t nDone = 0;
    REQUIRE(ops->poll(queue, done, 1, 4, 0, &nDone) == MLPS_OK);
    REQUIRE(nDone == 2);
    CHECK(done[0].user_data == 1);
    CHECK(done[0].status == MLPS_OK);
    CHECK(done[0].bytes == 20);
    CHECK(done[1].user_data == 2);
    CHECK(done[1].status == MLPS_OK);
    CHECK(std::string(back, 8) == std::string(data + 4, 8));

    // An I/O error is a completion, not a failed submit.
    REQUIRE(ops->submit(queue, ios + 2, 1, &accepted) == MLPS_OK);
    CHECK(accepted == 1);
    REQUIRE(ops->poll(queue, done, 1, 4, 0, &nDone) == MLPS_OK);
    REQUIRE(nDone == 1);
    CHECK(done[0].user_data == 3);
    CHECK(done[0].status == MLPS_E_NOT_FOUND);

    // Capacity is enforced: 20 of 64 bytes are used, 50 more do not fit.
    char big[50] = {};
    mlps_io tooBig = {MLPS_IO_WRITE, 0, "k2", 2, 0, big, 0, sizeof big, 0, 4};
    REQUIRE(ops->submit(queue, &tooBig, 1, &accepted) == MLPS_OK);
    REQUIRE(ops->poll(queue, done, 1, 4, 0, &nDone) == MLPS_OK);
    REQUIRE(nDone == 1);
    CHECK(done[0].status == MLPS_E_NO_SPACE);

    REQUIRE(ops->info(self, &info) == MLPS_OK);
    CHECK(info.used_bytes == 20);
    CHECK(info.objects == 1);

    ops->close_queue(self, queue);
    p.descriptor->destroy(self);
}

TEST_CASE("a failing create hands its code, errno and message back through the descriptor") {
    const PluginFile file = loadPluginFile(fixture("failing_create"));
    REQUIRE(file.plugins.size() == 1);
    const LoadedPlugin &p = file.plugins[0];
    CHECK(p.name() == "failing-create");

    mlps_host_api host{};
    host.struct_size = sizeof host;
    const mlps_config config{sizeof(mlps_config), 0, nullptr, "{}"};
    void *self = nullptr;
    mlps_error err{};
    CHECK(p.descriptor->create(&host, &config, &self, &err) == MLPS_E_IO);
    CHECK(err.code == MLPS_E_IO);
    CHECK(err.sys_errno == ENODEV);
    CHECK(std::string(err.message) == "cannot reach the device: this fixture always fails");
}

TEST_CASE("a newer minor with larger structs loads, options read with the plugin's stride") {
    const PluginFile file = loadPluginFile(fixture("newer_minor"));
    REQUIRE(file.plugins.size() == 1);
    const LoadedPlugin &p = file.plugins[0];
    CHECK(p.name() == "newer-minor");
    CHECK(p.abiMajor == 1);
    CHECK(p.abiMinor == 99);
    CHECK(p.descriptor->struct_size > sizeof(mlps_plugin_descriptor));
    REQUIRE(p.descriptor->n_options == 2);
    CHECK(std::string(p.option(0).name) == "first");
    CHECK(std::string(p.option(1).name) == "second");
    CHECK(std::string(p.option(1).help) == "The second option.");
    REQUIRE(p.tierOps() != nullptr);
    CHECK(p.tierOps()->struct_size > sizeof(mlps_tier_ops));
}

TEST_CASE("a plugin built against ABI 1.0 loads, and nothing of 1.1 is read from it") {
    const PluginFile file = loadPluginFile(fixture("older_minor"));
    REQUIRE(file.plugins.size() == 1);
    const LoadedPlugin &p = file.plugins[0];
    CHECK(p.name() == "older-minor");
    CHECK(p.abiMinor == 0);
    // No validate field: the core must not call past the plugin's struct.
    CHECK_FALSE(MLPS_HAS_FIELD(p.descriptor, mlps_plugin_descriptor, validate));
    ResolvedOptions options;
    PluginUse use;
    use.keyPath = "tiers[0]";
    CHECK_NOTHROW(runPluginValidate(p, nullptr, options, use, "tier t (older-minor)"));
    // Its info fills the 1.0 fields only and says so: a 1.1 reader sees no memory kinds.
    mlps_tier_info info{};
    info.struct_size = sizeof info;
    info.buffer_memory = 77; // must stay as the caller left it
    REQUIRE(p.tierOps()->info(nullptr, &info) == MLPS_OK);
    CHECK_FALSE(MLPS_HAS_FIELD(&info, mlps_tier_info, buffer_memory));
    CHECK(info.buffer_memory == 77);
}

TEST_CASE("an ABI major mismatch is refused, naming the file and both versions") {
    const std::string path = fixture("abi_major_mismatch");
    CHECK(loadError(path) == path + ": plugin ABI 2.0 is not supported by this mlpsrun (ABI 1.1): "
                                    "rebuild it against mlps-plugin-1");
}

TEST_CASE("a shared object without the entry symbol is not a plugin") {
    const std::string path = fixture("no_entry");
    CHECK(loadError(path) == path + ": no mlps_plugin_entry symbol: not an mlps plugin (build it "
                                    "with MLPS_PLUGIN_MANIFEST or export mlps_plugin_entry)");
}

TEST_CASE("a bad plugin name is quoted with the rule") {
    const std::string path = fixture("bad_name");
    const std::string message = loadError(path);
    CHECK(message.rfind(path + ": ", 0) == 0);
    CHECK(contains(message, "'Bad Name!'"));
    CHECK(contains(message, "[a-z0-9][a-z0-9_-]*"));
    CHECK(contains(message, "at most 63 characters"));
}

TEST_CASE("a tier without a required operation is refused, naming it") {
    const std::string path = fixture("missing_required_op");
    CHECK(loadError(path) == path + ": tier 'no-submit' has no submit operation (required)");
}

TEST_CASE("a tier whose caps promise an operation it lacks is refused, naming both") {
    const std::string path = fixture("caps_without_op");
    CHECK(loadError(path) == path +
                                 ": tier 'caps-no-alloc' declares MLPS_TIER_CAP_BUFFER_ALLOC but "
                                 "its ops table has no buffer_alloc and buffer_free");
}

TEST_CASE("a benchmark without report is refused") {
    const std::string path = fixture("bench_no_report");
    CHECK(loadError(path) == path + ": benchmark 'no-report' has no report operation (required)");
}

TEST_CASE("two descriptors of the same kind and name in one file are refused") {
    const std::string path = fixture("same_name_twice");
    CHECK(loadError(path) == path + ": declares tier 'twice' twice");
}

TEST_CASE("a broken option schema is a plugin error") {
    const std::string path = fixture("bad_schema");
    const std::string message = loadError(path);
    const std::string prefix = path + ": tier 'bad-schema': bad option schema: ";
    CHECK(message.rfind(prefix, 0) == 0);
    CHECK(message.size() > prefix.size());
    CHECK(contains(message.substr(prefix.size()), "mode"));
}

TEST_CASE("files that are not shared objects get a clear message before dlopen") {
    const std::string notElf = fixtureDir("not_elf") + "/not_elf.so";
    CHECK(loadError(notElf) == notElf + ": not a shared object (no ELF header)");

    const std::string missing = fixtureDir("good") + "/missing.so";
    CHECK(loadError(missing) == missing + ": no such file");

    const std::string dir = fixtureDir("good");
    CHECK(loadError(dir) == dir + ": not a regular file");
}

TEST_CASE("a file dlopen refuses: dlerror's reason, without the path twice") {
    const std::string path = fixture("truncated");
    const std::string message = loadError(path);
    CHECK(message.rfind(path + ": cannot load: ", 0) == 0);
    CHECK(message.size() > (path + ": cannot load: ").size());
    CHECK(message.find(path, 1) == std::string::npos);
}

TEST_CASE("kindName") {
    CHECK(std::string(kindName(MLPS_KIND_TIER)) == "tier");
    CHECK(std::string(kindName(MLPS_KIND_BENCHMARK)) == "benchmark");
    CHECK(std::string(kindName(99)) == "unknown");
}
