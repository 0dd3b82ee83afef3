/**
 * Navigation2D-v1 against pytorch-maml-rl's `Navigation2DEnv.step` (maml_rl/envs/navigation.py):
 * float32 state and actions, `np.clip(action, -0.1, 0.1)` in float32, float64 goals (as its
 * `sample_tasks` draws them), `x = state[0] - goal[0]` and the reward in float64, done when
 * |x| < 0.01 and |y| < 0.01. The numbers were computed by that code with numpy 2.4 (float32
 * actions, as its policies give) and are committed here; no Python is needed to run the test.
 */
import { describe, expect, it } from 'vitest';
import { makeTaskDistribution, type Navigation2DTask, type SingleEnv } from '../src/index';

/** One reference step: [action, position after the step, reward, terminated]. */
type ReferenceStep = readonly [readonly [number, number], readonly [number, number], number, boolean];

// biome-ignore format: one reference step per line
const EPISODES: readonly { name: string; goal: [number, number]; steps: readonly ReferenceStep[] }[] = [
  {
    name: 'a noisy walk to a sampled goal, large actions clipped, terminating at step 20',
    goal: [0.12509546660466697, 0.3972138009695755],
    steps: [
      [[0.6135038733482361, 1.9379868507385254], [0.10000000149011612, 0.10000000149011612], -0.2982713948241298, false],
      [[-0.007676259148865938, 0.12874595820903778], [0.09232374280691147, 0.20000000298023224], -0.1999181532479176, false],
      [[0.022670214995741844, 0.1853390485048294], [0.11499395966529846, 0.30000001192092896], -0.09773720491011013, false],
      [[-0.018549419939517975, 0.02730453573167324], [0.09644453972578049, 0.32730454206466675], -0.07555249891071017, false],
      [[0.041682660579681396, 0.05978991091251373], [0.13812720775604248, 0.3870944380760193], -0.016499326738019824, false],
      [[-0.0025483255740255117, -0.040451791137456894], [0.13557888567447662, 0.3466426432132721], -0.05164633648388018, false],
      [[-0.007752633653581142, 0.06510784476995468], [0.1278262585401535, 0.4117504954338074], -0.014790967194248942, false],
      [[-0.6884918808937073, -0.31602808833122253], [0.027826257050037384, 0.31175050139427185], -0.12948078892901654, false],
      [[-0.036699600517749786, -0.013198906555771828], [-0.008873343467712402, 0.2985515892505646], -0.16637870685125603, false],
      [[-0.011705453507602215, 0.04744276776909828], [-0.020578797906637192, 0.34599435329437256], -0.15441639537646987, false],
      [[0.024032246321439743, 0.04429488256573677], [0.0034534484148025513, 0.3902892470359802], -0.12183895122858936, false],
      [[0.08082277327775955, -0.005191813223063946], [0.0842762216925621, 0.3850974440574646], -0.042579535695167654, false],
      [[-0.10134642571210861, -0.0196648221462965], [-0.015723779797554016, 0.36543262004852295], -0.144361018346457, false],
      [[0.08206651359796524, 0.024734165519475937], [0.06634273380041122, 0.3901667892932892], -0.059173845451635, false],
      [[-0.4125513732433319, -0.1965944766998291], [-0.033657267689704895, 0.29016679525375366], -0.1914719093722696, false],
      [[0.046325694769620895, 0.023786354809999466], [0.012668427079916, 0.313953161239624], -0.13990058378913467, false],
      [[0.12050116807222366, 0.009579669684171677], [0.11266842484474182, 0.3235328197479248], -0.07472160571540312, false],
      [[0.00583014776930213, 0.08842809498310089], [0.11849857121706009, 0.4119608998298645], -0.01615536918643974, false],
      [[-0.025221876800060272, -0.014433353208005428], [0.09327669441699982, 0.3975275456905365], -0.03182031896886943, false],
      [[0.024614477530121803, 0.003000844968482852], [0.11789117008447647, 0.4005284011363983], -0.007930224625868483, true],
    ],
  },
  {
    // At steps 3 and 4, x - goal is 0.01000000001: not done. Rounding the goal to float32 (as
    // Navigation2D-v0 did) made it 0.00999999977 and ended the episode there.
    name: 'the 0.01 edge: a float64 goal 1e-11 beyond the tolerance does not terminate',
    goal: [0.29000001191092895, 0],
    steps: [
      [[0.25, 0], [0.10000000149011612, 0], -0.19000001042081283, false],
      [[0.25, 0], [0.20000000298023224, 0], -0.0900000089306967, false],
      [[0.25, 0], [0.30000001192092896, 0], -0.01000000001000001, false],
      [[0, 0], [0.30000001192092896, 0], -0.01000000001000001, false],
      [[-0.004999999888241291, 0], [0.29500001668930054, 0], -0.005000004778371592, true],
    ],
  },
];

