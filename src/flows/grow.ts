/** Typed-array growth helpers for the struct-of-arrays tables in src/flows. */

type Typed = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

/** A copy of `a` with `size` elements (size >= a.length), new elements filled with `fill`. */
export function grown<T extends Typed>(a: T, size: number, fill = 0): T {
  const r = new (a.constructor as new (n: number) => T)(size);
  r.set(a);
  if (fill !== 0) r.fill(fill, a.length);
  return r;
}
