import { Flags } from '@oclif/core';

/** Flags shared by every command that talks to a gateway. */
export const gatewayFlags = {
  gateway: Flags.string({
    description: 'gateway URL (default: $HOOP_GATEWAY or http://127.0.0.1:8009)',
    helpValue: 'URL',
  }),
};

export const jsonFlag = {
  json: Flags.boolean({ description: 'print JSON for scripts', default: false }),
};
