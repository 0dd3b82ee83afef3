#!/usr/bin/env bash
# Reproduce the pytorch-maml-rl (tristandeleu) CPU timing baseline from scratch.
#
# Prerequisites (Debian bookworm):
#   apt-get install -y python3-torch python3-numpy python3-scipy python3-yaml \
#                      python3-tqdm python3-cloudpickle
#   bare git mirrors of tristandeleu/pytorch-maml-rl and openai/gym under $MIRRORS
#   as $MIRRORS/<owner>+<name>/repo (or set MAML_MIRROR and GYM_MIRROR to the git dirs).
#   peer_run.py must sit next to this script.
#
# Steps:
#   1. check /usr/bin/python3 can import torch/numpy/scipy/yaml/tqdm/cloudpickle
#   2. export pytorch-maml-rl HEAD (21d4ba1, 2020-08-31) -> $ROOT/maml-rl
#      (file by file: the mirror lacks the blob of _assets/halfcheetahdir.gif)
#   3. export gym tag 0.17.2 (b2727d6, 2020-05-08, last gym release before the
#      peer's last commit) -> $ROOT/gym-0.17.2 ; used via PYTHONPATH only
#   4. write configs: the repo's own yaml with only `num-batches` reduced,
#      plus tabular-mdp.yaml (repo registers TabularMDP-v0 but has no config;
#      hyper-parameters copied from bandit-k5-n10.yaml)
#   5. run peer_run.py train (= repo's train.py, unmodified, + torch.lstsq shim
#      + external timing probes) for each config x NUM_WORKERS, then test.py
#   6. print one TSV row per run (see header) and keep JSONL/stdout logs.
#
# Env overrides: ROOT, OUT, MAML_MIRROR, GYM_MIRROR, SEED, WORKERS,
#                NAV_BATCHES, SMALL_BATCHES, RUN_TEST (1/0), PY
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${ROOT:-/tmp/peer}"
OUT="${OUT:-$ROOT/results}"
MIRRORS="${MIRRORS:-}"
[ -n "$MIRRORS" ] || [ -n "${MAML_MIRROR:-}" ] || { echo "set MIRRORS (folder of bare git mirrors named <owner>+<name>/repo) or MAML_MIRROR and GYM_MIRROR" >&2; exit 2; }
MAML_MIRROR="${MAML_MIRROR:-$MIRRORS/tristandeleu+pytorch-maml-rl/repo}"
GYM_MIRROR="${GYM_MIRROR:-$MIRRORS/openai+gym/repo}"
MAML_REV="${MAML_REV:-HEAD}"
GYM_REV="${GYM_REV:-0.17.2}"
SEED="${SEED:-1}"
WORKERS="${WORKERS-1 2}"     # empty: prepare only, no runs
NAV_BATCHES="${NAV_BATCHES:-5}"
SMALL_BATCHES="${SMALL_BATCHES:-10}"
RUN_TEST="${RUN_TEST:-1}"
PY="${PY:-/usr/bin/python3}"     # Debian python with python3-torch, NOT pyenv

# 1. dependencies ---------------------------------------------------------
"$PY" -c 'import torch, numpy, scipy, yaml, tqdm, cloudpickle; print("torch", torch.__version__, "threads", torch.get_num_threads(), "numpy", numpy.__version__)' \
  || { echo "missing deps: apt-get install -y python3-torch python3-numpy python3-scipy python3-yaml python3-tqdm python3-cloudpickle" >&2; exit 1; }

mkdir -p "$ROOT" "$OUT/logs" "$OUT/configs" "$OUT/models"

# 2. peer repo --------------------------------------------------------------
MAML_DIR="$ROOT/maml-rl"
if [ ! -f "$MAML_DIR/train.py" ]; then
  mkdir -p "$MAML_DIR"
  git --git-dir="$MAML_MIRROR" ls-tree -r "$MAML_REV" --name-only | while read -r f; do
    mkdir -p "$MAML_DIR/$(dirname "$f")"
    git --git-dir="$MAML_MIRROR" show "$MAML_REV:$f" > "$MAML_DIR/$f" 2>/dev/null \
      || { echo "skip (blob missing in mirror): $f" >&2; rm -f "$MAML_DIR/$f"; }
  done
fi
echo "peer commit: $(git --git-dir="$MAML_MIRROR" rev-parse "$MAML_REV")"

# 3. gym source -------------------------------------------------------------
GYM_DIR="$ROOT/gym-$GYM_REV"
if [ ! -f "$GYM_DIR/gym/__init__.py" ]; then
  mkdir -p "$GYM_DIR"
  git --git-dir="$GYM_MIRROR" archive "$GYM_REV" gym | tar -x -C "$GYM_DIR"
