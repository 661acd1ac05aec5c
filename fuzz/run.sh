#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (default 300 s in all, split between them):
# workflow files (seeded with the test fixtures), JUnit reports and step text for the shell
# substitution. Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
share=$((seconds / 3))
mkdir -p fuzz/artifacts fuzz/corpus-run/workflow fuzz/corpus-run/junit fuzz/corpus-run/shell
cp tests/workflows/valid/*.yaml tests/workflows/invalid/*.yaml tests/workflows/demo/*.yaml \
  fuzz/corpus-run/workflow/
printf '<testsuite><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>' \
  > fuzz/corpus-run/junit/seed.xml
printf 'echo "${Build.V}" '"'"'${Secrets.T}'"'"' \\${A.B} ${HOME}' > fuzz/corpus-run/shell/seed.sh
common=(-max_total_time="$share" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
  -artifact_prefix=fuzz/artifacts/)
build/fuzz/workflow_fuzzer fuzz/corpus-run/workflow -dict=fuzz/workflow.dict -max_len=16384 \
  "${common[@]}"
build/fuzz/junit_fuzzer fuzz/corpus-run/junit -max_len=8192 "${common[@]}"
build/fuzz/shell_substitution_fuzzer fuzz/corpus-run/shell -max_len=4096 "${common[@]}"
