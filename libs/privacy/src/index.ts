export { ErasureFollower, ErasureLog, type ErasureFollowerOptions, type ErasureRequest } from './erasures.js';