fi
echo "gym: $GYM_REV $(git --git-dir="$GYM_MIRROR" rev-parse "$GYM_REV^{commit}")"
export PEER_MAML_DIR="$MAML_DIR" PEER_GYM_DIR="$GYM_DIR"

# 4. configs ----------------------------------------------------------------
reduce() { sed "s/^num-batches: .*/num-batches: $3/" "$1" > "$2"; }
cat > "$OUT/configs/tabular-mdp.yaml" <<'EOF'
# NOT in the peer repo (it registers TabularMDP-v0: 10 states, 5 actions,
# max_episode_steps=10, but ships no config). Values = bandit-k5-n10.yaml.
env-name: "TabularMDP-v0"
gamma: 0.95
gae-lambda: 1.0
first-order: false
hidden-sizes: [32, 32]
nonlinearity: "relu"
fast-batch-size: 10
num-steps: 1
fast-lr: 0.5
num-batches: 500
meta-batch-size: 20
max-kl: 1.0e-2
cg-iters: 10
cg-damping: 1.0e-5
ls-max-steps: 15
ls-backtrack-ratio: 0.8
EOF
reduce "$MAML_DIR/configs/maml/2d-navigation.yaml"        "$OUT/configs/2d-navigation.yaml" "$NAV_BATCHES"
reduce "$MAML_DIR/configs/maml/bandit/bandit-k5-n10.yaml" "$OUT/configs/bandit-k5-n10.yaml" "$SMALL_BATCHES"
reduce "$OUT/configs/tabular-mdp.yaml"                    "$OUT/configs/tabular-mdp.small.yaml" "$SMALL_BATCHES"

# 5. runs -------------------------------------------------------------------
run_train() {  # name config workers
  local name="$1" cfg="$2" w="$3" tag="$1-w$3"
  echo "== train $tag (loadavg $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  PEER_LOG="$OUT/logs/$tag.jsonl" "$PY" "$HERE/peer_run.py" train \
      --config "$cfg" --seed "$SEED" --num-workers "$w" \
      --output-folder "$OUT/models/$tag" > "$OUT/logs/$tag.out" 2>&1
}
for w in $WORKERS; do
  run_train 2d-navigation "$OUT/configs/2d-navigation.yaml"      "$w"
  run_train bandit-k5-n10 "$OUT/configs/bandit-k5-n10.yaml"      "$w"
  run_train tabular-mdp   "$OUT/configs/tabular-mdp.small.yaml"  "$w"
done

if [ "$RUN_TEST" = 1 ]; then
  w1=$(echo $WORKERS | cut -d' ' -f1)
  tag="2d-navigation-w$w1"
  echo "== test $tag" >&2
  /usr/bin/time -f 'PEER_TEST_WALL_S %e' "$PY" "$HERE/peer_run.py" test \
      --config "$OUT/models/$tag/config.json" --policy "$OUT/models/$tag/policy.th" \
      --output "$OUT/models/$tag/results.npz" --meta-batch-size 20 --num-batches 2 \
      --num-workers "$w1" --seed "$SEED" > "$OUT/logs/test-$tag.out" 2>&1
  "$PY" -c "import numpy as np; d=np.load('$OUT/models/$tag/results.npz', allow_pickle=True); print('TEST $tag train_return_mean %.3f valid_return_mean %.3f tasks %d' % (d['train_returns'].mean(), d['valid_returns'].mean(), len(d['tasks'])))"
  grep PEER_TEST_WALL_S "$OUT/logs/test-$tag.out" || true
fi

# 6. table ------------------------------------------------------------------
"$PY" - "$OUT/logs" <<'EOF'
import json, sys, glob, os
print('\t'.join(['run', 'batches', 'mean_s/batch', 'excl_first_s', 'min_s', 'main_cpu_s',
                 'worker_cpu_s', 'env_steps/s', 'ret_before[0]', 'ret_after[0]',
                 'ret_before[-1]', 'ret_after[-1]', 'loadavg_end']))
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.jsonl'))):
    rows = [json.loads(l) for l in open(f)]
    s = [r['summary'] for r in rows if 'summary' in r]
    if not s: continue
    s = s[0]
    fmt = lambda v: '%.3f' % v if isinstance(v, float) else str(v)
    print('\t'.join([os.path.basename(f)[:-6]] + [fmt(s[k]) for k in (
        'batches', 'mean_wall_s', 'mean_wall_s_excl_first', 'min_wall_s',
        'mean_main_cpu_s', 'mean_worker_cpu_s', 'env_steps_per_s',
        'first_train_return', 'first_valid_return', 'last_train_return',
        'last_valid_return')] + ['%.2f' % s['loadavg_end'][0]]))
EOF
echo "per-batch records: $OUT/logs/*.jsonl ; stdout: $OUT/logs/*.out"
