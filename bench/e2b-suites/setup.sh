#!/usr/bin/env bash
# Sets up E2B's SDK test suites in /tmp/e2b-suites (outside the litmus repository), from the registries only.
# What was measured: code-interpreter 7df1757bfd5baa037f909ce97c2dbe014da973c0, E2B b8029973aa7da5f741f7bb1a9f833b38a0885438,
# and a snapshot of this litmus checkout's HEAD. Needs git, curl, node 24 (litmus's node_modules/.bin),
# /usr/bin/python3 (3.11) and network access to github.com (or the mirrors), npm and PyPI.
set -eu
W=${E2B_SUITES_WORK:-/tmp/e2b-suites}
LITMUS=${LITMUS:-$(cd "$(dirname "$0")/../.." && pwd)}
CI_COMMIT=${CI_COMMIT:-7df1757bfd5baa037f909ce97c2dbe014da973c0}
E2B_COMMIT=${E2B_COMMIT:-b8029973aa7da5f741f7bb1a9f833b38a0885438}
export PATH=$LITMUS/node_modules/.bin:$PATH
mkdir -p "$W"
cd "$W"

# 1. The two repositories at the measured commits (here they came from bare mirrors: /work/.mirror/e2b-dev+NAME/repo,
#    extracted with `git --git-dir=... archive HEAD | tar -x -C NAME`).
for pair in "code-interpreter $CI_COMMIT" "E2B $E2B_COMMIT"; do
  set -- $pair
  if [ ! -d "$1" ]; then
    if [ -d "/work/.mirror/e2b-dev+$1/repo" ]; then
      mkdir -p "$1" && git --git-dir="/work/.mirror/e2b-dev+$1/repo" archive "$2" | tar -x -C "$1"
    else
      git clone -q "https://github.com/e2b-dev/$1" "$1" && git -C "$1" checkout -q "$2"
    fi
  fi
done

# 2. JavaScript: the pnpm workspaces with their lock files (pnpm 10.34.5, the repos' packageManager).
#    code-interpreter js (@e2b/code-interpreter 2.7.1 from source, e2b 2.39.0, vitest 4.1.10)
(cd code-interpreter && npx -y pnpm@10.34.5 install --frozen-lockfile --filter @e2b/code-interpreter)
#    E2B js-sdk (e2b 2.45.0 from source, vitest 4.1.10)
(cd E2B && npx -y pnpm@10.34.5 install --frozen-lockfile --filter e2b)

# 3. Python: two venvs from /usr/bin/python3 (3.11.2), at the versions of the repos' lock files
#    (code-interpreter/python/poetry.lock, E2B/packages/python-sdk/uv.lock), plus pytest-timeout for the bound.
/usr/bin/python3 -m venv venv-ci
venv-ci/bin/pip install -q e2b==2.39.1 httpx==0.28.1 attrs==26.1.0 pytest==9.0.3 pytest-asyncio==1.3.0 \
  pytest-xdist==3.8.0 python-dotenv==1.2.2 pytest-dotenv==0.5.2 matplotlib==3.10.9 pytest-timeout==2.4.0
venv-ci/bin/pip install -q --no-deps -e code-interpreter/python # e2b-code-interpreter 2.9.1 from source
/usr/bin/python3 -m venv venv-core
venv-core/bin/pip install -q python-dateutil==2.9.0.post0 wcmatch==11.0 protobuf-py==0.1.1 httpx==0.28.1 h2==4.4.1 \
  attrs==26.1.0 packaging==26.2 typing-extensions==4.16.0 dockerfile-parse==2.0.1 rich==15.0.0 connectrpc==0.11.1 \
  pyqwest==0.10.0 pytest==9.1.1 pytest-asyncio==1.4.0 pytest-xdist==3.8.0 python-dotenv==1.2.2 pytest-dotenv==0.5.2 \
  pytest-timeout==2.4.0
venv-core/bin/pip install -q --no-deps -e E2B/packages/python-sdk # e2b 2.45.1 from source

# 4. A snapshot of litmus at one commit (its working tree was changing during the measurement), sharing
#    litmus's node_modules. The code-interpreter template is built once into litmus's cache on first use.
sha=$(git -C "$LITMUS" rev-parse HEAD)
snap=$W/litmus-${sha:0:7}
if [ ! -d "$snap" ]; then
  mkdir -p "$snap" && git -C "$LITMUS" archive HEAD | tar -x -C "$snap"
  ln -s "$LITMUS/node_modules" "$snap/node_modules"
  echo "$sha" >"$snap/COMMIT"
fi
echo "ready: $snap"
