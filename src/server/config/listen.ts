import { isIPv4, isIPv6 } from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

/** The default host when only a port is given: the gateway is not exposed by accident. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/**
 * `:8009` means every interface, as it does for Go's `net.Listen` and for
 * `docker run -p`: writing the colon without a host is a deliberate choice,
 * unlike a bare `8009`, which keeps the loopback default.
 */
export const ALL_INTERFACES = '0.0.0.0';

const ADDRESS_EXPECTED = 'expected host:port such as 127.0.0.1:8009, :8009 or [::1]:8009';
const PORT_EXPECTED = 'expected host:port with a port from 0 to 65535, such as 127.0.0.1:8009';

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Parses a `listen` value: `host:port`, `[::1]:port`, `:port` or a bare port.
 * Port 0 is allowed (the OS picks one, which tests rely on).
 *
 * @returns the address, or a message starting with "expected" saying what is accepted.
 */
export function parseListen(value: string | number): ListenAddress | string {
  if (typeof value === 'number') {
    return isPort(value) ? { host: DEFAULT_LISTEN_HOST, port: value } : PORT_EXPECTED;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) return parseListen(Number(text));

  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':')
      return 'expected [IPv6 address]:port such as [::1]:8009';
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIPv6(host)) return 'expected [IPv6 address]:port such as [::1]:8009';
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return ADDRESS_EXPECTED;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return 'expected an IPv6 address in brackets, such as [::1]:8009';
    if (host === '') host = ALL_INTERFACES;
    else if (!isIPv4(host) && !HOST_NAME.test(host)) return ADDRESS_EXPECTED;
  }

  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  return isPort(port) ? { host, port } : PORT_EXPECTED;
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65_535;
}
