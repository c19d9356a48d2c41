#!/usr/bin/env bash
# SDK test: a third party can build a plugin against the INSTALLED SDK only, and mlpsrun loads
# and runs it, from the build tree and from a (relocated) install.
#
#   1. stage-install this build (meson install --destdir)
#   2. build share/templates/tier-plugin out of tree, with meson, finding mlps-plugin-1 through
#      pkg-config in the staging area (and check that no header came from the source tree)
#   3. $BUILD/core/mlpsrun plugins inspect example.so
#   4. $BUILD/core/mlpsrun run SPEC --plugin-path DIR: tierbench on the example tier, verify on
#   5. install the template into the staged plugindir and run the STAGED mlpsrun with no
#      plugin path at all: with MLPS_PLUGIN_RELOCATED=1 it finds tierbench and example next to
#      itself (a relocated install; without it a copied binary loads nothing from beside it)
#   6. the same for share/templates/benchmark-plugin (examplebench.so, built on io_pump.hpp):
#      build out of tree against the staged SDK, inspect it, run it on the dram tier

#   7. $BUILD/core/mlpsrun plugins check example.so: the template passes the conformance suite
#   8. meson install --tags devel: the plugin author kit alone (headers, .pc, version script,
#      guide, templates, C example), every header of include/mlps among them, no executable
#      and no plugin
#
# Usage: sdk_test.sh BUILD_DIR SOURCE_DIR. Exit 77 (skipped) when meson, ninja or pkg-config is
# missing.
set -euo pipefail

build=$(cd "$1" && pwd)
source_root=$(cd "$2" && pwd)

for tool in meson ninja pkg-config; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlps-sdk-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

step() {
    echo
    echo "== $*"
}

step "1. stage-install $build into $stage"
meson install -C "$build" --destdir "$stage" --no-rebuild --quiet

pc=$(find "$stage" -name mlps-plugin-1.pc -print -quit)
[ -n "$pc" ] || fail "no mlps-plugin-1.pc in the staged install"
echo "pkg-config file: $pc"
# The staged .pc still says prefix=/usr/local (the real prefix). PKG_CONFIG_SYSROOT_DIR makes
# pkg-config prepend the staging dir to every path it prints, cflags and variables (plugindir)
# alike. --define-prefix would not do: it takes the prefix to be two levels above the .pc,
# which is wrong for a multiarch libdir (lib/x86_64-linux-gnu/pkgconfig).
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR=$stage
unset PKG_CONFIG_LIBDIR || true
cflags=$(pkg-config --cflags mlps-plugin-1)
plugindir=$(pkg-config --variable=plugindir mlps-plugin-1)
echo "cflags: $cflags"
echo "plugindir: $plugindir"
case "$cflags" in
*"$stage"*) ;;
*) fail "pkg-config --cflags does not point into the staging area: $cflags" ;;
esac

step "2. build the plugin template out of tree against the staged SDK"
template=$(find "$stage" -type d -path '*/templates/tier-plugin' -print -quit)
if [ -z "$template" ]; then
    # The template is not installed by this build: take it from the source tree.
    template=$source_root/share/templates/tier-plugin
fi
echo "template: $template"
cp -R "$template" "$tmp/src"
meson setup "$tmp/build" "$tmp/src"
meson compile -C "$tmp/build"
plugin=$tmp/build/example.so
[ -f "$plugin" ] || fail "the template did not produce example.so"
# Its headers came from the staged install, never from the source tree.
grep -q -- "-I$stage" "$tmp/build/compile_commands.json" ||
    fail "the template was not compiled with the staged SDK's include dir"
if grep -q -- "$source_root/include" "$tmp/build/compile_commands.json"; then
    fail "the template was compiled with the source tree's include dir"
fi

mlpsrun=$build/core/mlpsrun
step "3. $mlpsrun plugins inspect $plugin"
inspect=$("$mlpsrun" plugins inspect "$plugin") || fail "plugins inspect failed: $inspect"
echo "$inspect"
grep -q "tier 'example' version 1.0.0" <<<"$inspect" || fail "inspect does not show tier 'example'"
grep -q "manifest: ABI 1.1" <<<"$inspect" || fail "inspect does not show ABI 1.1"

cat >"$tmp/check.yaml" <<'EOF'
# tierbench on the example tier: 4 MiB written and read back, every byte verified.
benchmark:
  plugin: tierbench
  options:
    tier: mem
    mode: mixed
    pattern: sequential
    object_size: 1MiB
    io_size: 256KiB
    objects: 4
    threads: 1
    queue_depth: 4
    total_bytes: 4MiB
    verify: true
tiers:
  - name: mem
    plugin: example
    capacity: 64MiB
run:
  duration: 0
  results_dir: results
EOF

# check_run DIR EXPECTED_TIER_SO COMMAND...: the run ends with exit 0 and a summary.json that
# says ok, used EXPECTED_TIER_SO for the tier, and verified bytes without a mismatch.
check_run() {
    local where=$1 expected=$2
    shift 2
    mkdir -p "$where"
    (cd "$where" && "$@") || fail "the run failed (exit $?): $*"
    local summary
    summary=$(find "$where/results" -name summary.json -print -quit)
    [ -n "$summary" ] || fail "the run wrote no summary.json under $where/results"
    echo "summary: $summary"
    # python3 is there: meson runs on it.
    python3 - "$summary" "$expected" <<'PY' || fail "summary.json does not show a verified run"
import json, os, sys
summary = json.load(open(sys.argv[1]))
tier = summary["tiers"][0]
verify = summary["benchmark"]["verify"]
checks = {
    "status is ok": summary["status"] == "ok",
    "the tier is example from " + sys.argv[2]:
        tier["plugin"] == "example" and os.path.samefile(tier["path"], sys.argv[2]),
    "bytes were verified": verify["checked_bytes"] > 0,
    "no byte mismatched": verify["mismatched_bytes"] == 0,
}
for what, ok in checks.items():
    print(("ok:     " if ok else "FAILED: ") + what)
sys.exit(0 if all(checks.values()) else 1)
PY
}

