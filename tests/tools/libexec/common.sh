# shellcheck shell=bash
# Sourced by the wrappers in tests/tools/bin: locate the repository and the installed tools.
# A wrapper whose tool is missing exits 127 with a message naming the installer; it never
# exits 0 without having checked anything.
TOOLS_LIBEXEC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS_ROOT="$(cd "$TOOLS_LIBEXEC/../../.." && pwd)"
TOOLS="${TOOLS_DIR:-$TOOLS_ROOT/.tools}"
TOOLS_PY="$TOOLS/venv/bin/python"

tools_missing() { # WRAPPER WHAT
    printf '%s: error: %s is not installed; run %s/tests/tools/install.sh\n' "$1" "$2" "$TOOLS_ROOT" >&2
    exit 127
}

# tools_need_py_pkg WRAPPER PKGDIR: the venv exists and holds site-packages/PKGDIR.
tools_need_py_pkg() {
    [[ -x "$TOOLS_PY" ]] || tools_missing "$1" "the Python venv ($TOOLS/venv)"
    compgen -G "$TOOLS/venv/lib/python3*/site-packages/$2" >/dev/null ||
        tools_missing "$1" "Python package $2 (in $TOOLS/venv)"
}
