export function quantize(x: number): number {
  return Math.round(x);
}
