#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 does not run on 3.11+).
# Order: $PYTHON310, python3.10 on PATH, pyenv, common install prefixes.
set -u
is310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -rV); do
    candidates+=("$(pyenv root)/versions/$v/bin/python3.10")
  done
fi
for root in "${PYENV_ROOT:-}" "$HOME/.pyenv" /root/.pyenv /opt/pyenv /usr/local/pyenv; do
  [ -n "$root" ] || continue
  for p in $(ls -d "$root"/versions/3.10*/bin/python3.10 2>/dev/null | sort -rV); do candidates+=("$p"); done
done
candidates+=(/usr/local/bin/python3.10 /usr/bin/python3.10 /opt/python3.10/bin/python3.10)
for c in "${candidates[@]}"; do
  if is310 "$c"; then
    # pyenv shims need the real interpreter so the venv doesn't depend on the shim.
    "$c" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "No Python 3.10 found. Install one (e.g. 'pyenv install 3.10') or set PYTHON310=/path/to/python3.10." >&2
exit 1
