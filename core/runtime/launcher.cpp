#include "runtime/launcher.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "build_config.hpp"
#include "runtime/signals.hpp"
#include "util/errors.hpp"
#include "util/log.hpp"
#include "util/sys_info.hpp"

extern char **environ;

namespace fs = std::filesystem;

namespace mlps::core {

namespace {

// Seconds Open MPI waits when it tears a job down (a rank died, or mpiexec got SIGINT): that
// long before SIGTERM, and that long again before SIGKILL. The default of 1 s leaves rank 0
// little time to merge and write what it has; longer makes every teardown slower.
constexpr const char *kSigkillTimeoutSeconds = "2";

std::vector<std::string> splitWords(const std::string &text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string word; in >> word;) {
        words.push_back(word);
    }
    return words;
}

std::string stripSlots(const std::string &host) {
    const auto colon = host.find(':');
    return colon == std::string::npos ? host : host.substr(0, colon);
}

bool isLocalHost(const std::string &host) {
    const std::string me = hostName();
    const std::string shortMe = me.substr(0, me.find('.'));
    return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == me ||
           host == shortMe;
}

// Runs argv, returns (exit status, stdout+stderr); -1 when it could not start.
std::pair<int, std::string> capture(const std::vector<std::string> &argv) {
    std::string command = shellCommand(argv) + " 2>&1";
    FILE *pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return {-1, std::strerror(errno)};
    }
    std::string output;
    std::array<char, 4096> buffer{};
    while (size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
        output.append(buffer.data(), n);
    }
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// Open MPI starts remote daemons with its plm_rsh_agent (default "ssh : rsh"); the preflight
// goes the same way so that it fails where mpiexec would.
std::vector<std::string> remoteShell(const LaunchOptions &options) {
    std::string agent;
    for (const auto &param : options.mpiParams) {
        if (param.rfind("plm_rsh_agent=", 0) == 0) {
            agent = param.substr(std::strlen("plm_rsh_agent="));
        }
    }
    if (agent.empty()) {
        if (const char *env = std::getenv("OMPI_MCA_plm_rsh_agent")) {
            agent = env;
        }
    }
    if (agent.empty() || agent.rfind("ssh", 0) == 0) {
        std::vector<std::string> words = agent.empty()
                                             ? std::vector<std::string>{"ssh"}
                                             : splitWords(agent.substr(0, agent.find(':')));
        for (const char *option : {"-o", "BatchMode=yes", "-o", "ConnectTimeout=5"}) {
            words.push_back(option);
        }
        return words;
    }
    return splitWords(agent.substr(0, agent.find(':')));
}

} // namespace

void checkHostName(const std::string &host) {
    // user@host or host: letters, digits, '.', '-', '_'; never a leading '-' (an ssh option).
    const size_t at = host.find('@');
    const std::string name = at == std::string::npos ? host : host.substr(at + 1);
    const auto plain = [](const std::string &text) {
        return !text.empty() && text[0] != '-' && text[0] != '.' &&
               text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789.-_") == std::string::npos;
    };
    if (!plain(name) || (at != std::string::npos && !plain(host.substr(0, at)))) {
        throw ConfigError("host '" + host +
                          "' is not a host name (letters, digits, '.', '-', '_', optionally "
                          "user@ before it; not starting with '-')");
    }
}

std::string shellCommand(const std::vector<std::string> &argv) {
    std::string out;
    for (const auto &arg : argv) {
        const bool plain = !arg.empty() && arg.find_first_not_of(
                                               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                                               "TUVWXYZ0123456789_-./:=,@+%") == std::string::npos;
        std::string word = arg;
        if (!plain) {
            word = "'";
            for (char c : arg) {
                word += c == '\'' ? std::string("'\\''") : std::string(1, c);
            }
            word += "'";
        }
        out += (out.empty() ? "" : " ") + word;
    }
    return out;
}

std::string selfExecutable() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("mlpsrun") : self.string();
}

