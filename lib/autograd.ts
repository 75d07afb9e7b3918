/**
 * Reverse-mode automatic differentiation in the micrograd style: every op that sees an
 * input with `requiresGrad` records a node holding its parents and a closure that maps
 * the output's gradient to theirs; `backward` walks the graph in reverse topological
 * order. Leaf gradients accumulate, as in PyTorch.
 */
import { releaseGradient } from './alloc';
import type { Tensor } from './tensor';
import { addGradients } from './tensor-ops';

/** Maps the gradient of an op's output to one gradient (or null) per parent. */
export type BackwardFn = (gradOutput: Float32Array) => ReadonlyArray<Float32Array | null>;

export interface GradNode {
  readonly op: string;
  readonly parents: readonly Tensor[];
  readonly backward: BackwardFn;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording the graph (like `with torch.no_grad():`). `fn` must be
 * synchronous: the previous mode is restored when it returns.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** True when an op over these inputs must record a node. */
export function shouldRecord(inputs: ReadonlyArray<Tensor | null | undefined>): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Marks `output` as produced by `op` from `parents`, if any of them requires grad.
 * Async ops decide `enabled` when they are called, not when they finish.
 */
export function record(
  output: Tensor,
  op: string,
  parents: readonly Tensor[],
  backward: BackwardFn,
  enabled: boolean = shouldRecord(parents),
): Tensor {
  if (enabled) {
    output.requiresGrad = true;
    output._node = { op, parents, backward };
  }
  return output;
}

let epoch = 0;

/** Tensors reachable from `root` through recorded nodes, parents before children. */
function topologicalOrder(root: Tensor): Tensor[] {
  const mark = ++epoch; // tensors visited in this pass carry this mark
  const order: Tensor[] = [];
  root._mark = mark;
  // An explicit stack: long chains (many training steps unrolled) must not overflow.
  const stack: Tensor[] = [root];
  const next: number[] = [0];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const parents = top._node?.parents;
    const k = next[next.length - 1];
    if (parents !== undefined && k < parents.length) {
      next[next.length - 1] = k + 1;
      const parent = parents[k];
      if (parent.requiresGrad && parent._mark !== mark) {
        parent._mark = mark;
        stack.push(parent);
        next.push(0);
      }
    } else {
      order.push(top);
      stack.pop();
      next.pop();
    }
  }
  return order;
}

/** Propagates `gradRoot` (the gradient of some scalar with respect to `root`) to the leaves. */
export function runBackward(root: Tensor, gradRoot: Float32Array): void {
  const order = topologicalOrder(root);
  // Each tensor's incoming gradient waits in _pendingGrad until its turn. Gradient
  // buffers may be shared with other nodes (a reshape passes its buffer on), so they
  // are never written in place: a second contribution makes a new sum. A gradient is
  // released for reuse (allocGradient) once consumed, unless it was passed on; the
  // caller's gradRoot is never released (releaseGradient ignores foreign buffers).
  root._pendingGrad = gradRoot;
  for (let i = order.length - 1; i >= 0; i--) {
    const tensor = order[i];
    const grad = tensor._pendingGrad;
    if (grad === null) continue;
    tensor._pendingGrad = null;
    const node = tensor._node;
    if (node === null) {
      if (!tensor._accumulateGrad(grad)) releaseGradient(grad);
      continue;
    }
    const parentGrads = node.backward(grad);
    if (!parentGrads.includes(grad)) releaseGradient(grad);
    const parents = node.parents;
    for (let k = 0; k < parents.length; k++) {
      const g = parentGrads[k];
      const parent = parents[k];
      if (g === null || g === undefined || !parent.requiresGrad) continue;
      const previous = parent._pendingGrad;
      if (previous === null) parent._pendingGrad = g;
      else {
        parent._pendingGrad = addGradients(previous, g);
        releaseGradient(previous);
        if (!parentGrads.includes(g, k + 1)) releaseGradient(g);
      }
    }
  }
}
