#!/usr/bin/env node
// The `tessera` command. A committed shim, so `npm install` can link it before the first build;
// the CLI itself is compiled to dist/ by `npm run build` (which `npm start` runs).
try {
  await import('../dist/cli/bin.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/bin.js')) {
    process.stderr.write(
      'tessera: not built yet; run `npm run build` (or `npm start`) in the repository first\n',
    );
    process.exit(1);
  }
  throw error;
}
