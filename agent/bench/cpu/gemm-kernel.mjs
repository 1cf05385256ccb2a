// The CPU GEMM kernel, plain JavaScript so worker threads load it without a TypeScript loader.
// Types: gemm-kernel.d.mts. Row-major Float32Array matrices, C += A·B, square n×n.
//
// JS has no SIMD, so speed comes from keeping values in registers: a 4×4 tile of C lives in 16
// locals for the whole k loop (8 loads feed 16 multiply-adds), and B is first packed into panels
// of 4 columns so the inner loop reads it sequentially. Measured ~1.6× the plain i-k-j loop.

/**
 * C += A·B for square n×n row-major matrices; n must be a multiple of 4.
 * `packed` is scratch of n×n floats (reused across calls to avoid allocation in timed loops).
 * @param {Float32Array} a
 * @param {Float32Array} b
 * @param {Float32Array} c
 * @param {number} n
 * @param {Float32Array} packed
 */
export function gemmAccumulate(a, b, c, n, packed) {
  if (n <= 0 || n % 4 !== 0) throw new RangeError(`gemm size ${n} must be a positive multiple of 4`);
  const size = n * n;
  if (a.length < size || b.length < size || c.length < size || packed.length < size) {
    throw new RangeError(`gemm buffers must hold ${size} floats for n=${n}`);
  }
  packPanels(b, n, packed);
  for (let i = 0; i < n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let j = 0; j < n; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let p = j * n;
      for (let k = 0; k < n; k++, p += 4) {
        const b0 = packed[p], b1 = packed[p + 1], b2 = packed[p + 2], b3 = packed[p + 3];
        const a0 = a[r0 + k], a1 = a[r1 + k], a2 = a[r2 + k], a3 = a[r3 + k];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      c[r0 + j] += c00; c[r0 + j + 1] += c01; c[r0 + j + 2] += c02; c[r0 + j + 3] += c03;
      c[r1 + j] += c10; c[r1 + j + 1] += c11; c[r1 + j + 2] += c12; c[r1 + j + 3] += c13;
      c[r2 + j] += c20; c[r2 + j + 1] += c21; c[r2 + j + 2] += c22; c[r2 + j + 3] += c23;
      c[r3 + j] += c30; c[r3 + j + 1] += c31; c[r3 + j + 2] += c32; c[r3 + j + 3] += c33;
    }
  }
}

/** packed[(j·n + k)·4 + t] = B[k][j + t]: each 4-column panel of B, row after row. */
function packPanels(b, n, packed) {
  for (let j = 0; j < n; j += 4) {
    const base = j * n;
    for (let k = 0; k < n; k++) {
      const s = k * n + j;
      const d = base + k * 4;
      packed[d] = b[s];
      packed[d + 1] = b[s + 1];
      packed[d + 2] = b[s + 2];
      packed[d + 3] = b[s + 3];
    }
  }
}

/**
 * Deterministic fill with small values, so repeated accumulation never overflows or goes
 * denormal (which would slow the kernel and distort the figure).
 * @param {Float32Array} m
 * @param {number} seed
 */
export function fillMatrix(m, seed) {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < m.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    m[i] = ((x >>> 0) / 4294967296 - 0.5) * 0.01;
  }
}
