"""Fixed-fixture numbers for packages/evolution-strategies/test/openai-es.test.ts.

Applies openai/evolution-strategies-starter's formulas (es_distributed/es.py: compute_centered_ranks
over the (n, 2) returns, the batched weighted sum of (r+ - r-) times the noise, division by
returns.size; optimizers.py: Adam and SGD with momentum; the update -g + l2coeff * theta) to fixed
noise and fixed returns, in float32 as the starter, and prints every intermediate value.

The noise rows are sampleCounterNormal(7, k, 5) for k = 0, 1, 2 (float32 values printed by the
TypeScript implementation), so the test regenerates them from the seed.

Run: python3 benchmarks/peers/evolution/openai_es_fixture.py  (numpy only)
"""
import numpy as np

np.set_printoptions(precision=10, floatmode="unique")

noise = np.array(
    [
        [-0.7687309384346008, -1.4082931280136108, -0.6724584698677063, 1.2078949213027954, -0.8218795657157898],
        [-0.0036984067410230637, -0.4417458176612854, 0.07242175936698914, -0.31276676058769226, -0.8493566513061523],
        [-1.5035630464553833, -0.24827902019023895, -0.21800068020820618, 0.03569861873984337, -1.4936513900756836],
    ],
    dtype=np.float32,
)
theta0 = np.array([0.5, -0.25, 1.0, 0.0, -2.0], dtype=np.float32)
sigma = np.float32(0.1)
l2coeff = 0.005
# Returns of two generations, one row per pair: [return of theta + sigma eps_k, return of theta - sigma eps_k].
returns_per_generation = [
    np.array([[3.0, -1.0], [0.5, 2.0], [7.0, 1.5]], dtype=np.float32),
    np.array([[-4.0, 2.5], [1.0, 0.25], [6.0, -3.0]], dtype=np.float32),
]


def compute_ranks(x):
    ranks = np.empty(len(x), dtype=int)
    ranks[x.argsort()] = np.arange(len(x))
    return ranks


def compute_centered_ranks(x):
    y = compute_ranks(x.ravel()).reshape(x.shape).astype(np.float32)
    y /= x.size - 1
    y -= 0.5
    return y


def gradient(returns_n2):
    proc = compute_centered_ranks(returns_n2)
    weights = (proc[:, 0] - proc[:, 1]).astype(np.float32)
    g = np.dot(weights, noise).astype(np.float32)
    g /= returns_n2.size
    return proc, g


def run(optimizer):
    theta = theta0.copy()
    m = np.zeros(5, dtype=np.float32)
    v = np.zeros(5, dtype=np.float32)
    t = 0
    for generation, returns_n2 in enumerate(returns_per_generation):
        proc, g = gradient(returns_n2)
        globalg = -g + l2coeff * theta
        t += 1
        if optimizer == "adam":
            stepsize, beta1, beta2, epsilon = 0.01, 0.9, 0.999, 1e-08
            a = stepsize * np.sqrt(1 - beta2**t) / (1 - beta1**t)
            m = beta1 * m + (1 - beta1) * globalg
            v = beta2 * v + (1 - beta2) * (globalg * globalg)
            step = -a * m / (np.sqrt(v) + epsilon)
        else:
            stepsize, momentum = 0.01, 0.9
            m = momentum * m + (1.0 - momentum) * globalg
            step = -stepsize * m
        ratio = np.linalg.norm(step) / np.linalg.norm(theta)
        theta = theta + step
        print(f"{optimizer} generation {generation}")
        print("  centered ranks (pair-major, +/-):", repr(proc.ravel().tolist()))
        print("  gradient g:", repr(g.tolist()))
        print("  gradient norm:", repr(float(np.linalg.norm(g))))
        print("  step:", repr(step.astype(np.float64).tolist()))
        print("  update ratio:", repr(float(ratio)))
        print("  theta after:", repr(theta.astype(np.float64).tolist()))


print("population of generation 0 (theta0 + sigma eps_0, theta0 - sigma eps_0):")
print("  ", repr((theta0 + sigma * noise[0]).astype(np.float64).tolist()))
print("  ", repr((theta0 - sigma * noise[0]).astype(np.float64).tolist()))
run("adam")
run("sgd")
