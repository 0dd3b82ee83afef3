import { describe, expect, it } from 'vitest';
import {
  createRng,
  FINN_SINUSOIDS,
  REPTILE_SINUSOIDS,
  type SinusoidFamily,
  sampleSinusoidGridPoints,
  sampleSinusoidPoints,
  sampleSinusoidTasks,
  sinusoidGrid,
  sinusoidGridTargets,
  sinusoidValue,
} from '../src/index';

describe('Finn et al. sinusoids (the default family)', () => {
  // Numbers printed by @metarl/maml's sinusoid.ts before it moved here: MAML's recorded results
  // (benchmarks/results/maml/sinusoid.json, its README) were produced with these draws.
  it('gives bit for bit the tasks and points of the code @metarl/maml used before', () => {
    const tasks = sampleSinusoidTasks(3, { seed: 7 });
    expect(tasks).toEqual([
      { amplitude: 1.5820864554525487, phase: 2.1769267223437683 },
      { amplitude: 4.928499448059712, phase: 1.5560630264001207 },
      { amplitude: 2.304826732630309, phase: 1.0326992542545876 },
    ]);
    const { inputs, targets } = sampleSinusoidPoints(tasks, 2, createRng(8));
    expect(Array.from(inputs)).toEqual([
      -2.848712205886841, 3.9331462383270264, -0.46445178985595703, 2.0003397464752197, 3.3794572353363037,
      -4.437572956085205,
    ]);
    expect(Array.from(targets)).toEqual([
      1.5050976276397705, 1.5549668073654175, -4.4384565353393555, 2.118293523788452, 1.6450649499893188,
      1.6739788055419922,
    ]);
    // The benchmark's 1000 test tasks (seed 2017): the last one.
    expect(sampleSinusoidTasks(1000, { seed: 2017 })[999]).toEqual({
      amplitude: 2.8453664618817944,
      phase: 2.568060721552349,
    });
  });

  it('passing FINN_SINUSOIDS explicitly changes nothing', () => {
    const tasks = sampleSinusoidTasks(5, { seed: 3, family: FINN_SINUSOIDS });
    expect(tasks).toEqual(sampleSinusoidTasks(5, { seed: 3 }));
    expect(sampleSinusoidPoints(tasks, 4, createRng(1), FINN_SINUSOIDS)).toEqual(
      sampleSinusoidPoints(tasks, 4, createRng(1)),
    );
  });

  it('draws A in [0.1, 5], phase in [0, pi], x in [-5, 5], y = A sin(x - phase)', () => {
    const tasks = sampleSinusoidTasks(500, { seed: 11 });
    for (const { amplitude, phase } of tasks) {
      expect(amplitude).toBeGreaterThanOrEqual(0.1);
      expect(amplitude).toBeLessThanOrEqual(5);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThanOrEqual(Math.PI);
    }
    expect(Math.max(...tasks.map((task) => task.phase))).toBeGreaterThan(3); // not [0, 2 pi) or [0, 1)
    const { inputs, targets } = sampleSinusoidPoints(tasks, 10, createRng(2));
    expect(inputs.length).toBe(5000);
    for (let i = 0; i < inputs.length; i += 1) {
      expect(Math.abs(inputs[i]!)).toBeLessThanOrEqual(5);
      const task = tasks[Math.floor(i / 10)]!;
      expect(targets[i]).toBeCloseTo(task.amplitude * Math.sin(inputs[i]! - task.phase), 5);
    }
    expect(sinusoidValue({ amplitude: 2, phase: 1 }, 1)).toBe(0); // 2 sin(1 - 1)
  });
});

