import { createRng } from "@mc/core";
import { createRowTransformer, type Dataset, type Parameter, SGD } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { attentionLoss } from "./attention-loss";
import { distill } from "./distill";
import { hiddenStateLoss } from "./hidden-state-loss";
import { kdLoss } from "./kd-loss";
import { transformerLayerPairs } from "./map-layers";

function tinyData(count: number, seed: number): Dataset {
  const rng = createRng(seed);
  const images = rng.fillUniform(new Float32Array(count * 16), 0, 1);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
  return { images, labels, count, shape: [1, 4, 4] };
}
const model = (layers: number, width: number, seed: number) =>
  createRowTransformer({ layers, heads: 2, width, tokens: 4, tokenSize: 4, classes: 3, seed });

describe("distill with transformers (TinyBERT-style)", () => {
  it("transformerLayerPairs builds embedding + mapped block pairs", () => {
    expect(transformerLayerPairs(4, 2, "uniform")).toEqual({
      hiddenPairs: [
        { student: "hiddenStates.0", teacher: "hiddenStates.0", loss: "mse" },
        { student: "hiddenStates.1", teacher: "hiddenStates.2", loss: "mse" },
        { student: "hiddenStates.2", teacher: "hiddenStates.4", loss: "mse" },
      ],
      attentionPairs: [
        { student: "attentionScores.0", teacher: "attentionScores.1" },
        { student: "attentionScores.1", teacher: "attentionScores.3" },
      ],
    });
    expect(transformerLayerPairs(4, 2, "bottom", { embeddings: false }).attentionPairs.map((p) => p.teacher)).toEqual([
      "attentionScores.0",
      "attentionScores.1",
    ]);
  });

  it("soft + hidden (projected 6 → 8) + attention gradients through the student match finite differences", () => {
    const data = tinyData(4, 1);
    const teacher = model(4, 8, 1);
    const student = model(2, 6, 2);
    const pairs = transformerLayerPairs(4, 2, "uniform");
    const weights = { soft: 1, hidden: 0.5, attention: 0.25 };
    let captured: Parameter[] = [];
    const result = distill(student, teacher, data, {
      optimizer: (parameters) => {
        captured = parameters;
        return new SGD(parameters, { learningRate: 0 });
      },
      batchSize: 4,
      temperature: 2,
      weights,
      ...pairs,
    });
    expect(result.projections.size).toBe(3);
    expect(captured.length).toBe(student.parameters().length + 3);
    const input = { data: data.images, shape: [4, 1, 4, 4] };
    const objective = () => {
      const t = teacher.forwardWithIntermediates(input);
      const s = student.forwardWithIntermediates(input);
      let total = weights.soft * kdLoss(s.logits, t.logits, { temperature: 2 }).loss;
      pairs.hiddenPairs.forEach((pair, index) => {
        const si = Number(pair.student.split(".")[1]);
        const ti = Number(pair.teacher.split(".")[1]);
        total +=
          weights.hidden *
          hiddenStateLoss(s.hiddenStates[si]!, t.hiddenStates[ti]!, {
            projection: result.projections.get(index)!.value,
          }).loss;
      });
      for (const pair of pairs.attentionPairs) {
        const si = Number(pair.student.split(".")[1]);
        const ti = Number(pair.teacher.split(".")[1]);
        total += weights.attention * attentionLoss(s.attentionScores[si]!, t.attentionScores[ti]!).loss;
      }
      return total;
    };
    const h = 1e-2;
    const checked = ["embed.weight", "layers.0.attn.q.weight", "layers.1.ffn.0.weight", "head.bias"].filter((name) =>
      student.parameters().some((p) => p.name === name),
    );
    expect(checked.length).toBeGreaterThanOrEqual(3);
    for (const parameter of [...checked.map((name) => student.getParameter(name)), result.projections.get(1)!]) {
      for (const index of [0, 1, 2]) {
        const saved = parameter.value.data[index]!;
        parameter.value.data[index] = saved + h;
        const plus = objective();
        parameter.value.data[index] = saved - h;
        const minus = objective();
        parameter.value.data[index] = saved;
        const numeric = (plus - minus) / (2 * h);
        const analytic = parameter.grad[index]!;
        expect(
          Math.abs(analytic - numeric),
          `${parameter.name}[${index}]: analytic ${analytic} vs numeric ${numeric}`,
        ).toBeLessThan(2e-3 + 0.02 * Math.abs(numeric));
      }
    }
  });

  it("rejects taps the model does not have", () => {
    const data = tinyData(4, 2);
    const teacher = model(4, 8, 1);
    const student = model(2, 8, 2);
    expect(() =>
      distill(student, teacher, data, {
        optimizer: new SGD(student),
        attentionPairs: [{ student: "attentionScores.2", teacher: "attentionScores.0" }],
      }),
    ).toThrowError(/"attentionScores.2" is not a tap of this model; use attentionScores.0 … attentionScores.1/);
  });
});
