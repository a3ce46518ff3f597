/** @type {import('next').NextConfig} */
export default {
  // Loaded by Node at run time from the workspace (packages/verify/dist), not bundled.
  serverExternalPackages: ['@tessera/verify'],
};