describe('Reptile sinusoids', () => {
  it('draws A in [0.1, 5), phase in [0, 2 pi) and uses y = A sin(x + phase)', () => {
    const tasks = sampleSinusoidTasks(500, { seed: 5, family: REPTILE_SINUSOIDS });
    for (const { amplitude, phase } of tasks) {
      expect(amplitude).toBeGreaterThanOrEqual(0.1);
      expect(amplitude).toBeLessThan(5);
      expect(phase).toBeGreaterThanOrEqual(0);
      expect(phase).toBeLessThan(2 * Math.PI);
    }
    expect(Math.max(...tasks.map((task) => task.phase))).toBeGreaterThan(6);
    expect(sinusoidValue({ amplitude: 2, phase: 1 }, -1, REPTILE_SINUSOIDS)).toBe(0); // 2 sin(-1 + 1)
    expect(sinusoidValue({ amplitude: 2, phase: 0.5 }, 1, REPTILE_SINUSOIDS)).toBe(2 * Math.sin(1.5));
  });

  it('sinusoidGrid is numpy linspace(-5, 5, 50) in float32', () => {
    const grid = sinusoidGrid();
    expect(grid).toBeInstanceOf(Float32Array);
    expect(grid.length).toBe(50);
    // np.linspace(-5, 5, 50)[[0, 1, 25, 48, 49]]
    expect(grid[0]).toBe(-5);
    expect(grid[1]).toBe(Math.fround(-4.795918367346939));
    expect(grid[25]).toBe(Math.fround(0.10204081632653061));
    expect(grid[48]).toBe(Math.fround(4.795918367346939));
    expect(grid[49]).toBe(5);
    expect(Array.from(sinusoidGrid(3, FINN_SINUSOIDS))).toEqual([-5, 0, 5]);
    expect(Array.from(sinusoidGrid(1))).toEqual([-5]);
    const family: SinusoidFamily = { ...REPTILE_SINUSOIDS, inputRange: [0, 1] };
    expect(Array.from(sinusoidGrid(5, family))).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('sampleSinusoidGridPoints draws grid points with replacement; targets equal sinusoidGridTargets', () => {
    const tasks = sampleSinusoidTasks(40, { seed: 1, family: REPTILE_SINUSOIDS });
    const grid = sinusoidGrid();
    const all = sinusoidGridTargets(tasks, grid);
    expect(all.length).toBe(40 * 50);
    expect(all[3 * 50 + 7]).toBe(Math.fround(tasks[3]!.amplitude * Math.sin(grid[7]! + tasks[3]!.phase)));
    const { inputs, targets, indices } = sampleSinusoidGridPoints(tasks, 50, createRng(9));
    expect(inputs.length).toBe(40 * 50);
    expect(targets.length).toBe(40 * 50);
    const seen = new Set<number>();
    let tasksWithRepeats = 0;
    for (let t = 0; t < 40; t += 1) {
      const drawn = new Set<number>();
      for (let k = 0; k < 50; k += 1) {
        const index = indices[t * 50 + k]!;
        expect(inputs[t * 50 + k]).toBe(grid[index]);
        expect(targets[t * 50 + k]).toBe(all[t * 50 + index]);
        drawn.add(index);
        seen.add(index);
      }
      if (drawn.size < 50) tasksWithRepeats += 1;
    }
    expect(tasksWithRepeats).toBe(40); // 50 draws of 50 without a repeat: probability 3e-21
    expect(seen.size).toBe(50); // every grid point is drawn somewhere
    // Deterministic in the generator; 10 points: the first 10 draws of each task
    expect(sampleSinusoidGridPoints(tasks, 50, createRng(9))).toEqual({ inputs, targets, indices });
    const ten = sampleSinusoidGridPoints(tasks.slice(0, 1), 10, createRng(9));
    expect(Array.from(ten.indices)).toEqual(Array.from(indices.subarray(0, 10)));
  });
});

describe('argument errors name the argument, the value and the expected form', () => {
  const tasks = sampleSinusoidTasks(2, { seed: 0 });
  it.each([
    [
      () => sampleSinusoidTasks(0, { seed: 1 }),
      'sampleSinusoidTasks: count must be a positive integer, got 0',
    ],
    [
      () => sampleSinusoidTasks(2, { seed: 1.5 }),
      'sampleSinusoidTasks: options.seed must be a safe integer, got 1.5',
    ],
    [
      () => sampleSinusoidTasks(2, { seed: 1, family: { ...FINN_SINUSOIDS, amplitude: [5, 0.1] } }),
      'sampleSinusoidTasks: family.amplitude must be [low, high] with finite low <= high, got [5, 0.1]',
    ],
    [
      () => sampleSinusoidTasks(2, { seed: 1, family: { ...FINN_SINUSOIDS, phaseSign: 0 as 1 } }),
      'sampleSinusoidTasks: family.phaseSign must be -1 or 1, got 0',
    ],
    [
      () => sampleSinusoidPoints(tasks, 2.5, createRng(1)),
      'sampleSinusoidPoints: points must be a positive integer, got 2.5',
    ],
    [
      () => sampleSinusoidPoints([], 2, createRng(1)),
      'sampleSinusoidPoints: tasks must be a non-empty array of SinusoidTask, got []',
    ],
    [
      () => sampleSinusoidPoints([{ amplitude: Number.NaN, phase: 0 }], 2, createRng(1)),
      'sampleSinusoidPoints: tasks[0].amplitude must be a finite number, got NaN',
    ],
    [
      () => sampleSinusoidPoints(tasks, 2, 7 as never),
      'sampleSinusoidPoints: rng must be an Rng (createRng(seed)), got 7',
    ],
    [() => sinusoidGrid(0), 'sinusoidGrid: points must be a positive integer, got 0'],
    [
      () => sampleSinusoidGridPoints(tasks, 2, createRng(1), REPTILE_SINUSOIDS, 0),
      'sampleSinusoidGridPoints: gridSize must be a positive integer, got 0',
    ],
    [
      () => sinusoidGridTargets(tasks, new Float32Array(0)),
      'sinusoidGridTargets: grid must be a non-empty Float32Array, Float64Array or number array, got Float32Array(0) []',
    ],
    [
      () => sinusoidGridTargets(tasks, [0, Number.POSITIVE_INFINITY]),
      'sinusoidGridTargets: grid element 1 must be a finite number, got Infinity',
    ],
    [() => sinusoidValue(tasks[0]!, Number.NaN), 'sinusoidValue: x must be a number, got NaN'],
    [
      () => sinusoidValue({ amplitude: 1, phase: '1' as never }, 0),
      'sinusoidValue: task.phase must be a finite number, got "1"',
    ],
  ])('%#', (call, message) => {
    expect(call).toThrow(message);
  });
});