std::string findMpiexec(const std::string &mpiBin) {
    if (!MLPS_HAVE_MPI) {
        throw SystemError("this mlpsrun was built without MPI, so it cannot run on many ranks: "
                          "install Open MPI (Debian: apt install libopenmpi-dev openmpi-bin) and "
                          "rebuild (meson setup -Dmpi=enabled)");
    }
    const std::string wanted = mpiBin.empty() ? "mpiexec" : mpiBin;
    if (wanted.find('/') != std::string::npos) {
        if (access(wanted.c_str(), X_OK) != 0) {
            throw SystemError("--mpi-bin " + wanted + ": not an executable file");
        }
        return wanted;
    }
    const char *path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string candidate = (fs::path(dir.empty() ? "." : dir) / wanted).string();
        if (access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    throw SystemError(wanted + " not found on PATH: MPI is not installed here (Debian: apt "
                               "install openmpi-bin), or pass --mpi-bin /path/to/mpiexec");
}

bool isOpenMpi(const std::string &mpiexec) {
    const auto [status, output] = capture({mpiexec, "--version"});
    return output.find("Open MPI") != std::string::npos ||
           output.find("OpenRTE") != std::string::npos;
}

std::vector<std::string> launchHosts(const LaunchOptions &options) {
    std::vector<std::string> hosts;
    auto add = [&](const std::string &host) {
        if (!host.empty() && std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
            hosts.push_back(host);
        }
    };
    for (const auto &host : options.hosts) {
        add(stripSlots(host));
    }
    if (!options.hostfile.empty()) {
        std::ifstream in(options.hostfile);
        if (!in) {
            throw ConfigError("--hostfile " + options.hostfile + ": cannot read it");
        }
        for (std::string line; std::getline(in, line);) {
            const auto words = splitWords(line.substr(0, line.find('#')));
            if (!words.empty()) {
                add(stripSlots(words.front()));
            }
        }
    }
    return hosts;
}

std::vector<std::string> buildLaunchCommand(const LaunchOptions &options,
                                            const std::string &mpiexec,
                                            bool openMpi,
                                            const std::vector<std::string> &rankCommand) {
    std::vector<std::string> argv{mpiexec};
    if (options.ranks != 0) {
        argv.insert(argv.end(), {"-n", std::to_string(options.ranks)});
    }
    std::string hostList;
    for (const auto &host : options.hosts) {
        hostList += (hostList.empty() ? "" : ",") + host;
    }
    // Environment the ranks need: where the plugins are, the libraries, anything MLPS_*.
    std::vector<std::string> forward;
    for (char **env = environ; env != nullptr && *env != nullptr; ++env) {
        const std::string entry = *env;
        const std::string name = entry.substr(0, entry.find('='));
        if (name.rfind("MLPS_", 0) == 0 || name == "LD_LIBRARY_PATH" || name == "PATH") {
            forward.push_back(name);
        }
    }
    if (openMpi) {
        if (!hostList.empty()) {
            argv.insert(argv.end(), {"--host", hostList});
        }
        if (!options.hostfile.empty()) {
            argv.insert(argv.end(), {"--hostfile", options.hostfile});
        }
        if (options.oversubscribe) {
            argv.emplace_back("--oversubscribe");
        }
        if (options.allowRunAsRoot) {
            argv.emplace_back("--allow-run-as-root");
        }
        for (const auto &name : forward) {
            argv.insert(argv.end(), {"-x", name});
        }
        bool sigkillGiven = false;
        for (const auto &param : options.mpiParams) {
            sigkillGiven = sigkillGiven || param.rfind("odls_base_sigkill_timeout=", 0) == 0;
        }
        if (!sigkillGiven && std::getenv("OMPI_MCA_odls_base_sigkill_timeout") == nullptr) {
            argv.insert(argv.end(), {"--mca", "odls_base_sigkill_timeout", kSigkillTimeoutSeconds});
        }
    } else {
        // MPICH / Hydra.
        if (!hostList.empty()) {
            argv.insert(argv.end(), {"-hosts", hostList});
        }
        if (!options.hostfile.empty()) {
            argv.insert(argv.end(), {"-f", options.hostfile});
        }
        std::string list;
        for (const auto &name : forward) {
            list += (list.empty() ? "" : ",") + name;
        }
        if (!list.empty()) {
            argv.insert(argv.end(), {"-genvlist", list});
        }
    }
    for (const auto &param : options.mpiParams) {
        if (!param.empty() && param[0] == '-') {
            for (auto &word : splitWords(param)) {
                argv.push_back(std::move(word));
            }
            continue;
        }
        const auto eq = param.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw ConfigError("--mpi-param '" + param +
                              "': expected key=value (an MCA parameter) or an mpiexec option "
                              "starting with '-'");
        }
        if (!openMpi) {
            throw ConfigError("--mpi-param '" + param + "': MCA parameters are Open MPI's; " +
                              mpiexec + " is not Open MPI");
        }
        argv.insert(argv.end(), {"--mca", param.substr(0, eq), param.substr(eq + 1)});
    }
    argv.insert(argv.end(), rankCommand.begin(), rankCommand.end());
    return argv;
}

