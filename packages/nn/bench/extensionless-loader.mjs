// TF.js ships its per-op gradient registrations only as ESM files with extensionless relative
// imports (made for bundlers), which Node's ESM resolver rejects. This resolve hook retries
// such specifiers with ".js" so `@tensorflow/tfjs-core/dist/register_all_gradients` loads in Node.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (relative && context.parentURL && context.parentURL.includes("@tensorflow") && !specifier.endsWith(".js")) {
      return next(specifier + ".js", context);
    }
    throw error;
  }
}`)}`,
  import.meta.url,
);
