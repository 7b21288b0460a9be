#!/usr/bin/env bash
# Offline checks of terraform/ (no provider plugins, no network):
#
#   1. layout: every environment root has its files, a terraform.tfvars symlink to
#      ../../../generated/<env>/terraform.tfvars, no default on any contract variable, and the
#      same wiring (main/variables/outputs/versions.tf) as the other environments;
#   2. `terraform fmt -check -recursive terraform/` (and the tfvars being checked);
#   3. per environment: the root's variables.tf alone is copied into an empty directory and
#      real Terraform plans it with the tfvars: types, required variables and every validation
#      block (including cross-variable ones) are enforced; a "Value for undeclared variable"
#      warning is turned into a failure, so drift either way fails;
#   4. checkov (static security scan) when it is installed; any failed check fails.
#
# Usage: terraform/check.sh [options] [ENV=TFVARS ...]
#   ENV=TFVARS            check environment ENV against TFVARS (then only the named
#                         environments are planned); default: every environment against
#                         generated/<env>/terraform.tfvars
#   --tfvars-dir DIR      take DIR/<env>.tfvars (or DIR/<env>/terraform.tfvars) for every env
#   --no-checkov          skip the checkov scan
#   --require-checkov     fail when checkov is not installed (CI)
#
# checkov is looked up as $CHECKOV, then `checkov` on PATH, then .tools/venv/bin/checkov.
# Exit status: 0 when every check passed, 1 otherwise.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root" || exit 1

export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
TERRAFORM="${TERRAFORM:-terraform}"

run_checkov=auto
tfvars_dir=""
declare -A override=()
while [ $# -gt 0 ]; do
  case "$1" in
  --no-checkov) run_checkov=no ;;
  --require-checkov) run_checkov=required ;;
  --tfvars-dir)
    tfvars_dir="${2:?--tfvars-dir needs a directory}"
    shift
    ;;
  -h | --help)
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *=*) override["${1%%=*}"]="${1#*=}" ;;
  *)
    echo "unknown argument: $1 (see --help)" >&2
    exit 2
    ;;
  esac
  shift
done

failures=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() {
  printf 'FAIL  %s\n' "$*"
  failures=$((failures + 1))
}
abspath() { (cd "$(dirname "$1")" 2>/dev/null && printf '%s/%s\n' "$(pwd)" "$(basename "$1")") || printf '%s\n' "$1"; }

if ! command -v "$TERRAFORM" >/dev/null 2>&1; then
  echo "terraform not found (set TERRAFORM=/path/to/terraform)" >&2
  exit 1
fi

