import { quantize } from "../../quant/src/index";

export const alsoBad = quantize;
