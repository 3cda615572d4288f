/**
 * Whether a set of volumes fits a node's NVMe pools. Each volume lives in exactly one pool, so free space split
 * over two pools is not one volume's worth. Volumes go largest first into the pool with the most room left
 * (worst-fit decreasing): deterministic, and it leaves pools balanced, which suits the spread strategy.
 * Volumes still being provisioned (the reservation ledger) are placed before the pod's own.
 */
import type { PoolView } from './node-view.ts';

export interface Placement {
  readonly fits: boolean;
  /** Free bytes left per pool (same order as the input pools) after placing everything that fitted. */
  readonly freeAfter: readonly number[];
  /** The first volume that did not fit, in bytes; 0 when everything fitted. */
  readonly unplaced: number;
}

function placeInto(free: number[], volumes: readonly number[]): number {
  const sorted = volumes.length > 1 ? [...volumes].sort((a, b) => b - a) : volumes;
  for (const size of sorted) {
    let best = -1;
    for (let i = 0; i < free.length; i++) {
      const room = free[i] ?? 0;
      if (room >= size && (best < 0 || room > (free[best] ?? 0))) best = i;
    }
    if (best < 0) return size;
    free[best] = (free[best] ?? 0) - size;
  }
  return 0;
}

export function placeVolumes(
  pools: readonly PoolView[],
  reserved: readonly number[],
  volumes: readonly number[],
): Placement {
  const free = pools.map((p) => p.freeBytes);
  const unplacedReserved = placeInto(free, reserved);
  if (unplacedReserved > 0)
    return { fits: false, freeAfter: free, unplaced: volumes.length > 0 ? Math.max(...volumes) : 0 };
  const unplaced = placeInto(free, volumes);
  return { fits: unplaced === 0, freeAfter: free, unplaced };
}

export function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/**
 * Free NVMe bytes left on the node after placing reservations and the pod's volumes, or -1 when they do not fit.
 * The common case (one volume, nothing reserved) is answered from the largest pool without allocating.
 */
export function freeAfterPlacement(
  pools: readonly PoolView[],
  totalFree: number,
  reserved: readonly number[],
  volumes: readonly number[],
): number {
  if (reserved.length === 0 && volumes.length === 1) {
    const size = volumes[0] ?? 0;
    return (pools[0]?.freeBytes ?? -1) >= size ? totalFree - size : -1;
  }
  const placed = placeVolumes(pools, reserved, volumes);
  return placed.fits ? sum(placed.freeAfter) : -1;
}
