// Reverse-mode autograd: every op result that depends on a tensor requiring grad records a GradNode
// (its inputs and a backward closure). backward() walks the graph once in topological order,
// passing gradients from outputs to inputs and accumulating them into leaves that require grad.
// Gradients of intermediate (non-leaf) tensors are dropped as soon as they have been propagated.
import { native } from './binding';
import { allocateLike, type Storage } from './storage';

/** What the engine needs from a tensor (Tensor implements it; kept minimal to avoid an import cycle). */
export interface GraphTensor {
  readonly gradFn: GradNode | null;
  readonly requiresGrad: boolean;
  readonly numel: number;
  /** Adds g into this leaf's .grad (creating it on first use). g may be shared: it must be copied, never kept. */
  accumulateGrad(g: Storage): void;
}

/**
 * Maps the gradient of an op's output to the gradients of its inputs: one entry per input, null
 * where needsGrad is false. Returned buffers may alias gradOut or each other; the engine never
 * writes into a buffer it did not allocate.
 */
export type BackwardFn = (gradOut: Storage, needsGrad: readonly boolean[]) => (Storage | null)[];

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly GraphTensor[];
  readonly backward: BackwardFn;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording a graph (results have requiresGrad false). Synchronous: fn's return value is passed through. */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`noGrad: fn expects a function, but got ${typeof fn}`);
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** The node to attach to an op's result, or null when nothing upstream needs a gradient. */
export function makeGradNode(op: string, inputs: readonly (GraphTensor | null | undefined)[], backward: BackwardFn): GradNode | null {
  if (!gradEnabled) return null;
  const present = inputs.filter((t): t is GraphTensor => t != null);
  if (!present.some((t) => t.requiresGrad)) return null;
  // Absent inputs (an optional bias) become non-requiring placeholders so indices stay aligned.
  return { op, inputs: inputs.map((t) => t ?? NO_INPUT), backward };
}

const NO_INPUT: GraphTensor = { gradFn: null, requiresGrad: false, numel: 0, accumulateGrad() {} };

/** Propagates rootGrad (d out / d root, same length as root) through the graph behind root. */
export function runBackward(root: GraphTensor, rootGrad: Storage): void {
  if (root.gradFn === null) {
    root.accumulateGrad(rootGrad);
    return;
  }
  const pending = new Map<GraphTensor, Storage>([[root, rootGrad]]);
  for (const t of topologicalOrder(root)) {
    const gradOut = pending.get(t);
    if (gradOut === undefined) continue;
    pending.delete(t);
    const node = t.gradFn as GradNode;
    const needsGrad = node.inputs.map((input) => input.requiresGrad);
    const gradIn = node.backward(gradOut, needsGrad);
    node.inputs.forEach((input, k) => {
      const g = gradIn[k];
      if (!needsGrad[k] || g == null) return;
      if (g.length !== input.numel) {
        throw new Error(`autograd: ${node.op} produced a gradient of ${g.length} values for an input of ${input.numel} (a bug in atrous)`);
      }
      if (input.gradFn === null) {
        input.accumulateGrad(g);
      } else {
        const previous = pending.get(input);
        pending.set(input, previous === undefined ? g : sumOf(previous, g));
      }
    });
  }
}

/** Tensors with a gradFn reachable from root, each after every tensor that consumes it. */
function topologicalOrder(root: GraphTensor): GraphTensor[] {
  const postorder: GraphTensor[] = [];
  const visited = new Set<GraphTensor>([root]);
  // Iterative DFS (deep graphs must not overflow the JS stack): [tensor, index of next input to visit].
  const stack: [GraphTensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = (top[0].gradFn as GradNode).inputs;
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.gradFn !== null && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      postorder.push(top[0]);
      stack.pop();
    }
  }
  return postorder.reverse();
}

/** A fresh buffer: a and b may be aliased elsewhere, so neither is written. */
function sumOf(a: Storage, b: Storage): Storage {
  const out = allocateLike(a);
  native().add(a, b, out);
  return out;
}
