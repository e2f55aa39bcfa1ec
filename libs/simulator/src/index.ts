export { hashSeed, Rng, ZipfSampler } from './rng.js';
export { Simulator, type CatalogueItem, type ReviewSample, type SimulatorOptions, type SimulatorStats } from './simulator.js';
