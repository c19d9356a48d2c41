#include "check/child_process.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/errors.hpp"

namespace mlps::core::check {

namespace {

// One page shared between the parent and the child of the current check. The child writes the
// step; the parent reads the deadline while the child runs and the text only after it is dead
// (so the text is never read half-written).
struct SharedStep {
    std::atomic<uint64_t> deadlineNs;
    char text[1024];
};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared between processes");

SharedStep *gStep = nullptr; // the child's view; nullptr outside a check

SharedStep *sharedStep() {
    static SharedStep *page = [] {
        void *p = mmap(
            nullptr, sizeof(SharedStep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            throw SystemError(std::string("plugins check: mmap: ") + std::strerror(errno));
        }
        return new (p) SharedStep{};
    }();
    return page;
}

void writeAll(int fd, const std::string &text) {
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        done += static_cast<size_t>(n);
    }
}

} // namespace

uint64_t monotonicNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void StepBoard::set(const std::string &text, uint64_t deadlineNs) {
    if (gStep == nullptr) {
        return;
    }
    static std::mutex mutex; // checks that run queues on several threads all announce steps
    std::lock_guard lock(mutex);
    gStep->deadlineNs.store(0);
    const size_t n = std::min(text.size(), sizeof gStep->text - 1);
    std::memcpy(gStep->text, text.data(), n);
    gStep->text[n] = '\0';
    gStep->deadlineNs.store(deadlineNs);
}

ChildResult runInChild(const std::function<std::string()> &body, uint64_t deadlineNs) {
    SharedStep *step = sharedStep();
    step->deadlineNs.store(0);
    step->text[0] = '\0';
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        throw SystemError(std::string("plugins check: pipe: ") + std::strerror(errno));
    }
    const uint64_t start = monotonicNs();
    const pid_t pid = fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw SystemError(std::string("plugins check: fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        ::close(fds[0]);
        gStep = step;
        std::string out;
        try {
            out = body();
        } catch (...) {
            out.clear(); // the body reports its own failures; this is a bug in the checker
        }
        writeAll(fds[1], out);
        _exit(0);
    }
    ::close(fds[1]);
    ChildResult result;
    const uint64_t checkDeadline = start + deadlineNs;
    bool open = true;
    bool reaped = false;
    int status = 0;
    char buf[4096];
    while (open) {
        const uint64_t now = monotonicNs();
        const uint64_t stepDeadline = step->deadlineNs.load();
        const uint64_t until =
            stepDeadline != 0 && stepDeadline < checkDeadline ? stepDeadline : checkDeadline;
        if (now >= until) {
            result.kind = ChildResult::Kind::TimedOut;
            result.stepDeadline = until != checkDeadline;
            kill(pid, SIGKILL);
            break;
        }
        // Wake up at least every 50 ms: a step deadline may be set while we wait.
        const uint64_t waitMs = std::min<uint64_t>((until - now) / 1'000'000 + 1, 50);
        pollfd p{fds[0], POLLIN, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(waitMs));
        if (rc < 0 && errno != EINTR) {
            kill(pid, SIGKILL);
            break;
        }
        // The child may have exited while something it started (a helper process of the
        // plugin) still holds the pipe open: its exit, not the pipe's end, ends the check.
        if (rc == 0 && waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
            break;
        }
        if (rc > 0) {
            const ssize_t n = ::read(fds[0], buf, sizeof buf);
            if (n > 0) {
                result.output.append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                open = false; // the child closed its end: it is exiting (or died)
            }
        }
    }
    if (reaped) {
        // It wrote everything before exiting: take what is still in the pipe.
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        ssize_t n = 0;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
            result.output.append(buf, static_cast<size_t>(n));
        }
    }
    ::close(fds[0]);
    while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.elapsedNs = monotonicNs() - start;
    result.step = step->text;
    if (result.kind != ChildResult::Kind::TimedOut) {
        if (WIFSIGNALED(status)) {
            result.kind = ChildResult::Kind::Signaled;
            result.code = WTERMSIG(status);
        } else {
            result.code = WEXITSTATUS(status);
        }
    }
    return result;
}

} // namespace mlps::core::check
