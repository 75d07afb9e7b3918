/**
 * The named errors convcore throws. Every message follows one template,
 * `<function>: expected <argument> to be <expected>, but got <actual>`, so that a user
 * sees where, what and why at once; `code` gives programs something stable to test.
 */

/** A value of the wrong JavaScript type or dtype (e.g. a Float64Array where float32 is needed). */
export class ArgumentTypeError extends TypeError {
  readonly code = 'CONVCORE_ARGUMENT_TYPE';
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentTypeError';
  }
}

/** A value of the right type but outside its allowed range (zero stride, NaN, 1.5 groups, …). */
export class ArgumentRangeError extends RangeError {
  readonly code = 'CONVCORE_ARGUMENT_RANGE';
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentRangeError';
  }
}

/** Tensors whose ranks or shapes do not fit together. */
export class ShapeError extends RangeError {
  readonly code = 'CONVCORE_SHAPE';
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** An options object with a key the function does not know (usually a typo). */
export class UnknownOptionError extends TypeError {
  readonly code = 'CONVCORE_UNKNOWN_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'UnknownOptionError';
  }
}

/** Misuse of autograd, such as backward() on a tensor that does not require grad. */
export class AutogradError extends Error {
  readonly code = 'CONVCORE_AUTOGRAD';
  constructor(message: string) {
    super(message);
    this.name = 'AutogradError';
  }
}

/** The native addon could not be loaded; the message lists what was tried and how to fix it. */
export class NativeBindingError extends Error {
  readonly code = 'CONVCORE_NATIVE_BINDING';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NativeBindingError';
  }
}

/** An image file that its codec cannot decode: truncated, corrupt or of an unknown format. */
export class ImageDecodeError extends Error {
  readonly code = 'CONVCORE_IMAGE_DECODE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}

/**
 * An output location that cannot be used as asked: a folder that is a file or cannot be
 * created or written to, or a batch in which two inputs would write one output file.
 */
export class OutputPathError extends Error {
  readonly code = 'CONVCORE_OUTPUT_PATH';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutputPathError';
  }
}

/**
 * A call that would take more memory than its limit allows: an image over `maxPixels` or
 * the batch's memory budget, async calls holding more than their limit of snapshots.
 */
export class ResourceLimitError extends RangeError {
  readonly code = 'CONVCORE_RESOURCE_LIMIT';
  constructor(message: string) {
    super(message);
    this.name = 'ResourceLimitError';
  }
}

/**
 * The distributed filter queue cannot do what was asked: Redis cannot be reached, the
 * queue's packages (bullmq, ioredis) are not installed, or a batch id is unknown.
 */
export class QueueError extends Error {
  readonly code = 'CONVCORE_QUEUE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueError';
  }
}
