"""The Reptile sine demo's protocol in PyTorch, as the peer of `pnpm bench reptile-sinusoid`.

Written from the protocol the Reptile blog post describes (Nichol, Achiam & Schulman 2018):
MLP 1-64-64-1 tanh with PyTorch's default initialisation; one task y = A sin(x + phi),
A ~ U[0.1, 5), phi ~ U[0, 2 pi), per meta-step; inner loop one epoch over the 50 grid points
linspace(-5, 5, 50) in shuffled mini-batches of 10 (5 SGD steps at 0.02); outer step
theta <- theta + eps (phi - theta) with eps = 0.1 (1 - i / n).

Evaluation as docs/benchmarks.md section 4c: test tasks, K = 10 grid points drawn with
replacement, k full-batch SGD steps at 0.02, MSE on the 50 grid points.

usage: python3 sine_demo.py --seed 0 --iterations 30000 --test-tasks 1000 [--out result.json]
Prints one JSON document (training seconds, MSE after k steps).
"""
import argparse
import copy
import json
import time

import numpy as np
import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument('--seed', type=int, default=0)
parser.add_argument('--iterations', type=int, default=30000)
parser.add_argument('--test-tasks', type=int, default=1000)
parser.add_argument('--out', default='')
args = parser.parse_args()

torch.set_num_threads(1)
torch.manual_seed(args.seed)
rng = np.random.RandomState(args.seed)
grid = np.linspace(-5, 5, 50)[:, None]
STEP = 0.02


def make_model():
    return nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))


def sgd_step(model, x, y):
    model.zero_grad()
    loss = (model(torch.tensor(x, dtype=torch.float32)) - torch.tensor(y, dtype=torch.float32)).pow(2).mean()
    loss.backward()
    for parameter in model.parameters():
        parameter.data -= STEP * parameter.grad.data


def evaluate(model, tasks, eval_rng, steps=(0, 1, 2, 4, 8, 16, 32)):
    errors = {k: [] for k in steps}
    for amplitude, phase in tasks:
        y_grid = amplitude * np.sin(grid + phase)
        picks = eval_rng.choice(len(grid), size=10)
        adapted = copy.deepcopy(model)
        for k in range(max(steps) + 1):
            if k in errors:
                with torch.no_grad():
                    prediction = adapted(torch.tensor(grid, dtype=torch.float32)).numpy()
                errors[k].append(float(np.mean((prediction - y_grid) ** 2)))
            if k < max(steps):
                sgd_step(adapted, grid[picks], y_grid[picks])
    return {f'after{k}': float(np.mean(v)) for k, v in errors.items()}


model = make_model()
test_rng = np.random.RandomState(2018)
test_tasks = [(test_rng.uniform(0.1, 5), test_rng.uniform(0, 2 * np.pi)) for _ in range(args.test_tasks)]
started = time.perf_counter()
for iteration in range(args.iterations):
    before = copy.deepcopy(model.state_dict())
    phase = rng.uniform(0, 2 * np.pi)
    amplitude = rng.uniform(0.1, 5)
    y_all = amplitude * np.sin(grid + phase)
    order = rng.permutation(len(grid))
    for start in range(0, len(grid), 10):
        batch = order[start:start + 10]
        sgd_step(model, grid[batch], y_all[batch])
    after = model.state_dict()
    eps = 0.1 * (1 - iteration / args.iterations)
    model.load_state_dict({name: before[name] + (after[name] - before[name]) * eps for name in before})
train_seconds = time.perf_counter() - started
result = {
    'name': 'reptile-sine-demo-pytorch',
    'seed': args.seed,
    'iterations': args.iterations,
    'torch': torch.__version__,
    'threads': torch.get_num_threads(),
    'trainSeconds': round(train_seconds, 1),
    'meanSquaredError': evaluate(model, test_tasks, np.random.RandomState(7)),
}
text = json.dumps(result, indent=2)
if args.out:
    with open(args.out, 'w') as handle:
        handle.write(text + '\n')
print(text)
