#!/usr/bin/env bash
# Prove that every validator installed by tests/tools/install.sh tells a good sample from a bad
# one: each check runs on a sample under tests/tools/samples/ and must pass (exit 0) on the good
# one and fail on the bad one *for the planted reason* (its output must match a pattern). A
# missing tool (exit 126/127) never counts as the expected failure.
#
#   tests/tools/selftest.sh          # one line per check; exit 1 if any expectation fails
#   tests/tools/selftest.sh -v       # also print each check's output
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=bin/tools-env.sh
source "$HERE/bin/tools-env.sh"
S="$HERE/samples"
VERBOSE=0
[[ "${1:-}" == "-v" ]] && VERBOSE=1
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "selftest: $(promtool --version 2>&1 | head -1); $(terraform version 2>/dev/null | head -1) ($(command -v terraform))"
echo "selftest: actionlint $(actionlint -version 2>/dev/null | head -1); checkov $(checkov --version 2>/dev/null); $(tsc --version 2>/dev/null)"

FAILED=0
TOTAL=0
# run WANT NAME PATTERN CMD...: WANT is pass, fail or missing (exit 127 expected).
run() {
    local want=$1 name=$2 pattern=$3 rc verdict why=""
    shift 3
    TOTAL=$((TOTAL + 1))
    local t0=$EPOCHREALTIME
    "$@" >"$TMP/out" 2>&1
    rc=$?
    local secs
    secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    verdict=ok
    case $want in
        pass) ((rc == 0)) || { verdict=FAIL; why="expected exit 0"; } ;;
        fail)
            if ((rc == 0)); then verdict=FAIL; why="expected a failure, got exit 0"
            elif ((rc == 126 || rc == 127)); then verdict=FAIL; why="tool missing"
            elif ! grep -Eq -- "$pattern" "$TMP/out"; then verdict=FAIL; why="output lacks /$pattern/"
            fi ;;
        missing)
            if ! ((rc == 127)) || ! grep -Eq -- "$pattern" "$TMP/out"; then
                verdict=FAIL; why="expected exit 127 naming the installer"
            fi ;;
    esac
    printf '%-4s %-7s %-58s exit %-3s %6ss%s\n' "$verdict" "$want" "$name" "$rc" "$secs" "${why:+  ($why)}"
    if [[ $verdict != ok || $VERBOSE == 1 ]]; then sed 's/^/       | /' "$TMP/out" | head -40; fi
    [[ $verdict == ok ]] || FAILED=$((FAILED + 1))
}

# --- Prometheus rules: promtool on the PrometheusRule's spec -------------------------------
extract_rules() { # PrometheusRule.yaml -> bare rules file (the `spec` of the first document)
    python -c 'import sys, yaml; yaml.safe_dump(next(yaml.safe_load_all(open(sys.argv[1])))["spec"], sys.stdout, sort_keys=False)' "$1"
}
extract_rules "$S/prometheus/rule-good.yaml" >"$TMP/rules-good.yaml"
extract_rules "$S/prometheus/rule-bad.yaml" >"$TMP/rules-bad.yaml"
cp "$S/prometheus/rules-test.yaml" "$TMP/rules-test.yaml"
mkdir -p "$TMP/weak"
sed 's/> 0.05/> 0.5/' "$TMP/rules-good.yaml" >"$TMP/weak/rules-good.yaml" # alert can no longer fire
cp "$S/prometheus/rules-test.yaml" "$TMP/weak/rules-test.yaml"

run pass "promtool check rules (good)" "" promtool check rules "$TMP/rules-good.yaml"
run fail "promtool check rules (bad PromQL, for: on record)" "unclosed left parenthesis|invalid field 'for'|not a valid duration" \
    promtool check rules "$TMP/rules-bad.yaml"
run pass "promtool test rules (alert fires at 10%, not at 0%)" "" promtool test rules "$TMP/rules-test.yaml"
run fail "promtool test rules (threshold 0.5: alert never fires)" "FAILED" promtool test rules "$TMP/weak/rules-test.yaml"

# --- prometheus-operator CRDs ---------------------------------------------------------------
run pass "promop-check (good PrometheusRule + ServiceMonitor)" "" promop-check "$S/prometheus/rule-good.yaml"
run fail "promop-check (bad duration, label type, no selector)" "should match pattern.*ten minutes" \
    promop-check "$S/prometheus/rule-bad.yaml"
run fail "promop-check (unknown key beside type errors)" "unknown fields: /spec/groups/0/rules/1/annotation" \
    promop-check "$S/prometheus/rule-bad.yaml"
run fail "promop-check (unknown keys)" "unknown fields: /spec/groupz" promop-check "$S/prometheus/rule-typo.yaml"

