/** torch.nn.init's functions, exported together as `init`. */
export {
  calculateGain, constant, kaimingNormal, kaimingUniform, normal, ones, uniform, xavierNormal, xavierUniform, zeros,
} from './init';
export type { Nonlinearity } from './init';