/** 100 steps of the float32 action (0.3, -0.0333) toward nowhere; every 10th step recorded. */
// biome-ignore format: one recorded step per line
const LONG_WALK = {
  goal: [-0.4, 0.45] as [number, number],
  action: [0.30000001192092896, -0.0333000011742115] as const,
  every10: [
    [[1.0000001192092896, -0.3330000340938568], -1.6040852181779512],
    [[2.000000238418579, -0.6660000085830688], -2.6467824171183105],
    [[2.9999992847442627, -0.998999834060669], -3.695889020975785],
    [[3.9999983310699463, -1.3320002555847168], -4.747158120846862],
    [[4.999997615814209, -1.6650006771087646], -5.799413945819842],
    [[5.999996662139893, -1.9980010986328125], -6.852201591773933],
    [[6.999995708465576, -2.331000328063965], -7.905308299490971],
    [[7.99999475479126, -2.663999557495117], -8.958621831766338],
    [[8.999998092651367, -2.9969987869262695], -10.012080941488664],
    [[10.000001907348633, -3.329998016357422], -11.065641629680641],
  ] as const,
};

const navigation = makeTaskDistribution<Navigation2DTask>('Navigation2D-v1');

describe('Navigation2D-v1 equals pytorch-maml-rl bit for bit', () => {
  for (const episode of EPISODES) {
    it(`${episode.name}: single Env and VectorEnv`, () => {
      const task = { goal: episode.goal };
      const env = navigation.makeEnv(task);
      env.reset({ seed: 0 });
      // The same task twice in a VectorEnv, stepped with float32 and float64 copies of the actions.
      const vector = navigation.makeVectorEnv([task, task], { autoresetMode: 'disabled' });
      vector.reset({ seed: 0 });
      episode.steps.forEach(([action, position, reward, terminated], t) => {
        const single = env.step(Float32Array.from(action));
        expect(Array.from(single.observation), `position at step ${t + 1}`).toEqual(position);
        expect(single.reward, `reward at step ${t + 1}`).toBe(reward);
        expect(single.terminated, `terminated at step ${t + 1}`).toBe(terminated);
        expect(single.truncated).toBe(false);
        const batch = vector.step(Float64Array.of(...action, ...action));
        for (const i of [0, 1]) {
          expect(Array.from(batch.observations.subarray(2 * i, 2 * i + 2))).toEqual(position);
          expect(batch.rewards[i]).toBe(reward);
          expect(batch.terminated[i]).toBe(Number(terminated));
        }
      });
    });
  }

  it('100 steps of one action: float32 positions accumulate as the reference, truncated at 100', () => {
    const env = navigation.makeEnv({ goal: LONG_WALK.goal });
    env.reset({ seed: 0 });
    for (let t = 1; t <= 100; t += 1) {
      const result = env.step(Float32Array.from(LONG_WALK.action));
      expect(result.truncated).toBe(t === 100);
      expect(result.terminated).toBe(false);
      if (t % 10 === 0) {
        const [position, reward] = LONG_WALK.every10[t / 10 - 1]!;
        expect(Array.from(result.observation), `position at step ${t}`).toEqual(position);
        expect(result.reward, `reward at step ${t}`).toBe(reward);
      }
    }
  });

  it('clips to float32(0.1) and keeps goals in float64', () => {
    const env = navigation.makeEnv({ goal: [0.1, 0] });
    env.reset({ seed: 0 });
    const result = env.step(Float64Array.of(5, 0));
    expect(result.observation[0]).toBe(Math.fround(0.1));
    // float32(0.1) - 0.1 in float64, not 0 as with a float32 goal.
    expect(result.reward).toBe(-(Math.fround(0.1) - 0.1));
    expect(result.reward).toBeLessThan(0);
    expect((env as SingleEnv).getState()).toEqual(Float64Array.of(Math.fround(0.1), 0));
  });
});
