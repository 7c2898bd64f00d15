import { fuzzReader } from './reader-fuzz.js';

fuzzReader('qcow2');
