import pg from 'pg';

export interface SlowReadOptions {
  /** Local port of `hoop connect` (or of PostgreSQL itself). */
  port: number;
  database: string;
  /** Through the gateway any user name does, with no password. */
  user?: string;
  password?: string;
  /** One statement sent as a simple Query; its rows arrive as arrays of text values. */
  sql: string;
  /** The reader takes bytes off its socket no faster than this; 0 reads as fast as it can. */
  bytesPerSecond: number;
  /** Called for every row, in order. */
  onRow?: (row: unknown[]) => void;
}

export interface SlowReadResult {
  rows: number;
  /** The characters of every non-NULL value, summed. */
  valueChars: number;
  /** Bytes read off the socket while the statement ran. */
  socketBytes: number;
  seconds: number;
  /** Time the socket was paused by the throttle: the reader, not the path, held the data back. */
  pausedSeconds: number;
}

/**
 * The `pg` driver reading one large result slowly: its socket is paused
 * whenever the bytes read so far are ahead of `bytesPerSecond`, so the
 * kernel's buffers fill and everything upstream (the CLI, the tunnel, the
 * gateway, PostgreSQL) must hold back. Rows are counted, not kept.
 */
export async function slowRead(options: SlowReadOptions): Promise<SlowReadResult> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: options.port,
    user: options.user ?? 'slow-reader',
    password: options.password ?? '',
    database: options.database,
  });
  await client.connect();
  try {
    const socket = client.connection.stream;
    const result: SlowReadResult = {
      rows: 0,
      valueChars: 0,
      socketBytes: 0,
      seconds: 0,
      pausedSeconds: 0,
    };
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer): void => {
      result.socketBytes += chunk.length;
      if (options.bytesPerSecond <= 0 || timer) return;
      const due = start + (result.socketBytes / options.bytesPerSecond) * 1000;
      const wait = due - performance.now();
      // Below a few milliseconds the timer's own granularity would dominate.
      if (wait < 4) return;
      socket.pause();
      result.pausedSeconds += wait / 1000;
      timer = setTimeout(() => {
        timer = undefined;
        socket.resume();
      }, wait);
    };
    socket.on('data', onData);
    try {
      await new Promise<void>((resolve, reject) => {
        const config: pg.QueryArrayConfig = { text: options.sql, rowMode: 'array' };
        const query = new pg.Query(config);
        query.on('row', (row: unknown[]) => {
          result.rows++;
          for (const value of row) if (typeof value === 'string') result.valueChars += value.length;
          options.onRow?.(row);
        });
        query.on('end', () => resolve());
        query.on('error', reject);
        void client.query(query);
      });
    } finally {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.resume();
    }
    result.seconds = (performance.now() - start) / 1000;
    return result;
  } finally {
    await client.end();
  }
}
