# shellcheck shell=bash
# source tests/tools/bin/tools-env.sh
# Put the validators installed by tests/tools/install.sh and the wrappers in tests/tools/bin on
# PATH, and set the environment every Terraform call here must run with. Safe to source twice.
# Does not install anything: run tests/tools/install.sh first (the wrappers exit 127 otherwise).
_tools_here="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"
_tools_root="$(cd "$_tools_here/../../.." && pwd)"
_tools_dir="${TOOLS_DIR:-$_tools_root/.tools}"
for _tools_p in "$_tools_here" "$_tools_dir/npm/node_modules/.bin" "$_tools_dir/venv/bin" "$_tools_dir/bin"; do
    case ":$PATH:" in
        *":$_tools_p:"*) ;;
        *) PATH="$_tools_p:$PATH" ;;
    esac
done
export PATH
# The image points TF_CLI_CONFIG_FILE at a file that does not exist, and plain terraform
# would otherwise try to phone home (checkpoint) or talk as if interactive.
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset _tools_here _tools_root _tools_dir _tools_p