void preflightHosts(const LaunchOptions &options,
                    const std::string &mlpsrun,
                    const std::vector<std::string> &pluginFiles) {
    const auto shell = remoteShell(options);
    // ssh hands the remote shell one string. The script is fixed text; the paths reach it as
    // positional parameters, each quoted by shellCommand, so a quote or `$(...)` in a path is
    // data, never code.
    const std::string check =
        "m=$1; shift; test -x \"$m\" || echo \"MISSING $m\"; "
        "test -x \"$m\" && { \"$m\" --version >/dev/null 2>&1 || echo \"BROKEN $m\"; }; "
        "for f in \"$@\"; do test -r \"$f\" || echo \"MISSING $f\"; done; "
        "echo MLPS-PREFLIGHT-OK";
    std::vector<std::string> remote{"sh", "-c", check, "mlps-preflight", mlpsrun};
    remote.insert(remote.end(), pluginFiles.begin(), pluginFiles.end());
    const std::string script = shellCommand(remote);
    for (const auto &host : launchHosts(options)) {
        if (isLocalHost(host)) {
            continue;
        }
        checkHostName(host);
        std::vector<std::string> argv = shell;
        argv.push_back(host);
        argv.push_back(script);
        logInfo("checking host " + host + " (" + shellCommand(shell) + ")");
        const auto [status, output] = capture(argv);
        if (output.find("MLPS-PREFLIGHT-OK") == std::string::npos) {
            std::string why = output;
            while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) {
                why.pop_back();
            }
            throw SystemError("host " + host + " is unreachable through '" + shellCommand(shell) +
                              "' (exit " + std::to_string(status) + ")" +
                              (why.empty() ? std::string() : ": " + why) +
                              "; mpiexec needs password-less ssh (or Open MPI's plm_rsh_agent) "
                              "to every host. Skip this check with --no-preflight");
        }
        std::string problems;
        std::istringstream lines(output);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("MISSING ", 0) == 0) {
                problems += "\n  " + line.substr(8) + " does not exist there";
            } else if (line.rfind("BROKEN ", 0) == 0) {
                problems += "\n  " + line.substr(7) +
                            " is there but does not start (its libraries differ: MPI, yaml-cpp)";
            }
        }
        if (!problems.empty()) {
            throw SystemError("host " + host + " cannot run this job:" + problems +
                              "\nEvery host needs mlpsrun and the plugins at the same paths as "
                              "here (a shared file system, or the same install on each host)");
        }
    }
}

namespace {

std::atomic<pid_t> gLauncherPid{0};
std::atomic<int> gInterrupts{0};

void onLauncherSignal(int /*signalNumber*/) {
    const pid_t pid = gLauncherPid.load();
    if (pid <= 0) {
        return;
    }
    const int n = ++gInterrupts;
    if (n == 1) {
        kill(pid, SIGUSR1);
        constexpr char note[] = "\nmlpsrun: stopping the job (Ctrl-C again to abort it)\n";
        [[maybe_unused]] auto w = write(STDERR_FILENO, note, sizeof note - 1);
    } else if (n == 2) {
        kill(pid, SIGINT);
    } else {
        kill(-pid, SIGKILL);
    }
}

void onJobStopSignal(int /*signalNumber*/) {
    requestStop(SIGINT);
}

} // namespace

int runLauncher(const std::vector<std::string> &argv) {
    std::vector<char *> args;
    for (const auto &arg : argv) {
        args.push_back(const_cast<char *>(arg.c_str()));
    }
    args.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
        throw SystemError(std::string("cannot start ") + argv[0] + ": " + std::strerror(errno));
    }
    if (pid == 0) {
        // Its own process group: the terminal's Ctrl-C reaches mlpsrun only, which decides.
        // No stdin: a background process group reading the terminal would be stopped.
        setpgid(0, 0);
        const int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        execvp(args[0], args.data());
        std::fprintf(stderr, "mlpsrun: cannot run %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    gLauncherPid.store(pid);
    struct sigaction sa {};
    sa.sa_handler = onLauncherSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw SystemError(std::string("waiting for ") + argv[0] + ": " + std::strerror(errno));
        }
    }
    gLauncherPid.store(0);
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    const int code = WEXITSTATUS(status);
    // mpiexec says 1 for any failed rank; an interrupted job is reported as such.
    return gInterrupts.load() > 0 && code != 0 ? kExitInterrupted : code;
}

void installJobStopSignal() {
    struct sigaction sa {};
    sa.sa_handler = onJobStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, nullptr);
}

} // namespace mlps::core
