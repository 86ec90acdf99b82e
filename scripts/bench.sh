#!/usr/bin/env bash
# The performance benchmark of crm (issue 7), in one command:
#
#   scripts/bench.sh                 # 1k, 10k and 100k customers
#   scripts/bench.sh 1000 10000      # only these sizes
#
# Builds crm in release mode, generates deterministic books (examples/generate.rs) into
# bench-out/ (git-ignored; reused on later runs), puts each under git with one commit,
# then times warm runs of crm's commands next to `rg -c interactions DIR` as the
# I/O-bound yardstick, measures peak memory with /usr/bin/time, and writes the table to
# docs/performance.md. Commands that `crm --help` does not list are skipped and marked.
#
# Settings: BENCH_RUNS (timed runs per command, default 10; commands that parse every
# file, `check` and "(no cache)", use at most 3, the sync rows at most 5, the fits, "(no fit cache)", at most 3), BENCH_WARMUP
# (default 3), BENCH_OUT (default bench-out), BENCH_SEED (default 1), BENCH_DOC
# (default docs/performance.md), BENCH_ROWS (an extended regex: only the rows whose
# name matches are run, e.g. 'sync|git pull|^rg').
#
# The prediction fit (issue 16) is meant for 20k customers, not 100k, on a shared
# machine: `BENCH_ROWS='^rg|predict' BENCH_DOC=/tmp/perf.md scripts/bench.sh 20000`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BENCH_OUT:-$ROOT/bench-out}
RUNS=${BENCH_RUNS:-10}
WARMUP=${BENCH_WARMUP:-3}
SEED=${BENCH_SEED:-1}
DOC=${BENCH_DOC:-$ROOT/docs/performance.md}
ONLY=${BENCH_ROWS:-}
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(1000 10000 100000); fi

say() { printf 'bench: %s\n' "$*" >&2; }

# --- tools ---------------------------------------------------------------------------
maybe_install() { # maybe_install COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        say "installing $2 (for $1)"
        # A fresh machine has no package lists yet: fetch them once, then install.
        if [ -z "${APT_UPDATED:-}" ]; then
            apt-get update >/dev/null 2>&1 || true
            APT_UPDATED=1
        fi
        apt-get install -y "$2" >/dev/null 2>&1 || true
    fi
    command -v "$1" >/dev/null 2>&1
}
HAVE_HYPERFINE=1; maybe_install hyperfine hyperfine || HAVE_HYPERFINE=0
HAVE_RG=1; maybe_install rg ripgrep || HAVE_RG=0
HAVE_TIME=1; [ -x /usr/bin/time ] || maybe_install /usr/bin/time time || HAVE_TIME=0
[ "$HAVE_HYPERFINE" = 1 ] || say "hyperfine not found: timing with a bash loop instead"
[ "$HAVE_RG" = 1 ] || say "rg not found: no yardstick, ratios are left out"
[ "$HAVE_TIME" = 1 ] || say "/usr/bin/time not found: no peak memory"

say "building crm and the generator (release)"
cargo build --release --quiet --bin crm --example generate
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CRM=$TARGET/release/crm
GEN=$TARGET/release/examples/generate

export CRM_TODAY=2025-06-15 NO_COLOR=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset CRM_DIR

AVAILABLE=$("$CRM" --help | awk '/^Commands:/{f=1; next} f && /^$/{f=0} f {print $1}')
has_command() { grep -qx "$1" <<<"$AVAILABLE"; }

# --- books ---------------------------------------------------------------------------
make_book() { # make_book N -> prints the book folder
    local n=$1 book=$OUT/books/$1-seed$SEED
    if [ ! -f "$book/.bench-ready" ]; then
        rm -rf "$book"
        say "generating $n customers into $book"
        "$GEN" --customers "$n" --seed "$SEED" --out "$book" >&2
        git -C "$book" init -q
        git -C "$book" add -A
        git -C "$book" commit -q -m "Generated book: $n customers, seed $SEED"
        touch "$book/.bench-ready"
        echo .bench-ready >>"$book/.git/info/exclude"
        # Files changed in the last two seconds are not cached yet (see below).
        sleep 2
    fi
    # Each run starts from the generated state (earlier runs of `crm log` appended and
    # committed).
    git -C "$book" reset -q --hard "$(git -C "$book" rev-list --max-parents=0 HEAD)"
    git -C "$book" clean -q -fd
    printf '%s\n' "$book"
}

