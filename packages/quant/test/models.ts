import { createRng } from "@mc/core";
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from "@mc/nn";

/** A small MLP: fc1 (12→16) ReLU fc2 (16→5). */
export function smallMlp(seed = 1): Sequential {
  return new Sequential({
    fc1: new Linear(12, 16, { seed }),
    relu1: new ReLU(),
    fc2: new Linear(16, 5, { seed: seed + 1 }),
  });
}

/** A small CNN on [batch, 1, 8, 8]: conv (1→3, 3×3) ReLU pool flatten fc (27→6) ReLU fc (6→4). */
export function smallCnn(seed = 1): Sequential {
  return new Sequential({
    conv: new Conv2d(1, 3, 3, { seed }),
    relu1: new ReLU(),
    pool: new MaxPool2d(2),
    flatten: new Flatten(),
    fc1: new Linear(27, 6, { seed: seed + 1 }),
    relu2: new ReLU(),
    fc2: new Linear(6, 4, { seed: seed + 2 }),
  });
}

export function randomBatch(shape: number[], seed: number, low = -1, high = 1) {
  const rng = createRng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rng.uniform();
  return { data, shape };
}
