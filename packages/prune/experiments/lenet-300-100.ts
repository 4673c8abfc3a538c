/**
 * Han et al. 2015 on LeNet-300-100: dense training, iterative magnitude pruning to 92% with
 * retraining, fine-tuning with the masks held. Run: pnpm exec tsx experiments/lenet-300-100.ts
 */
import { createLenet300100 } from "@mc/nn";
import { runMagnitudeExperiment } from "./magnitude-experiment";

runMagnitudeExperiment({
  name: "lenet-300-100",
  title: "LeNet-300-100 magnitude pruning to 92% with retraining (Han et al. 2015)",
  createModel: (seed) => createLenet300100({ seed }),
  denseEpochs: 12,
  denseLearningRate: 0.05,
  rounds: 5,
  retrainEpochs: 2,
  retrainLearningRate: 0.01,
  fineTuneEpochs: 4,
  fineTuneLearningRate: 0.005,
  target: 0.92,
  indexBits: () => 5,
});
