/**
 * `GET /pages/theme.css` and `/pages/logo.svg|png`: the operator's style sheet and logo from
 * `pages.templateDir` (page-look.ts), served same-origin so the pages' CSP needs no outside source.
 * Fixed for the life of the process, cached for an hour with an ETag; the logo carries a CSP of its
 * own, so an SVG opened directly can run nothing.
 */
import type { FastifyInstance } from 'fastify';
import type { PageFile, PageLook } from '../pages/page-look.js';

export function registerPageFiles(app: FastifyInstance, look: PageLook): void {
  const files = [look.theme, look.logo].filter((file): file is PageFile => file !== undefined);
  for (const file of files) {
    app.get(file.path, async (request, reply) => {
      reply
        .header('etag', file.etag)
        .header('cache-control', 'public, max-age=3600')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
      if (request.headers['if-none-match'] === file.etag) {
        return reply.code(304).send();
      }
      return reply.type(file.type).send(file.body);
    });
  }
}
