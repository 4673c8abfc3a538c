import { quantize } from "../../quant/src/index";

export const bad = quantize;
