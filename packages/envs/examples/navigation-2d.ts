// Navigation2D-v1: walk straight to the goal (actions are clipped to [-0.1, 0.1] by definition).
import { navigation2dDistribution } from '@metarl/envs';

const navigation = navigation2dDistribution();
const [task] = navigation.sampleTasks(1, { seed: 3 });
const env = navigation.makeEnv(task!);
let { observation } = env.reset();
for (let step = 1; ; step += 1) {
  const result = env.step(Float32Array.of(task!.goal[0] - observation[0]!, task!.goal[1] - observation[1]!));
  observation = result.observation;
  if (result.terminated || result.truncated) {
    console.log(
      `${result.terminated ? 'reached' : 'missed'} goal (${task!.goal.map((v) => v.toFixed(3)).join(', ')}) in ${step} steps`,
    );
    break;
  }
}
