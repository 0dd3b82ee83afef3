#!/usr/bin/env bash
# SNAIL training speed side by side on one machine: lucaslingle/pytorch_rl2's own train.py (SNAIL,
# 32 features, bandit k 5 n 10 or tabular MDP n 10, one process, its PPO: 8 epochs over minibatches
# of 60 trials) against `pnpm bench snail` doing the same work per update (the same trials per
# update, 8 epochs, minibatches of 60 trials, wasm). Alternates the two, R rounds of K updates
# each, and prints each side's seconds per update, env steps per second and the ratio. The peer's
# seconds per update are the wall time between its update lines (a timestamp per output line);
# metarl's are the median of its iterations (sampling and update).
# Usage: MIRRORS=<folder of bare git mirrors> side-by-side-snail.sh <built metarl checkout> [bandit|mdp] [K=6] [R=2] [TRIALS=600]
# Needs a bare mirror of lucaslingle/pytorch_rl2 as $MIRRORS/lucaslingle+pytorch_rl2/repo and
# Debian's python3-torch python3-mpi4py python3-numpy.
set -u
clone=$(cd "$1" && pwd); task=${2:-bandit}; updates=${3:-6}; rounds=${4:-2}; trials=${5:-600}
out=${OUT:-/tmp/side-by-side-snail}; mkdir -p "$out"
peer=${PEER_DIR:-/tmp/peer-rl2}
if [ ! -f "$peer/train.py" ]; then
  git clone -q "${MIRRORS:?set MIRRORS}/lucaslingle+pytorch_rl2/repo" "$peer" || { echo "peer clone failed"; exit 1; }
  (cd "$peer" && git checkout -q 51afa4b)
fi
if [ "$task" = bandit ]; then peer_env=bandit; ours=bandit; steps_per_trial=10; else peer_env=tabular_mdp; ours=tabular-mdp; steps_per_trial=100; fi
minibatches=$((trials / 60))
for r in $(seq 1 "$rounds"); do
  rm -rf "$out/checkpoints-$r"
  (cd "$peer" && OMP_NUM_THREADS=1 /usr/bin/python3 -u train.py --environment "$peer_env" --architecture snail \
    --num_features 32 --meta_episode_len "$steps_per_trial" --meta_episodes_per_policy_update "$trials" \
    --max_pol_iters "$updates" \
    --model_name "snail-$r" --checkpoint_dir "$out/checkpoints-$r" 2>&1 \
    | while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done) > "$out/peer-$r.log"
  (cd "$clone" && npx -y pnpm@10.34.9 bench snail -- --task "$ours" --iterations "$updates" --trials "$trials" \
    --epochs 8 --minibatches "$minibatches" --test-trials 100 --out "$out/metarl-$r.json" > "$out/metarl-$r.out" 2>&1)
  /usr/bin/python3 - "$out/peer-$r.log" "$out/metarl-$r.json" "$r" "$trials" "$steps_per_trial" <<'PY'
import json, statistics, sys
log, result, round_, trials, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
times = [float(line.split(' ', 1)[0]) for line in open(log) if 'mean meta-episode return' in line]
if len(times) < 3:
    sys.exit(f'round {round_}: the peer logged {len(times)} updates; see {log}')
peer = statistics.median([b - a for a, b in zip(times[:-1], times[1:])])
ours = json.load(open(result))
metarl = ours['medianIterationSeconds']
work = trials * steps
print(f"round {round_}: pytorch_rl2 SNAIL {peer:.2f} s per update ({work / peer:,.0f} env steps/s), "
      f"metarl {metarl:.2f} s ({work / metarl:,.0f} env steps/s): {peer / metarl:.1f}x")
PY
done
