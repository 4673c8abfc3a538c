/**
 * Han et al. 2015 on LeNet-5 (Caffe variant, 431K parameters): dense training, iterative
 * magnitude pruning of conv and fc weights to 92% with retraining, fine-tuning with the masks
 * held. Run: pnpm exec tsx experiments/lenet-5.ts
 */
import { createLenet5 } from "@mc/nn";
import { runMagnitudeExperiment } from "./magnitude-experiment";

runMagnitudeExperiment({
  name: "lenet-5",
  title: "LeNet-5 magnitude pruning to 92% with retraining (Han et al. 2015)",
  createModel: (seed) => createLenet5({ seed }),
  denseEpochs: Number(process.env.DENSE_EPOCHS ?? 6),
  denseLearningRate: 0.02,
  rounds: 4,
  retrainEpochs: 1,
  retrainLearningRate: 0.005,
  fineTuneEpochs: 2,
  fineTuneLearningRate: 0.002,
  target: 0.92,
  indexBits: (_name, rank) => (rank === 4 ? 8 : 5),
});
