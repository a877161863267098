// A port whose adapter (and the SDK behind it) is imported on the port's first call, not when the command starts.

/** Ports this works for: every member is a method that returns a promise. */
type AsyncPort<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;
};

/**
 * Stands in for the adapter `load` resolves to, loading it once on the first method call. `watch` never calls EC2
 * or Auto Scaling unless the node terminates, so it never pays for their SDKs (`npm run bench`, P4).
 */
export function loadOnFirstCall<T extends AsyncPort<T>>(load: () => Promise<T>): T {
  let adapter: Promise<T> | undefined;
  return new Proxy({} as T, {
    get(_target, prop) {
      // Not a thenable (so `await port` and async returns hand the port over), and no symbol-keyed members.
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        adapter ??= load();
        const impl = await adapter;
        const method = impl[prop as keyof T] as unknown;
        if (typeof method !== 'function') throw new TypeError(`the port has no method ${prop}`);
        return method.apply(impl, args);
      };
    },
  });
}
