#!/usr/bin/env node
/** Entry point of the `tessera` binary. */
import { runCli } from './main.js';

await runCli(process.argv);
