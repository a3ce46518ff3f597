/**
 * The device authorization grant (RFC 8628): the flow that starts requests and records the
 * person's decision, and the sealer of the verification page's browser-bound tickets. The grant at
 * `/token` is built with the other grants for people (compose/user-grants.ts).
 */
import { createDeviceFlow, type DeviceFlow } from '../oauth/device/device-flow.js';
import {
  createVerificationTicketSealer,
  type VerificationTicketSealer,
} from '../oauth/device/verification-ticket.js';
import type { Core } from './core.js';

export interface Device {
  flow: DeviceFlow;
  tickets: VerificationTicketSealer;
}

export function composeDevice(core: Core): Device {
  const { config } = core;
  return {
    flow: createDeviceFlow({
      issuer: core.issuer,
      store: core.store,
      clock: core.clock,
      audit: core.audit,
      ttl: config.device.codeTtl,
      interval: config.device.interval,
      maxFailedConfirmations: config.device.maxFailedConfirmations,
    }),
    tickets: createVerificationTicketSealer(core.masterKey),
  };
}
