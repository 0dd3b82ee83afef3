#!/usr/bin/python3
"""Sampling alone in tristandeleu/pytorch-maml-rl, with nothing else running: its own
MultiTaskSampler (1 worker) samples the meta-batch of configs/maml/2d-navigation.yaml (20 tasks x
20 episodes x 100 steps before adaptation, the same after) while the main process only waits.
Prints one JSON line per batch: env steps and the seconds its `sample_trajectories` took (the
sampler's own `duration` log, summed over tasks), for the batches before and after adaptation.

Usage: peer_sampling.py <config.yaml> [batches=4] [seed=1]   (PEER_MAML_DIR, PEER_GYM_DIR as for
peer_run.py, which this imports for its path set-up and torch.lstsq shim)
"""
import json
import sys
import time

import peer_run  # noqa: F401  (sys.path and the torch.lstsq shim)

import gym
import torch
import yaml

import maml_rl.envs  # noqa: F401  (registers the environments)
from maml_rl.baseline import LinearFeatureBaseline
from maml_rl.samplers import MultiTaskSampler
from maml_rl.utils.helpers import get_input_size, get_policy_for_env


def main():
    config_path = sys.argv[1]
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(config_path) as f:
        config = yaml.load(f, Loader=yaml.FullLoader)
    torch.manual_seed(seed)
    env = gym.make(config['env-name'], **config.get('env-kwargs', {}))
    env.close()
    policy = get_policy_for_env(env, hidden_sizes=config['hidden-sizes'],
                                nonlinearity=config['nonlinearity'])
    policy.share_memory()
    baseline = LinearFeatureBaseline(get_input_size(env))
    sampler = MultiTaskSampler(config['env-name'], env_kwargs=config.get('env-kwargs', {}),
                               batch_size=config['fast-batch-size'], policy=policy,
                               baseline=baseline, env=env, seed=seed, num_workers=1)
    for batch in range(batches):
        tasks = sampler.sample_tasks(num_tasks=config['meta-batch-size'])
        started = time.perf_counter()
        train, valid = sampler.sample(tasks, num_steps=config['num-steps'],
                                      fast_lr=config['fast-lr'], gamma=config['gamma'],
                                      gae_lambda=config['gae-lambda'], device='cpu')
        wall = time.perf_counter() - started
        train_episodes = [episodes for step in train for episodes in step]
        record = {
            'batch': batch,
            'train_steps': int(sum(sum(e.lengths) for e in train_episodes)),
            'train_sampling_s': float(sum(e.logs['duration'] for e in train_episodes)),
            'valid_steps': int(sum(sum(e.lengths) for e in valid)),
            'valid_sampling_s': float(sum(e.logs['duration'] for e in valid)),
            'wall_s': wall,
        }
        print(json.dumps(record), flush=True)
    sampler.close()


if __name__ == '__main__':
    main()