# --- timing --------------------------------------------------------------------------
# median_ms RUNS PREPARE CMD...: median wall time in ms of RUNS warm runs (PREPARE runs
# before each).
median_ms() {
    local RUNS=$1 prepare=$2; shift 2
    if [ "$HAVE_HYPERFINE" = 1 ]; then
        local csv quoted
        csv=$(mktemp)
        quoted=$(printf '%q ' "$@")
        local args=(--style none --warmup "$WARMUP" --runs "$RUNS" -i --export-csv "$csv")
        [ -n "$prepare" ] && args+=(--prepare "$prepare")
        hyperfine "${args[@]}" -- "$quoted" >/dev/null 2>&1
        # columns: command,mean,stddev,median,user,system,min,max (seconds)
        awk -F, 'NR==2 {printf "%.1f\n", $(NF-4)*1000}' "$csv"
        rm -f "$csv"
    else
        local i t0 t1 times=()
        for ((i = 0; i < WARMUP; i++)); do "$@" >/dev/null 2>&1 || true; done
        for ((i = 0; i < RUNS; i++)); do
            [ -n "$prepare" ] && bash -c "$prepare"
            t0=${EPOCHREALTIME/./}
            "$@" >/dev/null 2>&1 || true
            t1=${EPOCHREALTIME/./}
            times+=($((t1 - t0)))
        done
        printf '%s\n' "${times[@]}" | sort -n |
            awk '{a[NR]=$1} END {m = NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.1f\n", m/1000}'
    fi
}

peak_mb() { # peak_mb CMD...: peak resident memory in MB of one run
    [ "$HAVE_TIME" = 1 ] || { echo "?"; return; }
    local f
    f=$(mktemp)
    /usr/bin/time -f '%M' -o "$f" "$@" >/dev/null 2>&1 || true
    awk '{printf "%.0f\n", $1/1024}' "$f"
    rm -f "$f"
}

# --- the runs ------------------------------------------------------------------------
# name | crm subcommand it needs | target | arguments (ID is replaced)
ROWS=(
    "rg -c interactions DIR|rg||"
    "crm due|due|≤ 0.5× rg|due"
    "crm stats --period quarter|stats|≤ 0.5× rg|stats --period quarter"
    "crm list --format csv|list|≤ 0.5× rg|list --format csv"
    "crm stale|stale|≤ 0.5× rg|stale"
    "crm list --format csv (no cache)|list||list --format csv"
    "crm check|check||check"
    "crm check (no cache)|check|≤ 4× rg|check"
    "crm find grace --format csv|find|≤ 0.5× rg|find grace --format csv"
    "crm show ID|show|< 50 ms|show ID"
    "crm log ID call x|log|< 50 ms|log ID call x"
    "crm log ID call x --commit|log|< 50 ms|log ID call x --commit"
    "git add FILE && git commit (one changed file)|gitcommit||"
    "crm sync (one new interaction on each side)|sync|≤ git pull + push|"
    "git pull --no-rebase && git push (same)|gitsync||"
    "crm set ID company x|set|< 50 ms|set ID company x"
    "crm predict --params (no fit cache)|predict||predict --params"
    "crm predict --limit 10|predict||predict --limit 10"
    "crm log on a customer with 50,000 interactions|biglog|< 50 ms|log big-customer call x"
    "crm import purchases (3 rows each for 23% of customers)|import|≤ Python baseline|"
    "scripts/import-baseline.py (the same file)|pyimport||"
    # The git rows of issue 17, from one run of scripts/bench-git.sh per size (the last
    # field is the name of its output line); each crm row is paired with the git row
    # after it (GIT_PAIR).
    "crm status (clean)|gitbench|≤ 2× git|crm-status-clean"
    "git status --porcelain (clean)|gitbench||git-status-clean"
    "crm status (1,000 changed)|gitbench|≤ 2× git|crm-status-1000"
    "git status --porcelain (1,000 changed)|gitbench||git-status-1000"
    "crm commit -m (1,000 changed)|gitbench|≤ 2× git|crm-commit-1000"
    "git add -A && git commit (1,000 changed)|gitbench||git-commit-1000"
    "crm history ID (50 commits)|gitbench|≤ 2× git|crm-history-50"
    "git log --follow -- path (50 commits)|gitbench||git-log-follow-50"
)
declare -A GIT_PAIR=(
    ["crm status (clean)"]="git status --porcelain (clean)"
    ["crm status (1,000 changed)"]="git status --porcelain (1,000 changed)"
    ["crm commit -m (1,000 changed)"]="git add -A && git commit (1,000 changed)"
    ["crm history ID (50 commits)"]="git log --follow -- path (50 commits)"
)
declare -A MS RSS NOTE

