export { CowDevice } from './cow-device.js';
export { type ExerciseInput, exercise, isExpected, newReach, READERS, type Reach, type Reader } from './exercise.js';
export { FailAfterDevice, InjectedIoError } from './fail-device.js';
export { HangError, memory, Watchdog, WatchedDevice } from './guard.js';
export { type AnyStruct, mutate, type Seed, type StructSite } from './mutate.js';
export { caseSeed, Rng } from './rng.js';
export { type CaseOptions, type CaseResult, type Outcome, prepare, runCase, runInput } from './runner.js';
export { mutateSpec } from './spec-mutate.js';
