// The one concurrency limit: downloads, repo fetches, header reads and layer builds all
// go through it.

/**
 * `f` over `items`, at most `limit` at once, results in the order of `items`. After the
 * first failure nothing new starts; the calls under way finish (so nothing writes after
 * this returns) and the first failure is thrown; `also` hears the others.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  f: (item: T, index: number) => Promise<R>,
  also?: (err: unknown) => void,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (errors.length === 0 && next < items.length) {
      const i = next++;
      try {
        out[i] = await f(items[i]!, i);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, Math.min(Math.max(1, Math.floor(limit)), items.length)) }, worker));
  if (errors.length) {
    for (const e of errors.slice(1)) also?.(e);
    throw errors[0];
  }
  return out;
}
