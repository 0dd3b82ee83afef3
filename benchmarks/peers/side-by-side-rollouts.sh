#!/usr/bin/env bash
# Sampling alone on the MAML meta-batch of Navigation2D (20 tasks x 20 episodes x 100 steps), side
# by side on one machine: pytorch-maml-rl's own MultiTaskSampler with 1 worker while nothing else
# runs (peer_sampling.py; the time its `sample_trajectories` takes, which the sampler logs as
# `duration`, summed over the 20 tasks, for the batches before and after adaptation) and
# `pnpm bench rollouts` (`collectEpisodes` of the same 40,000 steps, wasm). Alternates the two, R rounds, and prints each side's env steps per second and
# the ratio. Neither side includes baseline fitting, adaptation or the TRPO step.
# Usage: MIRRORS=<folder of bare git mirrors> side-by-side-rollouts.sh <built metarl checkout> [B=3] [R=2]
# Needs Debian's python3-torch python3-numpy python3-scipy python3-yaml python3-tqdm python3-cloudpickle.
set -u
clone=$(cd "$1" && pwd); batches=${2:-3}; rounds=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/side-by-side-rollouts}; mkdir -p "$out"
export ROOT=${ROOT:-/tmp/peer}
if [ ! -f "$ROOT/maml-rl/train.py" ]; then
  WORKERS="" RUN_TEST=0 bash "$here/pytorch-maml-rl/run_peer.sh" >"$out/prepare.log" 2>&1 || { echo "peer set-up failed: $out/prepare.log"; exit 1; }
fi
cp "$ROOT/maml-rl/configs/maml/2d-navigation.yaml" "$out/nav.yaml"
export PEER_MAML_DIR=$ROOT/maml-rl PEER_GYM_DIR=$ROOT/gym-0.17.2
for r in $(seq 1 "$rounds"); do
  /usr/bin/python3 "$here/pytorch-maml-rl/peer_sampling.py" "$out/nav.yaml" "$batches" 1 > "$out/peer-$r.jsonl" 2> "$out/peer-$r.err"
  (cd "$clone" && npx -y pnpm@10.34.9 bench rollouts -- --backends wasm --out "$out/metarl-$r.json" > "$out/metarl-$r.out" 2>&1)
  /usr/bin/python3 - "$out/peer-$r.jsonl" "$out/metarl-$r.json" "$r" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = rows[1:] if len(rows) > 1 else rows
rates = [(r['train_steps'] + r['valid_steps']) / (r['train_sampling_s'] + r['valid_sampling_s']) for r in rows]
peer = statistics.median(rates)
ours = json.load(open(sys.argv[2]))['results'][0]['envStepsPerSecond']
print(f"round {sys.argv[3]}: pytorch-maml-rl samples {peer:,.0f} env steps/s (median of {len(rates)} batches, first excluded), metarl {ours:,.0f}: {ours/peer:.1f}x")
PY
done
