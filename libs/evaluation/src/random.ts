export { mulberry32 } from '@clickwise/random';
