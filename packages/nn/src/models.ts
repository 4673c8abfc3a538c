import { ReLU } from "./activations";
import { Conv2d } from "./conv2d";
import { Flatten } from "./flatten";
import { Linear } from "./linear";
import { MaxPool2d } from "./max-pool2d";
import { Sequential } from "./sequential";

/**
 * LeNet-300-100 (LeCun et al. 1998; the MLP of Deep Compression's Table 1): 784-300-100-10
 * with ReLU. Takes [batch, 1, 28, 28] (or [batch, 784]); parameters fc1/fc2/fc3.{weight,bias}.
 */
export function createLenet300100(options: { seed?: number } = {}): Sequential {
  const { seed = 0 } = options;
  return new Sequential({
    flatten: new Flatten(),
    fc1: new Linear(784, 300, { seed }),
    relu1: new ReLU(),
    fc2: new Linear(300, 100, { seed: seed + 1 }),
    relu2: new ReLU(),
    fc3: new Linear(100, 10, { seed: seed + 2 }),
  });
}

/**
 * LeNet-5 as in Caffe's MNIST example and Deep Compression's Table 1 (431K parameters):
 * conv1 (1→20, 5×5), max-pool 2, conv2 (20→50, 5×5), max-pool 2, fc1 (800→500), fc2 (500→10).
 * ReLU follows both convolutions and fc1. Takes [batch, 1, 28, 28].
 */
export function createLenet5(options: { seed?: number } = {}): Sequential {
  const { seed = 0 } = options;
  return new Sequential({
    conv1: new Conv2d(1, 20, 5, { seed }),
    relu1: new ReLU(),
    pool1: new MaxPool2d(2),
    conv2: new Conv2d(20, 50, 5, { seed: seed + 1 }),
    relu2: new ReLU(),
    pool2: new MaxPool2d(2),
    flatten: new Flatten(),
    fc1: new Linear(800, 500, { seed: seed + 2 }),
    relu3: new ReLU(),
    fc2: new Linear(500, 10, { seed: seed + 3 }),
  });
}
