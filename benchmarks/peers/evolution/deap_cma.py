"""DEAP's CMA-ES (deap.cma.Strategy, its defaults) on 10-D Rosenbrock, x0 = 0.1 * ones, sigma0 0.3,
until f <= 1e-8 or 2,000 generations; `pnpm bench cma-es -- --sections timing` runs this script
alternately with metarl's run. Prints one JSON line: seconds per run (timed inside the process, so
interpreter start-up is excluded), evaluations per run, successes.

usage: python3 deap_cma.py [--runs 3] [--seed 0] [--dimension 10]
"""
import argparse
import json
import time

import numpy
from deap import base, cma, creator


def rosenbrock(x):
    return float(numpy.sum(100.0 * (x[:-1] ** 2 - x[1:]) ** 2 + (1.0 - x[:-1]) ** 2))


def one_run(dimension, seed):
    numpy.random.seed(seed)
    strategy = cma.Strategy(centroid=[0.1] * dimension, sigma=0.3)
    evaluations = 0
    best = float("inf")
    for _generation in range(2000):
        population = strategy.generate(creator.Individual)
        for individual in population:
            individual.fitness.values = (rosenbrock(numpy.asarray(individual)),)
            best = min(best, individual.fitness.values[0])
        evaluations += len(population)
        strategy.update(population)
        if best <= 1e-8:
            break
    return evaluations, best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dimension", type=int, default=10)
    args = parser.parse_args()
    creator.create("FitnessMin", base.Fitness, weights=(-1.0,))
    creator.create("Individual", list, fitness=creator.FitnessMin)
    one_run(args.dimension, args.seed + 1000)  # warm-up
    seconds = []
    evaluations = []
    successes = 0
    for run in range(args.runs):
        started = time.perf_counter()
        count, best = one_run(args.dimension, args.seed + run)
        seconds.append(time.perf_counter() - started)
        evaluations.append(count)
        successes += best <= 1e-8
    print(json.dumps({
        "peer": "deap.cma.Strategy",
        "deap": __import__("deap").__version__,
        "numpy": numpy.__version__,
        "secondsPerRun": seconds,
        "evaluations": evaluations,
        "successes": successes,
    }))


if __name__ == "__main__":
    main()
