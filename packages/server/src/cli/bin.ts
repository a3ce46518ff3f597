#!/usr/bin/env node
/** Entry point of the `tessera` binary. */
import { runCli } from './main.js';

// `tessera clients list | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') {
    process.exit(0);
  }
  throw error;
});

await runCli(process.argv);
