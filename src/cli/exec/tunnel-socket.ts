import { WebSocketStream } from '../../tunnel/index.js';

/**
 * A tunnel stream that node-postgres can use in place of its `net.Socket`
 * (the `stream` option of `pg.Client`). pg 8 calls `setNoDelay()` and
 * `connect(port, host)` on it, then waits for 'connect'
 * (pg/lib/connection.js); the tunnel is already open, so connecting is
 * announced on the next tick, after pg has attached its listener. The other
 * socket methods it may call are no-ops: the WebSocket keeps itself alive
 * with pings, and a one-shot command never unrefs its connection.
 */
export class PgTunnelSocket extends WebSocketStream {
  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}
