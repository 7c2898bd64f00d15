import { fuzzReader } from './reader-fuzz.js';

fuzzReader('mbr');
