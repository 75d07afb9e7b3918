/**
 * Module containers without a forward of their own (PyTorch's nn.ModuleList and
 * nn.ModuleDict): they hold modules so that their parameters are found and named
 * ("0.weight", "encoder.weight"), and the holder's forward calls them.
 */
import { AutogradError } from '../errors';
import type { Tensor } from '../tensor';
import { is, typeError } from '../validate';
import { Module } from './module';

function checkModule(fn: string, name: string, value: unknown): Module {
  if (!(value instanceof Module)) throw typeError(fn, name, 'a Module', value);
  return value;
}

const noForward = (name: string) =>
  new AutogradError(`${name}.forward: a ${name} has no forward of its own; call the modules it holds`);

/** Modules by position, stored under "0", "1", … as in PyTorch. */
export class ModuleList extends Module {
  [index: number]: Module;
  #length = 0;

  constructor(modules: readonly Module[] = []) {
    super();
    if (!Array.isArray(modules)) throw typeError('ModuleList', 'modules', 'an array of Modules', modules);
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this.#length;
  }

  /** Adds a module at the end; returns this. */
  append(module: Module): this {
    this[this.#length] = checkModule('ModuleList.append', 'module', module);
    this.#length++;
    return this;
  }

  *[Symbol.iterator](): IterableIterator<Module> {
    for (let i = 0; i < this.#length; i++) yield this[i];
  }

  override forward(_input: Tensor): Tensor {
    throw noForward('ModuleList');
  }
}

/** Modules by name (each name becomes the prefix of its parameters' names). */
export class ModuleDict extends Module {
  readonly #names: string[] = [];

  constructor(modules: Record<string, Module> = {}) {
    super();
    if (!is.plainObject(modules)) throw typeError('ModuleDict', 'modules', 'an object of Modules by name', modules);
    for (const [name, m] of Object.entries(modules)) this.set(name, m);
  }

  /** Adds or replaces the module under `name` (a name the container itself does not use). */
  set(name: string, module: Module): this {
    const fn = 'ModuleDict.set';
    if (typeof name !== 'string' || name === '' || name.includes('.') || (!this.#names.includes(name) && name in this)) {
      throw typeError(fn, 'name', 'a non-empty name without dots that is not a property of ModuleDict', name);
    }
    (this as unknown as Record<string, Module>)[name] = checkModule(fn, `modules['${name}']`, module);
    if (!this.#names.includes(name)) this.#names.push(name);
    return this;
  }

  get(name: string): Module | undefined {
    return this.#names.includes(name) ? (this as unknown as Record<string, Module>)[name] : undefined;
  }

  keys(): string[] {
    return this.#names.slice();
  }

  override forward(_input: Tensor): Tensor {
    throw noForward('ModuleDict');
  }
}
