/** A test browser (cookie jar, support/login.ts) on a given network with a given User-Agent. */
import type { TestServer } from './bootstrap.js';
import { Browser } from './login.js';

export class Device extends Browser {
  constructor(
    server: TestServer,
    readonly where: { ip: string; userAgent: string },
  ) {
    super(server);
  }

  override async get(url: string) {
    const response = await this.t.app.inject({
      method: 'GET',
      url: url.startsWith('/') ? url : new URL(url).pathname + new URL(url).search,
      remoteAddress: this.where.ip,
      headers: { cookie: this.header(), 'user-agent': this.where.userAgent },
    });
    this.store(response.headers['set-cookie']);
    return response;
  }

  override async post(url: string, params: Record<string, string>) {
    const response = await this.t.app.inject({
      method: 'POST',
      url,
      remoteAddress: this.where.ip,
      headers: {
        cookie: this.header(),
        'user-agent': this.where.userAgent,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams(params).toString(),
    });
    this.store(response.headers['set-cookie']);
    return response;
  }
}