step "4. $mlpsrun run check.yaml --plugin-path $tmp/build"
check_run "$tmp/run-build" "$plugin" "$mlpsrun" run "$tmp/check.yaml" --plugin-path "$tmp/build"

step "5. install the template and run the staged mlpsrun with no plugin path"
meson install -C "$tmp/build" --quiet
[ -f "$plugindir/example.so" ] || fail "meson install did not put example.so in $plugindir"
staged_mlpsrun=$(find "$stage" -path '*/bin/mlpsrun' -print -quit)
[ -n "$staged_mlpsrun" ] || fail "no mlpsrun in the staged install"
# Its configured plugindir (under the real prefix) does not exist here; it must find the staged
# one relative to itself.
list=$(env -u MLPS_PLUGIN_PATH MLPS_PLUGIN_RELOCATED=1 "$staged_mlpsrun" plugins list) || fail "plugins list failed"
echo "$list"
grep -q "^example .*$plugindir/example.so" <<<"$list" ||
    fail "the staged mlpsrun does not find example.so in its plugindir"
check_run "$tmp/run-staged" "$plugindir/example.so" env -u MLPS_PLUGIN_PATH MLPS_PLUGIN_RELOCATED=1 "$staged_mlpsrun" run "$tmp/check.yaml"

step "6. build the benchmark plugin template out of tree and run it"
btemplate=$(find "$stage" -type d -path '*/templates/benchmark-plugin' -print -quit)
if [ -z "$btemplate" ]; then
    btemplate=$source_root/share/templates/benchmark-plugin
fi
echo "template: $btemplate"
cp -R "$btemplate" "$tmp/bsrc"
meson setup "$tmp/bbuild" "$tmp/bsrc"
meson compile -C "$tmp/bbuild"
bplugin=$tmp/bbuild/examplebench.so
[ -f "$bplugin" ] || fail "the benchmark template did not produce examplebench.so"
grep -q -- "-I$stage" "$tmp/bbuild/compile_commands.json" ||
    fail "the benchmark template was not compiled with the staged SDK's include dir"
if grep -q -- "$source_root/include" "$tmp/bbuild/compile_commands.json"; then
    fail "the benchmark template was compiled with the source tree's include dir"
fi
inspect=$("$mlpsrun" plugins inspect "$bplugin") || fail "plugins inspect failed: $inspect"
echo "$inspect"
grep -q "benchmark 'examplebench' version 1.0.0" <<<"$inspect" ||
    fail "inspect does not show benchmark 'examplebench'"
cat >"$tmp/bench.yaml" <<'EOF2'
benchmark:
  plugin: examplebench
  options: {objects: 4, object_size: 256KiB, queue_depth: 2}
tiers:
  - name: mem
    plugin: dram
    capacity: 16MiB
run:
  duration: 0
  results_dir: results
EOF2
mkdir -p "$tmp/run-bench"
(cd "$tmp/run-bench" && "$mlpsrun" run "$tmp/bench.yaml" --plugin-path "$tmp/bbuild" -q) ||
    fail "the examplebench run failed"
bsummary=$(find "$tmp/run-bench/results" -name summary.json -print -quit)
python3 - "$bsummary" <<'PY' || fail "summary.json of examplebench is not right"
import json, sys
s = json.load(open(sys.argv[1]))
b = s["benchmark"]
ok = s["status"] == "ok" and b["bytes"] == 2 * 4 * 256 * 1024 and b["errors"] == 0
print(("ok:     " if ok else "FAILED: ") + "examplebench wrote and read 2 x 1 MiB, no errors")
sys.exit(0 if ok else 1)
PY

step "7. $mlpsrun plugins check $plugin"
check_out=$("$mlpsrun" plugins check "$plugin" --scratch "$tmp") || {
    echo "$check_out"
    fail "the template does not pass plugins check"
}
echo "$check_out"
grep -q "^verdict: PASS" <<<"$check_out" || fail "plugins check printed no PASS verdict"
grep -q "pass  exported-symbols" <<<"$check_out" ||
    fail "the template exports more than mlps_plugin_entry"

step "8. meson install --tags devel: the plugin author kit only"
devel=$tmp/devel
meson install -C "$build" --destdir "$devel" --no-rebuild --quiet --tags devel
for want in mlps-plugin-1.pc tier_abi.h mlps-plugin.map plugin-guide.md good_tier.c \
    example_tier.cpp; do
    [ -n "$(find "$devel" -name "$want" -print -quit)" ] || fail "--tags devel did not install $want"
done
# Every SDK header of the source tree is in the kit (io_pump.hpp includes io_lane.hpp: a header
# left out of include/meson.build breaks third-party builds, not ours).
for header in "$source_root"/include/mlps/*.h "$source_root"/include/mlps/*.hpp; do
    want=$(basename "$header")
    [ -n "$(find "$devel" -path "*/mlps/$want" -print -quit)" ] ||
        fail "--tags devel did not install the SDK header $want"
done
if [ -n "$(find "$devel" \( -name mlpsrun -o -name '*.so' \) -print -quit)" ]; then
    fail "--tags devel installed more than the SDK: $(find "$devel" \( -name mlpsrun -o -name '*.so' \))"
fi
echo "devel install: $(find "$devel" -type f | wc -l) files"

echo
echo "PASS"