# --- sync ------------------------------------------------------------------------------
# Two clones of a bare copy of the book (a local `file://` remote, so the network does
# not count), with crm's merge driver registered and named in .gitattributes. Before each
# timed run both clones and the remote are put back to the base commit, Alice logs a call
# with customer ID and pushes, and Bob logs an email with the same customer and commits
# (`crm log --commit`); then Bob's `crm sync` is timed against `git pull --no-rebase &&
# git push` (which merges that file with the same driver). Both fetch 1 commit, merge 1
# customer file and push 2 commits.
sync_dir() { # sync_dir BOOK N ID -> prints the folder of the remote and the clones
    local book=$1 n=$2 dir=$OUT/sync/$2-seed$SEED
    if [ ! -f "$dir/.bench-ready" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        say "$n customers: making a bare remote and two clones in $dir"
        git clone -q --bare "$book" "$dir/remote.git"
        # Packed now rather than by the `git gc --auto` that the first push would start
        # in the background while the rows are timed (a local clone links the book's
        # loose objects: one per customer file).
        git -C "$dir/remote.git" gc -q
        git clone -q "file://$dir/remote.git" "$dir/alice"
        printf 'customers/*.yaml merge=crm\n' >"$dir/alice/.gitattributes"
        git -C "$dir/alice" add .gitattributes
        git -C "$dir/alice" commit -q -m "Name crm's merge driver for customer files"
        git -C "$dir/alice" push -q
        git clone -q "file://$dir/remote.git" "$dir/bob"
        "$CRM" -C "$dir/alice" sync >/dev/null
        "$CRM" -C "$dir/bob" sync >/dev/null
        git -C "$dir/bob" rev-parse HEAD >"$dir/base"
        {
            echo '#!/usr/bin/env bash'
            echo 'set -e'
            printf 'dir=%q crm=%q id=%q\n' "$dir" "$CRM" "$3"
            cat <<'PREPARE'
base=$(cat "$dir/base")
branch=$(git -C "$dir/remote.git" symbolic-ref --short HEAD)
git -C "$dir/remote.git" update-ref "refs/heads/$branch" "$base"
for clone in alice bob; do
    git -C "$dir/$clone" reset -q --hard "$base"
    git -C "$dir/$clone" update-ref "refs/remotes/origin/$branch" "$base"
done
"$crm" -C "$dir/alice" log "$id" call 'from alice' --commit >/dev/null 2>&1
git -C "$dir/alice" push -q
"$crm" -C "$dir/bob" log "$id" email 'from bob' --commit >/dev/null 2>&1
PREPARE
        } >"$dir/prepare.sh"
        chmod +x "$dir/prepare.sh"
        touch "$dir/.bench-ready"
    fi
    printf '%s\n' "$dir"
}

bench_sync() { # bench_sync BOOK N ID NAME sync|gitsync
    local book=$1 n=$2 id=$3 name=$4 which=$5 dir cmd
    dir=$(sync_dir "$book" "$n" "$id")
    if [ "$which" = sync ]; then
        has_command sync || { NOTE[$name]="skipped: \`crm sync\` is not in \`crm --help\` yet"; return; }
        cmd=("$CRM" -C "$dir/bob" sync)
    else
        cmd=(bash -c "cd $(printf %q "$dir/bob") && git pull -q --no-rebase --no-edit && git push -q")
    fi
    # One plain run first: a command that fails is reported, not timed.
    "$dir/prepare.sh"
    local status=0
    "${cmd[@]}" >/dev/null 2>"$OUT/last-stderr" || status=$?
    if [ "$status" -ne 0 ]; then
        NOTE[$name]="failed (exit $status): $(head -n 1 "$OUT/last-stderr")"
        return
    fi
    say "$n customers: $name"
    "$dir/prepare.sh"
    RSS[$name,$n]=$(peak_mb "${cmd[@]}")
    MS[$name,$n]=$(median_ms "$((RUNS < 5 ? RUNS : 5))" "$dir/prepare.sh" "${cmd[@]}")
}

# --- the write path (issue 17) ---------------------------------------------------------
# A customer with 50,000 interactions (about 3 MB), written beside the book's customers
# for its row only, and a purchases file of 3 rows for each of 23% of the customers
# (69k rows for 23k customers at 100k, as in the issue), a tenth of them for customers
# the book does not have yet.
big_customer() { # big_customer FILE
    python3 - "$1" <<'PY'
import random, sys
r = random.Random(1)
kinds = ["call", "email", "purchase", "note", "feedback", "meeting"]
with open(sys.argv[1], "w") as f:
    f.write("name: Big Customer\nemail: big@example.com\ntags: [vip, wholesale]\nfollow_up:\n  every: 30d\ninteractions:\n")
    for i in range(50000):
        k = kinds[i % len(kinds)]
        f.write("  - date: 20%02d-%02d-%02d\n    kind: %s\n" % (15 + i // 5000, 1 + i % 12, 1 + i % 28, k))
        if i % 2:
            f.write('    summary: "entry %d"\n' % i)
        if k == "purchase":
            f.write("    amount: %d.%02d\n    items: [widget, gadget]\n" % (r.randint(1, 900), r.randint(0, 99)))
        if k == "feedback":
            f.write("    rating: %d\n" % r.randint(1, 5))
PY
}

purchases_csv() { # purchases_csv BOOK FILE
    python3 - "$1" "$2" <<'PY'
import os, sys
ids = sorted(f[:-5] for f in os.listdir(os.path.join(sys.argv[1], "customers")) if f.endswith(".yaml"))
chosen = [i for n, i in enumerate(ids) if n % 13 < 3]
rows = ["customer,date,amount,item,name"]
for n, cid in enumerate(chosen):
    name = ""
    if n % 10 == 9:
        cid, name = "new-customer-%d" % n, "New Customer %d" % n
    for k in range(3):
        rows.append("%s,2025-0%d-%02d,%d.%02d,item %d,%s" % (cid, 1 + k, 1 + n % 28, 10 + n % 90, k * 7, k, name))
with open(sys.argv[2], "w") as f:
    f.write("\n".join(rows) + "\n")
PY
}

bench_import() { # bench_import BOOK N NAME import|pyimport
    local book=$1 n=$2 name=$3 which=$4 csv=$OUT/purchases-$2.csv cmd
    command -v python3 >/dev/null 2>&1 || { NOTE[$name]="skipped: python3 is not installed"; return; }
    rm -f "$book/customers/big-customer.yaml"
    [ -f "$csv" ] || purchases_csv "$book" "$csv"
    if [ "$which" = import ]; then
        has_command import || { NOTE[$name]="skipped: \`crm import\` is not in \`crm --help\` yet"; return; }
        cmd=("$CRM" -C "$book" import purchases "$csv")
    else
        cmd=(python3 "$ROOT/scripts/import-baseline.py" "$book" "$csv")
    fi
    local reset
    reset="git -C $(printf %q "$book") checkout -q -- customers && git -C $(printf %q "$book") clean -q -fd customers"
    bash -c "$reset"
    local status=0
    "${cmd[@]}" >/dev/null 2>"$OUT/last-stderr" || status=$?
    if [ "$status" -ne 0 ]; then
        NOTE[$name]="failed (exit $status): $(head -n 1 "$OUT/last-stderr")"
        bash -c "$reset"
        return
    fi
    say "$n customers: $name"
    bash -c "$reset"
    RSS[$name,$n]=$(peak_mb "${cmd[@]}")
    MS[$name,$n]=$(median_ms "$((RUNS < 5 ? RUNS : 5))" "$reset" "${cmd[@]}")
    bash -c "$reset"
}

for n in "${SIZES[@]}"; do
    GITBENCH_DONE=
    book=$(make_book "$n")
    id=$(find "$book/customers" -maxdepth 1 -name '*.yaml' -printf '%f\n' | sort | sed -n 1p)
    id=${id%.yaml}
    rm -f "$book/.crm/summaries.cache" "$book/.crm/check.cache"
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name needs target args <<<"$row"
        if [ -n "$ONLY" ] && ! grep -Eq -- "$ONLY" <<<"$name"; then continue; fi
        case $needs in sync | gitsync)
            bench_sync "$book" "$n" "$id" "$name" "$needs"
            continue ;;
        import | pyimport)
            bench_import "$book" "$n" "$name" "$needs"
            continue ;;
        biglog)
            [ -f "$OUT/big-customer.yaml" ] || big_customer "$OUT/big-customer.yaml"
            cp "$OUT/big-customer.yaml" "$book/customers/big-customer.yaml"
            needs=log ;;
        gitbench)
            # All eight rows come from one run (it times crm and git in the same minute).
            if [ -z "${GITBENCH_DONE:-}" ]; then
                say "$n customers: scripts/bench-git.sh"
                GITBENCH_OUT=$(BENCH_RUNS=$((RUNS < 5 ? RUNS : 5)) BENCH_WARMUP=1 \
                    "$ROOT/scripts/bench-git.sh" "$CRM" "$book" 1000 2>"$OUT/last-stderr" || true)
                GITBENCH_DONE=1
            fi
            ms=$(awk -v k="$args" '$1 == k {print $2}' <<<"$GITBENCH_OUT")
            if [ -n "$ms" ]; then MS[$name,$n]=$ms; else NOTE[$name]="failed: $(head -n 1 "$OUT/last-stderr")"; fi
            continue ;;
        esac
        if [ "$needs" = rg ]; then
            [ "$HAVE_RG" = 1 ] || { NOTE[$name]="skipped: rg is not installed"; continue; }
            cmd=(rg -c interactions "$book")
        elif [ "$needs" = gitcommit ]; then
            # The yardstick of `crm log --commit`: the git CLI committing one changed
            # customer file on the same book (a comment line appended each run).
            cmd=(bash -c "cd $(printf %q "$book") && echo '# bench' >>customers/$id.yaml && git add customers/$id.yaml && git commit -q -m bench")
        else
            if ! has_command "$needs"; then
                NOTE[$name]="skipped: \`crm $needs\` is not in \`crm --help\` yet"
                continue
            fi
            read -r -a words <<<"${args//ID/$id}"
            cmd=("$CRM" -C "$book" "${words[@]}")
            # One plain run first: a command that fails is reported, not timed.
            status=0
            "${cmd[@]}" >/dev/null 2>"$OUT/last-stderr" || status=$?
            if [ "$status" -ne 0 ] && ! { [ "$needs" = check ] && [ "$status" = 1 ]; }; then
                NOTE[$name]="failed (exit $status): $(head -n 1 "$OUT/last-stderr")"
                continue
            fi
        fi
        prepare=""
        case $name in
            *"(no cache)"*) prepare="rm -f $(printf %q "$book/.crm/summaries.cache") $(printf %q "$book/.crm/check.cache")" ;;
            *"(no fit cache)"*) prepare="rm -f $(printf %q "$book/.crm/predict-fit.json")" ;;
        esac
        say "$n customers: $name"
        [ -n "$prepare" ] && bash -c "$prepare"
        runs=$RUNS
        case $name in *"(no cache)"* | *"(no fit cache)"* | *check*) runs=$((RUNS < 3 ? RUNS : 3)) ;; esac
        RSS[$name,$n]=$(peak_mb "${cmd[@]}")
        MS[$name,$n]=$(median_ms "$runs" "$prepare" "${cmd[@]}")
        rm -f "$book/customers/big-customer.yaml"
    done
    git -C "$book" reset -q --hard "$(git -C "$book" rev-list --max-parents=0 HEAD)"
