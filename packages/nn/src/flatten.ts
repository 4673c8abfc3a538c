import type { Tensor } from "@mc/core";
import { assertGradShape, assertInput, Module, requireCache } from "./module";

/** [batch, ...] → [batch, product of the rest]; shares the input's data. */
export class Flatten extends Module {
  private inputShape: readonly number[] | undefined;

  forward(input: Tensor): Tensor {
    assertInput(input, "Flatten.forward", 1);
    this.inputShape = input.shape;
    const batch = input.shape[0] as number;
    return { data: input.data, shape: [batch, input.data.length / batch] };
  }

  backward(gradOutput: Tensor): Tensor {
    const shape = requireCache(this.inputShape, "Flatten.backward");
    const batch = shape[0] as number;
    assertGradShape(gradOutput, [batch, gradOutput.data.length / batch], "Flatten.backward");
    return { data: gradOutput.data, shape };
  }
}