envs=()
for d in terraform/environments/*/; do
  [ -d "$d" ] && envs+=("$(basename "$d")")
done
if [ ${#envs[@]} -eq 0 ]; then
  fail "no environment roots under terraform/environments"
  exit 1
fi
for e in "${!override[@]}"; do
  [ -d "terraform/environments/$e" ] || fail "unknown environment '$e' (have: ${envs[*]})"
done

# Which tfvars each environment is checked against.
declare -A tfvars=()
for e in "${envs[@]}"; do
  if [ ${#override[@]} -gt 0 ]; then
    [ -n "${override[$e]:-}" ] && tfvars[$e]="$(abspath "${override[$e]}")"
  elif [ -n "$tfvars_dir" ]; then
    if [ -f "$tfvars_dir/$e.tfvars" ]; then
      tfvars[$e]="$(abspath "$tfvars_dir/$e.tfvars")"
    else
      tfvars[$e]="$(abspath "$tfvars_dir/$e/terraform.tfvars")"
    fi
  else
    tfvars[$e]="$root/generated/$e/terraform.tfvars"
  fi
done

# ---------------------------------------------------------------- 1. layout

first="${envs[0]}"
for e in "${envs[@]}"; do
  dir="terraform/environments/$e"
  ok=1
  for f in main.tf variables.tf outputs.tf versions.tf backend.tf; do
    if [ ! -f "$dir/$f" ]; then
      fail "$e: $dir/$f is missing"
      ok=0
    fi
  done
  link="$(readlink "$dir/terraform.tfvars" 2>/dev/null || true)"
  if [ "$link" != "../../../generated/$e/terraform.tfvars" ]; then
    fail "$e: $dir/terraform.tfvars must be a symlink to ../../../generated/$e/terraform.tfvars (is: '${link:-not a symlink}')"
    ok=0
  fi
  if grep -nE '^[[:space:]]*default[[:space:]]*=' "$dir/variables.tf" >/dev/null 2>&1; then
    fail "$e: variables.tf gives a default to a spec-owned variable: $(grep -nE '^[[:space:]]*default[[:space:]]*=' "$dir/variables.tf" | head -3 | tr '\n' ' ')"
    ok=0
  fi
  if ! grep -qE "key[[:space:]]*=[[:space:]]*\"environments/$e/terraform.tfstate\"" "$dir/backend.tf" 2>/dev/null; then
    fail "$e: backend.tf must use the state key environments/$e/terraform.tfstate"
    ok=0
  fi
  if [ "$e" != "$first" ]; then
    for f in main.tf variables.tf outputs.tf versions.tf; do
      if ! cmp -s "$dir/$f" "terraform/environments/$first/$f"; then
        fail "$e: $f differs from environments/$first/$f (environments share one wiring; values belong in the spec)"
        ok=0
      fi
    done
  fi
  [ $ok -eq 1 ] && pass "$e: layout (symlinked tfvars, $(grep -c '^variable "' "$dir/variables.tf") required variables without defaults, per-env state key)"
done

# ---------------------------------------------------------------- 2. fmt

dangling=()
while IFS= read -r l; do dangling+=("$l"); done < <(find terraform -xtype l 2>/dev/null)
# tfvars given on the command line are not under terraform/: format-check them too (the
# default generated/ files are reached through the symlinks).
extra=()
if [ ${#override[@]} -gt 0 ] || [ -n "$tfvars_dir" ]; then
  for e in "${!tfvars[@]}"; do
    [ -f "${tfvars[$e]}" ] && extra+=("${tfvars[$e]}")
  done
fi
if [ ${#dangling[@]} -eq 0 ]; then
  if out="$("$TERRAFORM" fmt -check -no-color -recursive terraform/ 2>&1)"; then
    pass "terraform fmt -check -recursive terraform/"
  else
    fail "terraform fmt -check -recursive terraform/: unformatted or invalid: $(echo "$out" | tr '\n' ' ')"
  fi
else
  # Dangling tfvars symlinks (generated/ not rendered yet) would make fmt stop; check the rest.
  files=()
  while IFS= read -r f; do files+=("$f"); done < <(find terraform \( -name '*.tf' -o -name '*.tfvars' \) ! -xtype l | sort)
  if out="$("$TERRAFORM" fmt -check -no-color "${files[@]}" 2>&1)"; then
    pass "terraform fmt -check on ${#files[@]} files (skipped dangling symlinks: ${dangling[*]}; run platformgen generate)"
  else
    fail "terraform fmt -check: unformatted or invalid: $(echo "$out" | tr '\n' ' ')"
  fi
fi
if [ ${#extra[@]} -gt 0 ]; then
  if out="$("$TERRAFORM" fmt -check -no-color "${extra[@]}" 2>&1)"; then
    pass "terraform fmt -check on the checked tfvars (${#extra[@]} files)"
  else
    fail "terraform fmt -check on the checked tfvars: $(echo "$out" | tr '\n' ' ')"
  fi
fi

# ---------------------------------------------------------------- 3. tfvars against the contract

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for e in "${envs[@]}"; do
  [ -n "${tfvars[$e]:-}" ] || continue
  vf="${tfvars[$e]}"
  if [ ! -f "$vf" ]; then
    fail "$e: tfvars $vf does not exist (render it with: platformgen generate)"
    continue
  fi
  work="$tmp/$e"
  mkdir -p "$work"
  cp "terraform/environments/$e/variables.tf" "$work/variables.tf"
  out="$(TF_DATA_DIR="$work/.terraform" "$TERRAFORM" -chdir="$work" plan -input=false -no-color -lock=false -refresh=false -var-file="$vf" 2>&1)"
  rc=$?
  if [ $rc -ne 0 ]; then
    fail "$e: terraform plan with $vf failed (exit $rc):"
    echo "$out" | grep -vE '^[[:space:]]*$' | grep -vE '^(To silence|certain "global"|reduce the verbosity)' | sed 's/^/        /' | head -150
  elif echo "$out" | grep -qiE 'undeclared variable'; then
    fail "$e: $vf sets variables that terraform/environments/$e/variables.tf does not declare:"
    echo "$out" | grep -iE -A4 'undeclared variable' | sed 's/^/        /' | head -40
  else
    pass "$e: $vf type-checks and passes every validation of environments/$e/variables.tf"
  fi
done

# ---------------------------------------------------------------- 4. checkov

if [ "$run_checkov" != no ]; then
  ckv="${CHECKOV:-}"
  [ -z "$ckv" ] && ckv="$(command -v checkov 2>/dev/null || true)"
  [ -z "$ckv" ] && [ -x "$root/.tools/venv/bin/checkov" ] && ckv="$root/.tools/venv/bin/checkov"
  if [ -z "$ckv" ]; then
    if [ "$run_checkov" = required ]; then
      fail "checkov is not installed (set CHECKOV or put it on PATH)"
    else
      echo "SKIP  checkov is not installed (set CHECKOV or put it on PATH; --require-checkov makes this a failure)"
    fi
  else
    # checkov reads each root's terraform.tfvars: with tfvars given on the command line, scan a
    # copy of terraform/ whose roots hold those files, so the scan sees the values checked above.
    scan_root="$root"
    if [ ${#override[@]} -gt 0 ] || [ -n "$tfvars_dir" ]; then
      scan_root="$tmp/scan"
      mkdir -p "$scan_root"
      cp -R terraform "$scan_root/"
      for e in "${!tfvars[@]}"; do
        if [ -f "${tfvars[$e]}" ]; then
          rm -f "$scan_root/terraform/environments/$e/terraform.tfvars"
          cp "${tfvars[$e]}" "$scan_root/terraform/environments/$e/terraform.tfvars"
        fi
      done
    fi
    out="$(cd "$scan_root" && "$ckv" -d terraform --framework terraform --compact --quiet --skip-download 2>&1)"
    rc=$?
    summary="$(echo "$out" | grep -E 'Passed checks: [0-9]+, Failed checks: [0-9]+' | head -1)"
    if [ $rc -eq 0 ]; then
      pass "checkov: ${summary:-no failed checks}"
    else
      fail "checkov (exit $rc): ${summary:-see output}"
      echo "$out" | sed 's/^/        /' | head -200
    fi
  fi
fi

echo
if [ $failures -eq 0 ]; then
  echo "terraform checks: all passed"
  exit 0
fi
echo "terraform checks: $failures failed"
exit 1
