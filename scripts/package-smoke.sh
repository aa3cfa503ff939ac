#!/usr/bin/env bash
# The package the way a user gets it: `npm pack`, then the tarball installed into an empty project and globally
# (into a temporary prefix), on Node 24 and on the lowest Node litmus claims (22.13, the `node@22.13.0` package),
# and used: the CLI, an ES module, CommonJS require(), and a TypeScript project type-checked against the
# published declarations (with skipLibCheck, as `tsc --init` sets it: some dependencies' own declarations need
# the DOM library). Packages come from npm's cache when they are there (--prefer-offline).
#
#   bash scripts/package-smoke.sh [NODE_VERSION...]      (default: 24 22.13.0)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VERSIONS=("$@")
[ ${#VERSIONS[@]} -gt 0 ] || VERSIONS=(24 22.13.0)
WORK="$(mktemp -d /tmp/litmus-package-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
NPM=(npm --prefer-offline --no-audit --no-fund --loglevel=error)

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'package smoke: %s\n' "$*" >&2; exit 1; }
# Runs a command, failing with its output unless stdout has the expected text.
expect_output() { # $1: expected text, rest: command
  local expected="$1" out
  shift
  out="$("$@" 2>"$WORK/stderr")" || fail "$* failed: $(cat "$WORK/stderr")"
  grep -qF -- "$expected" <<<"$out" || fail "$* printed \"$out\", expected \"$expected\" ($(cat "$WORK/stderr"))"
  printf 'ok  %s\n' "$*"
}

step "npm pack (builds dist/ first)"
"${NPM[@]}" pack --pack-destination "$WORK" >"$WORK/pack.log"
TARBALL="$(ls "$WORK"/litmus-code-*.tgz)"
NAME="$(node -p 'require("./package.json").name')"
VERSION="$(node -p 'require("./package.json").version')"
tar -tzf "$TARBALL" >"$WORK/contents"
grep -q "^package/dist/cli/main.js$" "$WORK/contents" || fail "the tarball has no dist/cli/main.js"
grep -q "^package/dist/sandbox/kernels/supervisor.py$" "$WORK/contents" || fail "the tarball has no kernels"
! grep -q "^package/src/\|^package/test/\|__pycache__" "$WORK/contents" || fail "the tarball ships sources, tests or bytecode"
printf 'ok  %s: %s files, %s\n' "$(basename "$TARBALL")" "$(wc -l <"$WORK/contents")" "$(du -h "$TARBALL" | cut -f1)"

# What `npm publish` would do with it, warnings included (dist/ is already built: no second build).
npm publish --dry-run --ignore-scripts >"$WORK/publish.log" 2>&1 || fail "npm publish --dry-run: $(cat "$WORK/publish.log")"
! grep -qi "warn" "$WORK/publish.log" || fail "npm publish --dry-run warns: $(grep -i warn "$WORK/publish.log")"
printf 'ok  npm publish --dry-run: clean\n'

printf 'print("hello from python")\n' >"$WORK/hello.py"
printf 'console.log("hello from javascript")\n' >"$WORK/hello.js"

for NODE_VERSION in "${VERSIONS[@]}"; do
  APP="$WORK/app-$NODE_VERSION"
  step "Node $NODE_VERSION: npm install TARBALL node@$NODE_VERSION into an empty project"
  mkdir -p "$APP" && cd "$APP"
  "${NPM[@]}" init -y >/dev/null
  "${NPM[@]}" install "$TARBALL" "node@$NODE_VERSION" typescript@6 @types/node@24 >/dev/null
  export PATH="$APP/node_modules/.bin:$PATH"
  printf 'ok  installed, node %s\n' "$(node --version)"

  expect_output "$VERSION" npx litmus --version
  expect_output "hello from python" npx litmus run "$WORK/hello.py"
  expect_output "hello from javascript" npx litmus run "$WORK/hello.js"
  expect_output "Qwen2.5-Coder 0.5B Instruct" npx litmus models list
  expect_output '"exitCode": 0' npx litmus run --json "$WORK/hello.py"

  cat >esm.mjs <<EOF
import { Sandbox } from "$NAME/sandbox";
const sandbox = await Sandbox.create(); // \`await using\` needs Node 24
try {
  const execution = await sandbox.runCode("x = 6 * 7\nx");
  console.log("esm:", execution.text);
} finally {
  await sandbox.kill();
}
EOF
  expect_output "esm: 42" node esm.mjs

  cat >require.cjs <<EOF
const { Sandbox } = require("$NAME/sandbox");
const { VERSION } = require("$NAME");
(async () => {
  const sandbox = await Sandbox.create();
  const execution = await sandbox.runCode("print(sum(range(10)))");
  await sandbox.kill();
  console.log("cjs:", execution.logs.stdout.join("").trim(), VERSION);
})();
EOF
  expect_output "cjs: 45 $VERSION" node require.cjs

  cat >typed.ts <<EOF
import { generateText, isStepCount, type LanguageModel } from "ai";
import { type Execution, VERSION } from "$NAME";
import { sandboxTools } from "$NAME/ai";
import { Sandbox, type SandboxOptions } from "$NAME/sandbox";
import { solve } from "$NAME/loop";
import { evaluateSamples } from "$NAME/bench";

const options: SandboxOptions = { language: "python", limits: { memoryBytes: 256 * 1024 * 1024 } };
const sandbox: Sandbox = await Sandbox.create(options);
const execution: Execution = await sandbox.runCode("1 + 1");
const count: number = execution.executionCount;
export async function agent(model: LanguageModel): Promise<string> {
  await using tools = sandboxTools({ sandbox: options });
  const { text } = await generateText({ model, tools: tools.tools, stopWhen: isStepCount(4), prompt: "hi" });
  return text;
}
export { count, evaluateSamples, solve, VERSION };
EOF
  cat >tsconfig.json <<EOF
{ "compilerOptions": { "target": "es2024", "lib": ["es2024", "esnext.disposable"], "module": "nodenext",
  "moduleResolution": "nodenext", "strict": true, "noEmit": true, "types": ["node"], "skipLibCheck": true },
  "files": ["typed.ts"] }
EOF
  node -e 'const p=require("./package.json"); p.type="module"; require("fs").writeFileSync("package.json", JSON.stringify(p))'
  "${NPM[@]}" install ai@"$(node -p "require('$ROOT/node_modules/ai/package.json').version")" >/dev/null
  npx tsc -p . >"$WORK/tsc.log" 2>&1 || fail "tsc --noEmit against the published declarations: $(cat "$WORK/tsc.log")"
  printf 'ok  tsc --noEmit of a TypeScript project importing %s, /sandbox, /ai, /loop, /bench\n' "$NAME"

  step "Node $NODE_VERSION: npm install -g TARBALL into a temporary prefix"
  GLOBAL="$WORK/global-$NODE_VERSION"
  "${NPM[@]}" install -g --prefix "$GLOBAL" "$TARBALL" >/dev/null
  expect_output "$VERSION" "$GLOBAL/bin/litmus" --version
  expect_output "hello from python" "$GLOBAL/bin/litmus" run "$WORK/hello.py"
  cd "$ROOT"
  PATH="${PATH#"$APP/node_modules/.bin:"}"
done

step "an old Node is refused with what to do"
OLD_NODE="$(command -v node)"
if [ "$("$OLD_NODE" -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  set +e
  "$OLD_NODE" "$WORK/global-${VERSIONS[0]}/lib/node_modules/$NAME/bin/litmus.js" --version 2>"$WORK/stderr"
  status=$?
  set -e
  [ "$status" -eq 3 ] && grep -q "needs Node.js 22.13 or newer" "$WORK/stderr" || fail "Node $("$OLD_NODE" --version) was not refused clearly ($status: $(cat "$WORK/stderr"))"
  printf 'ok  %s: %s\n' "$("$OLD_NODE" --version)" "$(cat "$WORK/stderr")"
else
  printf 'skipped: no Node older than 22 on PATH\n'
fi
printf '\npackage smoke: all passed\n'
