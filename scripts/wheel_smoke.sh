#!/usr/bin/env bash
# Wheel smoke test: the package as a new user gets it, outside the clone.
#
# From a temp dir: build the sdist, and the wheel from that sdist (python -m build), check
# both archives' contents, install the wheel into a fresh venv (no editable install, no
# system site-packages) and run, from empty directories: --help, mode=plan, the quickstart,
# the cassette replay, a TOML experiment in a user folder (--config-dir, hydra.searchpath
# file:// and pkg://), and the scaffold's three commands. Any failure fails the script.
#
# Usage: scripts/wheel_smoke.sh [python]   (python with `build` installed; default .venv/bin/python)
# Dependencies come from a wheelhouse kept between runs ($ENG5_WHEELHOUSE, default
# ~/.cache/eng5-runner/wheelhouse): filled from the index on the first run (or when a
# dependency changes), then installs are offline and take seconds. ENG5_SMOKE_KEEP=1 keeps
# the temp dir for inspection.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-$REPO/.venv/bin/python}"
[[ "$PY" = /* ]] || PY="$REPO/$PY"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/eng5-wheel-smoke.XXXXXX")"
KEEP="${ENG5_SMOKE_KEEP:-0}"
# Dependency wheels kept between runs (outside the clone), so a run needs no network.
WHEELHOUSE="${ENG5_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/eng5-runner/wheelhouse}"
cleanup() { if [[ "$KEEP" == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi; }
trap cleanup EXIT

step() { printf '\n== wheel smoke [%ss]: %s\n' "$SECONDS" "$*"; }
fail() { printf 'wheel smoke FAILED: %s\n' "$*" >&2; exit 1; }
# run <log name> <command...>: run quietly; on failure show the tail of its output.
run() {
  local name="$1" rc=0; shift
  "$@" >"$TMP/log/$name.log" 2>&1 || rc=$?
  if [[ "$rc" != 0 ]]; then
    tail -n 40 "$TMP/log/$name.log" >&2
    fail "$name: exit code $rc from: $*"
  fi
}
mkdir -p "$TMP/log"

step "copy the tracked files of the clone into $TMP/src"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard) \
  | (cd "$REPO" && xargs -0 tar -cf - --no-recursion --ignore-failed-read) \
  | (mkdir -p "$TMP/src" && tar -xf - -C "$TMP/src")
case "$(cd "$TMP" && pwd)" in "$REPO"/*) fail "temp dir is inside the clone" ;; esac

step "a fresh venv; the wheelhouse of build and runtime dependencies ($WHEELHOUSE)"
# The venv gets no pip of its own (ensurepip is slow); the dev venv's pip installs into it.
"$PY" -m venv --without-pip "$TMP/venv"   # same Python as the dev venv; no system site-packages
BIN="$TMP/venv/bin"
PIP=("$PY" -m pip --python "$BIN/python")
mkdir -p "$WHEELHOUSE"
# offline <command...>: pip with the wheelhouse as its only index.
offline() { PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELHOUSE" "$@"; }
ls "$WHEELHOUSE"/setuptools-*.whl >/dev/null 2>&1 \
  || run fill_build_deps "${PIP[@]}" download -q -d "$WHEELHOUSE" "setuptools>=77" wheel

step "build the sdist, then the wheel from it (isolated build, from the wheelhouse)"
run build offline "$PY" -m build --outdir "$TMP/dist" "$TMP/src"
SDIST="$(ls "$TMP"/dist/eng5_runner-*.tar.gz)"
WHEEL="$(ls "$TMP"/dist/eng5_runner-*.whl)"

step "check the archives' contents"
"$PY" - "$SDIST" "$WHEEL" <<'EOF' || fail "archive contents"
import sys, tarfile, zipfile
sdist, wheel = sys.argv[1:]
with tarfile.open(sdist) as tar:
    top = tar.getnames()[0].split("/")[0]
    s_names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
with zipfile.ZipFile(wheel) as whl:
    w_names = set(whl.namelist())
shipped = [
    "eng5_runner/conf/config.yaml",
    "eng5_runner/conf/experiment/quickstart.yaml",
    "eng5_runner/conf/experiment/lower_tail_boundaries_v1.toml",
    "eng5_runner/conf/hydra/help/eng5.yaml",
    "eng5_runner/samples/eng5_sample/anchors.csv",
    "eng5_runner/samples/cassettes/ci_replay_v1.jsonl",
    "eng5_runner/schemas/artefact.schema.json",
    "eng5_runner/py.typed",
    "eng5_runner/scaffold/template/dot-gitignore",
    "eng5_runner/scaffold/template/dot-github/workflows/eng5.yml",
    "eng5_runner/scaffold/template/conf/experiment/my_boundaries_v1.toml",
    "hydra_plugins/eng5_toml/toml_config_source.py",
    "hydra_plugins/eng5_toml/toml_pkg_source.py",
    "hydra_plugins/eng5_toml/toml_search_path.py",
]
sdist_only = ["LICENSE", "README.md", "pyproject.toml", "docs/quickstart.md",
              "docs/configuration.md", "docs/architecture.md", "docs/artefact.schema.json"]
problems = [f"sdist lacks {n}" for n in shipped + sdist_only if n not in s_names]
problems += [f"wheel lacks {n}" for n in shipped if n not in w_names]
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in w_names):
    problems.append("wheel lacks its LICENSE")
for names, what in ((s_names, "sdist"), (w_names, "wheel")):
    problems += [f"{what} ships {n}" for n in names
                 if n.endswith("conf/local/default.yaml") or "__pycache__" in n
                 or n.startswith(("tests/", "outputs/", ".venv/"))]
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"sdist {top}: {len(s_names)} files; wheel: {len(w_names)} files; contents ok")
EOF

step "install the wheel into the fresh venv"
if ! offline "${PIP[@]}" install -q --no-compile "$WHEEL" >"$TMP/log/install.log" 2>&1; then
  # first run, or a dependency was added or raised: fetch what is missing, then again
  run fill_runtime_deps "${PIP[@]}" download -q -d "$WHEELHOUSE" "$WHEEL"
  rm -f "$WHEELHOUSE"/eng5_runner-*
  run install offline "${PIP[@]}" install -q --no-compile "$WHEEL"
fi
export PATH="$BIN:$PATH"
unset PYTHONPATH
cd "$TMP" && mkdir empty && cd empty
[[ "$(python -c 'import eng5_runner, os; print(os.path.dirname(eng5_runner.__file__))')" == "$TMP/venv/"* ]] \
  || fail "eng5_runner is not imported from the fresh venv"

step "eng5-runner --help, python -m eng5_runner --help"
run help eng5-runner --help
grep -q "experiment" "$TMP/log/help.log" || fail "--help does not list the config groups"
run help_module python -m eng5_runner --help

step "mode=plan, experiment=quickstart, the cassette replay (from an empty directory)"
run plan eng5-runner mode=plan hydra.run.dir=runs/plan
test -s runs/plan/plan.json || fail "mode=plan wrote no plan.json"
run quickstart eng5-runner experiment=quickstart hydra.run.dir=runs/quickstart
test -s runs/quickstart/report.md || fail "quickstart wrote no report.md"
run replay eng5-runner experiment=ci_replay_v1 hydra.run.dir=runs/replay
grep -q '"targets_met": true' runs/replay/summary.json || fail "replay missed its gate"

step "a TOML experiment in a user folder: --config-dir, hydra.searchpath file:// and pkg://"
mkdir -p "$TMP/study/conf/experiment" "$TMP/study/prompts" "$TMP/lab/study_conf/experiment"
printf 'Pick the better essay.\n' >"$TMP/study/prompts/mine.md"
cat >"$TMP/study/conf/experiment/smoke_v1.toml" <<'EOF'
# @package _global_
defaults = [{ "override /mode" = "anchor-align-test" }]
experiment_name = "smoke_v1"
[system_prompt]
file = "prompts/mine.md"
EOF
run toml_config_dir eng5-runner --config-dir "$TMP/study/conf" experiment=smoke_v1 hydra.run.dir=runs/toml
grep -q '"experiment_name": "smoke_v1"' runs/toml/summary.json || fail "TOML experiment not run"
grep -q '"system_prompt": "mine"' runs/toml/summary.json || fail "prompt file not read from the project"
run toml_searchpath eng5-runner "hydra.searchpath=[file://$TMP/study/conf]" experiment=smoke_v1 \
  mode=plan hydra.run.dir=runs/toml_sp
touch "$TMP/lab/__init__.py" "$TMP/lab/study_conf/__init__.py"
sed 's/smoke_v1/pkg_smoke_v1/; /system_prompt/,$d' "$TMP/study/conf/experiment/smoke_v1.toml" \
  >"$TMP/lab/study_conf/experiment/pkg_smoke_v1.toml"
run toml_pkg env PYTHONPATH="$TMP" eng5-runner "hydra.searchpath=[pkg://lab.study_conf]" \
  experiment=pkg_smoke_v1 mode=plan hydra.run.dir=runs/toml_pkg
test -s runs/toml_pkg/plan.json || fail "pkg:// TOML experiment not planned"

step "the scaffold and its README's three commands"
run init eng5-runner-init "$TMP/my_study"
cd "$TMP/my_study"
mapfile -t COMMANDS < <(sed -n '/^eng5-runner /{:a;/\\$/{N;s/\\\n//;ba};p}' README.md | sed 's/  *#.*$//')
[[ "${#COMMANDS[@]}" == 3 ]] || fail "scaffold README should have 3 commands, has ${#COMMANDS[@]}"
for i in 0 1 2; do
  run "scaffold_$i" bash -c "${COMMANDS[$i]}"
done
ls outputs/sweeps/*/*/sweep_summary.md >/dev/null || fail "scaffold sweep wrote no summary"

printf '\nwheel smoke: all passed (%s)\n' "$(basename "$WHEEL")"
