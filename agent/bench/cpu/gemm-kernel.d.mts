/** C += A·B for square n×n row-major matrices; n a multiple of 4; `packed` is n×n scratch. */
export function gemmAccumulate(a: Float32Array, b: Float32Array, c: Float32Array, n: number, packed: Float32Array): void;
/** Deterministic small values (no overflow or denormals under repeated accumulation). */
export function fillMatrix(m: Float32Array, seed: number): void;