# --- GitHub Actions -------------------------------------------------------------------------
run pass "actionlint (good workflow)" "" actionlint -no-color -oneline "$S/workflows/good.yml"
run fail "actionlint (bad workflow)" 'needs job "biuld"' actionlint -no-color -oneline "$S/workflows/bad.yml"
run fail "actionlint runs shellcheck" "SC2045" actionlint -no-color -oneline "$S/workflows/bad.yml"
run pass "check-jsonschema github-workflows (good)" "" \
    check-jsonschema --builtin-schema vendor.github-workflows "$S/workflows/good.yml"
run fail "check-jsonschema github-workflows (bad)" "'writ' is not one of" \
    check-jsonschema --builtin-schema vendor.github-workflows "$S/workflows/bad.yml"

# --- TOML against a JSON Schema, and the schema against its metaschema ----------------------
run pass "check-jsonschema TOML (good)" "" check-jsonschema --schemafile "$S/toml/spec.schema.json" "$S/toml/good.toml"
run fail "check-jsonschema TOML (bad)" "'qa' is not one of" \
    check-jsonschema --schemafile "$S/toml/spec.schema.json" "$S/toml/bad.toml"
sed 's/"type": "object"/"type": "objekt"/' "$S/toml/spec.schema.json" >"$TMP/broken.schema.json"
run pass "check-jsonschema --check-metaschema (good)" "" check-jsonschema --check-metaschema "$S/toml/spec.schema.json"
run fail "check-jsonschema --check-metaschema (bad)" "objekt" check-jsonschema --check-metaschema "$TMP/broken.schema.json"

# --- Helm and Kubernetes --------------------------------------------------------------------
run pass "helm-check (good values)" "" helm-check "$S/helm/chart" "$S/helm/values-good.yaml"
run fail "helm-check (values violate values.schema.json)" "got string, want integer" \
    helm-check "$S/helm/chart" "$S/helm/values-good.yaml" "$S/helm/values-bad.yaml"
run fail "helm-check (template parse error)" 'function "selector" not defined' helm-check "$S/helm/chart-broken"
helm-check "$S/helm/chart" "$S/helm/values-good.yaml" >"$TMP/rendered.yaml" 2>/dev/null
run pass "kubernetes-validate --strict (rendered chart)" "" kubernetes-validate --strict "$TMP/rendered.yaml"
run fail "kubernetes-validate --strict (bad manifests)" "'two' is not of type" kubernetes-validate --strict "$S/k8s/bad.yaml"

# --- Grafana --------------------------------------------------------------------------------
run pass "grafana-dash-check (good)" "" grafana-dash-check "$S/grafana/good.json"
run fail "grafana-dash-check (bad)" "'titel' was unexpected|'to' is a required property" \
    grafana-dash-check "$S/grafana/bad.json"
run pass "grafana-dash-check --tsc (good)" "" grafana-dash-check --tsc "$S/grafana/good.json"
run fail "grafana-dash-check --tsc (bad)" "bad.json\(4,3\): error TS2322" grafana-dash-check --tsc "$S/grafana/bad.json"

# --- Terraform ------------------------------------------------------------------------------
run pass "terraform fmt -check (good)" "" terraform fmt -check -diff "$S/terraform/good"
run fail "terraform fmt -check (bad)" "main.tf" terraform fmt -check -diff "$S/terraform/bad"
tfplan() { terraform -chdir="$S/terraform/vars" plan -input=false -no-color -lock=false -refresh=false -var-file="$1"; }
run pass "terraform plan -var-file (good tfvars)" "" tfplan good.tfvars
run fail "terraform plan -var-file (bad tfvars)" "environment must be dev, staging or prod" tfplan bad.tfvars
run pass "checkov terraform (good)" "" \
    checkov -d "$S/terraform/good" --framework terraform --compact --quiet --skip-download
run fail "checkov terraform (bad)" "CKV_AWS_24" \
    checkov -d "$S/terraform/bad" --framework terraform --compact --quiet --skip-download

# --- shellcheck, on this directory's own scripts -------------------------------------------
run pass "shellcheck (tests/tools scripts)" "" shellcheck -x \
    "$HERE"/install.sh "$HERE"/selftest.sh "$HERE"/bin/helm-check "$HERE"/bin/promop-check \
    "$HERE"/bin/grafana-dash-check "$HERE"/bin/tools-env.sh "$HERE"/libexec/common.sh
# shellcheck disable=SC2016 # the planted bug must stay unexpanded
printf 'x=$1\nrm -rf $x/*\n' >"$TMP/bad.sh"
run fail "shellcheck (unquoted rm -rf)" "SC2086" shellcheck -s bash "$TMP/bad.sh"

# --- the wrappers refuse to pass without their tools ----------------------------------------
for w in helm-check promop-check grafana-dash-check; do
    run missing "$w without its tools (TOOLS_DIR=/nonexistent)" "install.sh" \
        env TOOLS_DIR=/nonexistent "$HERE/bin/$w" "$S/grafana/good.json"
done

echo "selftest: $((TOTAL - FAILED))/$TOTAL expectations met"
((FAILED == 0))