done

# --- the report ----------------------------------------------------------------------
LAST=${SIZES[${#SIZES[@]}-1]}
label() { # 1000 -> 1k
    local n=$1
    if ((n >= 1000 && n % 1000 == 0)); then echo "$((n / 1000))k"; else echo "$n"; fi
}
ratio() { # ratio NAME N -> "1.4×" or ""
    local a=${MS[$1,$2]:-} b=${MS["rg -c interactions DIR",$2]:-}
    [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f×", a/b}'
}
verdict() { # verdict NAME TARGET
    local name=$1 target=$2 ms=${MS[$1,$LAST]:-}
    [ -z "$target" ] && { echo "—"; return; }
    [ -z "$ms" ] && { echo "not measured"; return; }
    case $target in
        "< 50 ms") awk -v m="$ms" 'BEGIN {print (m < 50) ? "met" : "**not met**"}' ;;
        "≤ "*"× rg")
            local rg=${MS["rg -c interactions DIR",$LAST]:-} times=${target#≤ }
            times=${times%× rg}
            [ -z "$rg" ] && { echo "no rg"; return; }
            awk -v m="$ms" -v r="$rg" -v k="$times" 'BEGIN {print (m <= k * r) ? "met" : "**not met**"}' ;;
        "≤ 2× git")
            local git=${MS[${GIT_PAIR[$name]:-none},$LAST]:-}
            [ -z "$git" ] && { echo "no git"; return; }
            awk -v m="$ms" -v g="$git" 'BEGIN {printf "%s (%.1f×)", (m <= 2 * g) ? "met" : "**not met**", m / g}' ;;
        "≤ git pull + push")
            local git=${MS["git pull --no-rebase && git push (same)",$LAST]:-}
            [ -z "$git" ] && { echo "no git"; return; }
            awk -v m="$ms" -v g="$git" 'BEGIN {print (m <= g) ? "met" : "**not met**"}' ;;
        "≤ Python baseline")
            local py=${MS["scripts/import-baseline.py (the same file)",$LAST]:-}
            [ -z "$py" ] && { echo "no baseline"; return; }
            awk -v m="$ms" -v p="$py" 'BEGIN {print (m <= p) ? "met" : "**not met**"}' ;;
    esac
}

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo 2>/dev/null || true)
fs=$(stat -f -c %T "$OUT" 2>/dev/null || echo "?")
mkdir -p "$(dirname "$DOC")"
# The hand-written sections survive a new run: everything before "## Results" (what is
# measured and how, why it is fast), taken from DOC or else from docs/performance.md,
# and the "## Notes" section at the end.
preamble_of() { [ -f "$1" ] && grep -q '^## Results' "$1" && awk '/^## Results/ {exit} {print}' "$1"; }
PREAMBLE=$(preamble_of "$DOC" || preamble_of "$ROOT/docs/performance.md" || printf '# Performance\n')
PREAMBLE+=$'\n'
NOTES=$( [ -f "$DOC" ] && awk '/^## Notes/ {f = 1} f' "$DOC" || true)
{
    printf '%s\n' "$PREAMBLE"
    echo "## Results"
    echo
    printf '| command |'
    for n in "${SIZES[@]}"; do printf ' %s |' "$(label "$n")"; done
    printf ' peak RSS at %s | target at %s | met |\n' "$(label "$LAST")" "$(label "$LAST")"
    printf '|---|'
    for _ in "${SIZES[@]}"; do printf -- '--:|'; done
    printf -- '--:|---|---|\n'
    for row in "${ROWS[@]}"; do
        IFS='|' read -r name needs target args <<<"$row"
        printf '| `%s` |' "$name"
        if [ -n "${NOTE[$name]:-}" ] && [ -z "${MS[$name,$LAST]:-}" ]; then
            for _ in "${SIZES[@]}"; do printf ' — |'; done
            printf ' — | %s | %s |\n' "${target:-—}" "${NOTE[$name]}"
            continue
        fi
        for n in "${SIZES[@]}"; do
            ms=${MS[$name,$n]:-}
            if [ -z "$ms" ]; then printf ' — |'; continue; fi
            r=$(ratio "$name" "$n")
            if [ "$needs" = rg ] || [ "$needs" = gitbench ] || [ -z "$r" ]; then printf ' %s ms |' "$ms"; else printf ' %s ms (%s) |' "$ms" "$r"; fi
        done
        printf ' %s MB | %s | %s |\n' "${RSS[$name,$LAST]:-?}" "${target:-—}" "$(verdict "$name" "$target")"
    done
    echo
    echo "Times are medians of $RUNS warm runs (3 for \`check\` and \"no cache\", which parse"
    echo "every file); (N×) is the ratio to \`rg\` on the same book. The machine is shared"
    echo "with other jobs, so absolute numbers vary by tens of percent between runs; \`rg\` is"
    echo "timed on the same book just before the crm commands."
    echo "Memory target: peak RSS of the warm whole-book reads at 100k under 100 MB."
    echo
    echo "## Machine"
    echo
    echo "- $(uname -srm); ${cpu:-unknown CPU}, $(nproc) cores, ${mem:-? GB} RAM; books on $fs"
    echo "- crm $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') built with $(rustc --version 2>/dev/null || echo rustc)"
    echo "- timing: $([ "$HAVE_HYPERFINE" = 1 ] && hyperfine --version || echo 'bash loop with EPOCHREALTIME'); yardstick: $([ "$HAVE_RG" = 1 ] && rg --version | sed -n 1p || echo none)"
    echo "- measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`scripts/bench.sh ${SIZES[*]}\`"
    if [ -n "$NOTES" ]; then
        echo
        printf '%s\n' "$NOTES"
    fi
} >"$DOC"
say "wrote $DOC"
