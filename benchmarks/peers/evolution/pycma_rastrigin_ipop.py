"""pycma's IPOP-CMA-ES (cma.fmin with restarts=9, incpopsize=2, its defaults otherwise) on
Rastrigin, x0 ~ U[-5.12, 5.12]^n drawn again at every restart (a callable x0), sigma0 2.5, until
f <= 1e-8: the protocol of `pnpm bench cma-es` (rastrigin-10-ipop, rastrigin-40-ipop). Prints one
JSON line per seed (evaluations, best f, stopping reasons of every run) and the median.

Needs pycma (`pip install cma==4.4.0`, or a checkout on PYTHONPATH) and numpy.

usage: python3 pycma_rastrigin_ipop.py [--dimension 10] [--seeds 11]
"""
import argparse
import json

import numpy

import cma


def rastrigin(x):
    x = numpy.asarray(x)
    return float(10 * len(x) + numpy.sum(x * x - 10 * numpy.cos(2 * numpy.pi * x)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dimension", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=11)
    args = parser.parse_args()
    n = args.dimension
    counts = []
    for seed in range(args.seeds):
        numpy.random.seed(seed)
        result = cma.fmin(
            rastrigin,
            lambda: numpy.random.uniform(-5.12, 5.12, n),
            2.5,
            options={"ftarget": 1e-8, "verbose": -9, "seed": seed + 1},
            restarts=9,
            incpopsize=2,
        )
        counts.append(int(result[3]))
        print(json.dumps({
            "seed": seed,
            "evaluations": int(result[3]),
            "value": float(result[1]),
            "stops": [sorted(stop) for stop in cma.evolution_strategy.all_stoppings],
        }), flush=True)
    print(json.dumps({"pycma": cma.__version__, "dimension": n, "medianEvaluations": float(numpy.median(counts))}))


if __name__ == "__main__":
    main()
