# Shared by the tools/check/* stages (sourced, not run): where we are, how commands are shown,
# and the Debian 12 tool versions every stage pins (clang-format's output changes between
# releases; one version for CI and developers keeps the format check meaningful).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

CLANG=${MLPS_CLANG:-clang-14}
CLANGXX=${MLPS_CLANGXX:-clang++-14}
CLANG_FORMAT=${MLPS_CLANG_FORMAT:-clang-format-14}
CLANG_TIDY=${MLPS_CLANG_TIDY:-clang-tidy-14}
RUN_CLANG_TIDY=${MLPS_RUN_CLANG_TIDY:-run-clang-tidy-14}
jobs=${MLPS_CHECK_JOBS:-$(nproc)}

# Prints a command, then runs it: a CI log says exactly what to type to reproduce a failure.
run() {
    printf '+ %s\n' "$*" >&2
    "$@"
}

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || {
            echo "check: $tool not found (tools/bootstrap installs it)" >&2
            exit 4
        }
    done
}

# Sets up (once) and builds a sanitizer build folder. $1: folder; the rest: meson options.
# MPI is off in every sanitizer build: Open MPI's own allocations and progress threads are not
# ours and flood the reports; tests/mpi runs in the normal build. The same for HDF5 where the
# caller says so.
# An existing folder gets the options again (meson configure), so a changed script takes effect.
setup_build() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        run meson setup "$dir" -Dwerror=true -Dmpi=disabled "$@"
    else
        run meson configure "$dir" -Dwerror=true -Dmpi=disabled "$@"
    fi
}

# GCC 12 reports -Wmaybe-uninitialized inside libstdc++'s own <regex>/<functional> when the code
# is instrumented (a known false positive: the sanitizers' checks defeat its flow analysis). Our
# code is still checked for it in the normal -Werror build; here it stays a warning.
sanitizer_warning_args=(-Dcpp_args=-Wno-error=maybe-uninitialized
    -Dc_args=-Wno-error=maybe-uninitialized)

# The project's own C/C++ files: tracked files when this is a git checkout, else a find that
# skips build folders.
source_files() {
    if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$root" ls-files -- '*.c' '*.cpp' '*.h' '*.hpp'
    else
        find core include plugins tests tools share -type f \
            \( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \) | sort
    fi
}

# Builds targets of a build folder ($1; the rest: targets, all without), quietly unless it fails.
build_targets() {
    local dir=$1
    shift
    printf '+ ninja -C %s %s\n' "$dir" "$*" >&2
    ninja -C "$dir" "$@" >"$dir/check-ninja.log" 2>&1 || {
        tail -n 150 "$dir/check-ninja.log" >&2
        echo "check: build failed in $dir (the whole log: $dir/check-ninja.log)" >&2
        return 1
    }
}
