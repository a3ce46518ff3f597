export const dynamic = 'force-static';

/** Public. */
export function GET(): Response {
  return Response.json({ hello: 'world', try: ['/api/me', '/api/cookies'] });
}
