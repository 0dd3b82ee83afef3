#!/usr/bin/env bash
# Reptile's sine demo side by side on one machine: `reptile/sine_demo.py` (the protocol in
# PyTorch, one thread) and `pnpm bench reptile-sinusoid -- --section sine-demo` for the same seed,
# alternating, R rounds; then metarl's seeds trained side by side in one learner (`runs`). Prints
# every training time and the MSE after 1 / 8 / 32 steps, and the ratios of training time.
# Usage: side-by-side-sine-demo.sh <built metarl checkout> [SEEDS=0,1,2,3,4] [ITERATIONS=30000] [TEST_TASKS=1000]
# Needs Debian's python3-torch and python3-numpy (run with /usr/bin/python3).
set -u
clone=$(cd "$1" && pwd); seeds=${2:-0,1,2,3,4}; iterations=${3:-30000}; tests=${4:-1000}
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/side-by-side-sine-demo}; mkdir -p "$out"
first=${seeds%%,*}
for r in 1 2; do
  /usr/bin/python3 "$here/reptile/sine_demo.py" --seed "$first" --iterations "$iterations" --test-tasks "$tests" --out "$out/peer-$r.json" > /dev/null
  (cd "$clone" && npx -y pnpm@10.34.9 bench reptile-sinusoid -- --section sine-demo --seeds "$first" --together no \
    --iterations "$iterations" --testTasks "$tests" --out "$out/metarl-one-$r.json" > "$out/metarl-one-$r.log" 2>&1)
done
(cd "$clone" && npx -y pnpm@10.34.9 bench reptile-sinusoid -- --section sine-demo --seeds "$seeds" --together yes \
  --iterations "$iterations" --testTasks "$tests" --out "$out/metarl-together.json" > "$out/metarl-together.log" 2>&1)
/usr/bin/python3 - "$out" "$seeds" <<'PY'
import json, sys
out, seeds = sys.argv[1], sys.argv[2].split(',')
def mse(d): return ' / '.join(f"{d[f'after{k}']['mean'] if isinstance(d[f'after{k}'], dict) else d[f'after{k}']:.3f}" for k in (1, 8, 32))
peer = [json.load(open(f'{out}/peer-{r}.json')) for r in (1, 2)]
ours = [json.load(open(f'{out}/metarl-one-{r}.json'))['sineDemo'] for r in (1, 2)]
for r in range(2):
    p, o = peer[r], ours[r]
    print(f"round {r + 1}, seed {p['seed']}: PyTorch {p['trainSeconds']} s (MSE after 1/8/32: {mse(p['meanSquaredError'])}), metarl {o['totalTrainSeconds']} s ({mse(o['seeds'][0]['meanSquaredError'])}): {p['trainSeconds'] / o['totalTrainSeconds']:.2f}x")
together = json.load(open(f'{out}/metarl-together.json'))['sineDemo']
peer_mean = sum(p['trainSeconds'] for p in peer) / 2
print(f"metarl, {len(seeds)} seeds side by side: {together['totalTrainSeconds']} s in all, {together['totalTrainSeconds'] / len(seeds):.1f} s per seed; PyTorch one seed after another: {peer_mean * len(seeds):.0f} s ({peer_mean * len(seeds) / together['totalTrainSeconds']:.2f}x)")
PY
