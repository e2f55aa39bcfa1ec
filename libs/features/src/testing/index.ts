// `@clickwise/features/testing`: what tests need and runtime code must not load (lint-enforced):
// the naive reference and seeded random event streams.
export { naiveValue } from './naive.js';
export { randomEvents, rng, type RandomStreamOptions } from './random-events.js';
