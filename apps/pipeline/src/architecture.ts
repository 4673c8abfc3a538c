/**
 * The layer sequence of a model as the `.mcz` metadata records it, so `mc eval` and `mc bench`
 * can rebuild the forward pass from the file alone. Parameters are referenced by name.
 */
export type ArchitectureLayer =
  | { op: "flatten" }
  | { op: "relu" }
  | { op: "linear"; weight: string; bias: string; inFeatures: number; outFeatures: number }
  | { op: "conv2d"; weight: string; bias: string; inChannels: number; outChannels: number; kernelSize: number }
  | { op: "maxpool2d"; kernelSize: number };

export interface Architecture {
  name: string;
  input: number[];
  layers: ArchitectureLayer[];
}

export const lenet300100Architecture: Architecture = {
  name: "lenet-300-100",
  input: [1, 28, 28],
  layers: [
    { op: "flatten" },
    { op: "linear", weight: "fc1.weight", bias: "fc1.bias", inFeatures: 784, outFeatures: 300 },
    { op: "relu" },
    { op: "linear", weight: "fc2.weight", bias: "fc2.bias", inFeatures: 300, outFeatures: 100 },
    { op: "relu" },
    { op: "linear", weight: "fc3.weight", bias: "fc3.bias", inFeatures: 100, outFeatures: 10 },
  ],
};

export const lenet5Architecture: Architecture = {
  name: "lenet5",
  input: [1, 28, 28],
  layers: [
    { op: "conv2d", weight: "conv1.weight", bias: "conv1.bias", inChannels: 1, outChannels: 20, kernelSize: 5 },
    { op: "relu" },
    { op: "maxpool2d", kernelSize: 2 },
    { op: "conv2d", weight: "conv2.weight", bias: "conv2.bias", inChannels: 20, outChannels: 50, kernelSize: 5 },
    { op: "relu" },
    { op: "maxpool2d", kernelSize: 2 },
    { op: "flatten" },
    { op: "linear", weight: "fc1.weight", bias: "fc1.bias", inFeatures: 800, outFeatures: 500 },
    { op: "relu" },
    { op: "linear", weight: "fc2.weight", bias: "fc2.bias", inFeatures: 500, outFeatures: 10 },
  ],
};

export const architectures: Record<string, Architecture> = {
  "lenet-300-100": lenet300100Architecture,
  lenet5: lenet5Architecture,
};
