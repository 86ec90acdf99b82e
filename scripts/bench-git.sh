#!/usr/bin/env bash
# The git rows of issue 17, side by side with the git CLI on the same book:
#
#   scripts/bench-git.sh CRM BOOK [EDITS]
#
# BOOK is a generated book (examples/generate.rs) under git with one commit, as
# scripts/bench.sh makes them; it is reset to that commit first and left there.
# EDITS (default 1000) customer files get a hand edit (a comment line appended).
# Prints, one per line, `name median_ms` for:
#   crm status / git status (clean and with the edits),
#   crm commit / git add -A && git commit (the edits; each run starts uncommitted),
#   crm history ID / git log --follow -- customers/ID.yaml after 50 commits, 25 of
#   which change that customer.
# Settings: BENCH_RUNS (default 5), BENCH_WARMUP (default 1).
set -euo pipefail
CRM=$(realpath "$1"); BOOK=$(realpath "$2"); EDITS=${3:-1000}
RUNS=${BENCH_RUNS:-5}; WARMUP=${BENCH_WARMUP:-1}
export CRM_TODAY=2025-06-15 NO_COLOR=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset CRM_DIR
cd "$BOOK"
BASE=$(git rev-list --max-parents=0 HEAD)
git reset -q --hard "$BASE"; git clean -q -fd
mapfile -t FILES < <(git ls-files customers | head -n "$EDITS")

q() { printf '%q ' "$@"; }
time_ms() { # time_ms NAME PREPARE CMD: prints NAME and the median wall time in ms
    local name=$1 prepare=$2 cmd=$3 csv
    csv=$(mktemp)
    local args=(--style none --warmup "$WARMUP" --runs "$RUNS" -i --export-csv "$csv")
    [ -n "$prepare" ] && args+=(--prepare "$prepare")
    hyperfine "${args[@]}" -- "$cmd" >/dev/null 2>&1
    awk -F, -v n="$name" 'NR==2 {printf "%s %.0f\n", n, $4*1000}' "$csv"
    rm -f "$csv"
}

edit_files() { for f in "${FILES[@]}"; do printf '# hand edit\n' >>"$f"; done; }
edit_files_script=$(mktemp)
printf 'cd %q\n' "$BOOK" >"$edit_files_script"
printf 'git reset -q --hard %q\n' "$BASE" >>"$edit_files_script"
printf 'for f in $(git ls-files customers | head -n %d); do printf "# hand edit\\n" >>"$f"; done\n' "$EDITS" >>"$edit_files_script"

time_ms "crm-status-clean" "" "$(q "$CRM" status)"
time_ms "git-status-clean" "" "git status --porcelain"
edit_files
sleep 2 # edits younger than git's racy-timestamp window would not be stat-cached
time_ms "crm-status-${EDITS}" "" "$(q "$CRM" status)"
time_ms "git-status-${EDITS}" "" "git status --porcelain"
time_ms "crm-commit-${EDITS}" "bash $edit_files_script" "$(q "$CRM" commit -m bench)"
time_ms "git-commit-${EDITS}" "bash $edit_files_script" "git add -A && git commit -q -m bench"

git reset -q --hard "$BASE"
ID=$(basename "${FILES[0]}" .yaml)
OTHER=${FILES[1]}
for i in $(seq 1 25); do
    printf '# change %d\n' "$i" >>"customers/$ID.yaml"; git commit -q -am "c$i"
    printf '# other %d\n' "$i" >>"$OTHER"; git commit -q -am "o$i"
done
time_ms "crm-history-50" "" "$(q "$CRM" history "$ID")"
time_ms "git-log-follow-50" "" "git log --follow --oneline -- customers/$ID.yaml"
git reset -q --hard "$BASE"
rm -f "$edit_files_script"
