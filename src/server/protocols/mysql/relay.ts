import { once } from 'node:events';
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { CloseReasonName } from '../../../tunnel/index.js';
import {
  refusedInstead,
  type Allowed,
  type CellMasker,
  type Decision,
  type Held,
  type Enforcer,
  type MaskPlan,
  type Refused,
  type ResultPreview,
  type SqlAnalysis,
} from '../../enforcement/index.js';
import type { ProtocolSession, SessionOutcome } from '../handler.js';
import { resultColumns } from './columns.js';
import { PacketSource, PeerClosedError } from './packet-source.js';
import {
  Capability,
  Command,
  MysqlProtocolError,
  Reader,
  Reply,
  Status,
  buildBinaryRow,
  buildCommand,
  buildErr,
  buildOk,
  buildTextRow,
  commandName,
  isBinaryString,
  isEof,
  parseBinaryRow,
  parseColumnDefinition,
  parseCommand,
  parseEof,
  parseErr,
  parseOk,
  parsePrepareOk,
  parseTextRow,
  type ColumnDefinition,
  type ErrPacket,
  type OkPacket,
  type Packet,
} from './protocol/index.js';
import { classifyMysql, lexFlags, type MysqlClassifierLimits } from './sql/classify.js';
import type { LexSettings } from './sql/lexer.js';
import type { MysqlStatement } from './sql/types.js';

/** Bytes gathered for the client before a write. */
const WRITE_BATCH = 64 * 1024;

/** MySQL error numbers the gateway answers with (https://mariadb.com/kb/en/mariadb-error-code-reference/). */
const ER = {
  /** ER_TABLEACCESS_DENIED_ERROR: the policy refusal DESIGN.md names. */
  denied: { errno: 1142, sqlState: '42000' },
  /** ER_PARSE_ERROR. */
  syntax: { errno: 1064, sqlState: '42000' },
  /** ER_DBACCESS_DENIED_ERROR. */
  database: { errno: 1044, sqlState: '42000' },
  /** ER_UNKNOWN_COM_ERROR. */
  command: { errno: 1047, sqlState: '08S01' },
  /** ER_UNKNOWN_STMT_HANDLER. */
  statement: { errno: 1243, sqlState: 'HY000' },
  /** ER_NEED_REPREPARE. */
  reprepare: { errno: 1615, sqlState: 'HY000' },
  /** ER_INVALID_CHARACTER_STRING. */
  encoding: { errno: 1300, sqlState: 'HY000' },
} as const;

/** A prepared statement as the gateway decided it at COM_STMT_PREPARE. */
interface Prepared {
  decision: Allowed;
  policyVersion: string | undefined;
  columns: number;
}

/** How one request's response ended, for its record. */
interface Completion {
  rows: number;
  error?: ErrPacket;
  preview?: ResultPreview;
}

export interface MysqlRelayOptions {
  session: ProtocolSession;
  client: Duplex;
  clientPackets: PacketSource;
  target: Duplex;
  targetPackets: PacketSource;
  /** The capabilities both sides of the session use. */
  capabilities: number;
  /** How the target lexes SQL now (its sql_mode, its version). */
  lexing: LexSettings;
  /** The connection's database, when it names one: the session is pinned to it. */
  database: string | undefined;
  limits: MysqlClassifierLimits;
}

/**
 * Relays one MySQL session command by command (the protocol is
 * half-duplex: a command, its whole response, the next): every COM_QUERY
 * and COM_STMT_PREPARE is classified and decided first, refusals are
 * answered with an ERR packet and the session goes on, result rows (text
 * and binary) are masked on their way back, and each request's completing
 * packet waits for its audit record.
 */
export class MysqlRelay {
  private readonly enforcer: Enforcer;
  private readonly client: Duplex;
  private readonly target: Duplex;
  private readonly clientPackets: PacketSource;
  private readonly targetPackets: PacketSource;
  private readonly capabilities: number;
  private lexing: LexSettings;
  private readonly loginLexing: LexSettings;
  /** Protocol-level prepared statements by id. */
  private readonly prepared = new Map<number, Prepared>();
  private lastPrepared = -1;
  /** SQL-level prepared statements (PREPARE name FROM '…') by lower-cased name. */
  private readonly sqlPrepared = new Map<string, MysqlStatement>();
  private out: Buffer[] = [];
  private outBytes = 0;
  bytesDown = 0;

  constructor(private readonly options: MysqlRelayOptions) {
    this.enforcer = options.session.enforcer;
    this.client = options.client;
    this.target = options.target;
    this.clientPackets = options.clientPackets;
    this.targetPackets = options.targetPackets;
    this.capabilities = options.capabilities;
    this.lexing = options.lexing;
    this.loginLexing = options.lexing;
  }

  async run(): Promise<Omit<SessionOutcome, 'bytesUp' | 'bytesDown'>> {
    for (;;) {
      let packet: Packet;
      try {
        await this.flush();
        packet = await this.clientPackets.next();
      } catch (error) {
        if (error instanceof PeerClosedError) return this.end('client_closed');
        if (error instanceof MysqlProtocolError)
          return this.fatal(error.errno, error.sqlState, `hoop: ${error.message}`, error.code);
        return this.end('client_vanished', (error as Error).message);
      }
      if (packet.sequenceId !== 0) {
        return this.fatal(
          1156,
          '08S01',
          `hoop: a command with sequence id ${packet.sequenceId}, not 0`,
          'MYSQL_BAD_SEQUENCE',
        );
      }
      try {
        const done = await this.command(packet);
        if (done) return this.end('client_closed');
      } catch (error) {
        if (error instanceof PeerClosedError) {
          return this.end(
            error.message.startsWith('the target') ? 'target_closed' : 'client_closed',
          );
        }
        if (error instanceof MysqlProtocolError) {
          return this.fatal(error.errno, error.sqlState, `hoop: ${error.message}`, error.code);
        }
        throw error;
      }
    }
  }

  private end(reason: CloseReasonName, detail?: string) {
    this.target.destroy();
    if (!this.client.destroyed) this.client.end();
    return { reason, ...(detail === undefined ? {} : { detail }) };
  }

  /** An ERR the client can read, then the connection closes: a stable reason for the record. */
  private fatal(errno: number, sqlState: string, message: string, code: string) {
    this.target.destroy();
    if (this.client.writable) this.client.end(buildErr({ errno, sqlState, message }, 1));
    this.options.session.log.info({ event: 'mysql_protocol_error', code }, message);
    return { reason: 'protocol_error' as const, detail: `${code}: ${message}` };
  }

  /** Handles one command and its whole response; true when the session ends (COM_QUIT). */
  private async command(packet: Packet): Promise<boolean> {
    const command = parseCommand(packet.payload);
    switch (command.command) {
      case 'quit':
        this.target.write(packet.bytes);
        return true;
      case 'ping':
      case 'statistics':
      case 'set-option':
        this.target.write(packet.bytes);
        await this.simpleResponse();
        return false;
      case 'reset': {
        this.target.write(packet.bytes);
        await this.simpleResponse();
        return false;
      }
      case 'reset-connection':
        this.target.write(packet.bytes);
        if ((await this.simpleResponse())[0] === Reply.OK) this.forgetSession();
        return false;
      case 'change-user': {
        const pinned = this.options.database;
        if (
          pinned !== undefined &&
          command.database !== undefined &&
          command.database.toLowerCase() !== pinned.toLowerCase()
        ) {
          this.sendErr(ER.database, `hoop: this connection is pinned to the database ${pinned}`, 1);
          return false;
        }
        await this.changeUser();
        return false;
      }
      case 'init-db': {
        const pinned = this.options.database;
        if (pinned !== undefined && command.database.toLowerCase() !== pinned.toLowerCase()) {
          this.sendErr(ER.database, `hoop: this connection is pinned to the database ${pinned}`, 1);
          return false;
        }
        this.target.write(packet.bytes);
        await this.simpleResponse();
        return false;
      }
      case 'query':
        await this.query(packet, command.sql);
        return false;
      case 'prepare':
        await this.prepare(packet, command.sql);
        return false;
      case 'execute':
        await this.execute(packet, command.statementId, command.flags);
        return false;
      case 'send-long-data':
        this.target.write(packet.bytes);
        return false;
      case 'close':
        this.target.write(packet.bytes);
        this.prepared.delete(this.statementId(command.statementId));
        return false;
      case 'fetch': {
        const statement = this.prepared.get(this.statementId(command.statementId));
        if (statement?.decision.masks) {
          this.sendErr(ER.command, 'hoop: cursors are not supported while masking applies', 1);
          return false;
        }
        this.target.write(packet.bytes);
        await this.results({ binary: true, masks: undefined, fetch: true });
        return false;
      }
      case 'field-list': {
        const verdict = await this.decide(
          `SHOW COLUMNS FROM \`${command.table.replaceAll('`', '``')}\``,
        );
        if (verdict.effect === 'deny') {
          await this.refuse(verdict, 1);
          return false;
        }
        this.target.write(packet.bytes);
        const started = performance.now();
        const completion = await this.fieldList();
        await this.finish(verdict, completion, started);
        return false;
      }
      default:
        this.sendErr(
          ER.command,
          `hoop: ${commandName(packet.payload[0]!)} is not supported through the gateway`,
          1,
        );
        return false;
    }
  }

  /** MariaDB's "the statement just prepared" id (0xffffffff) stands for the last one. */
  private statementId(id: number): number {
    return id === 0xffffffff ? this.lastPrepared : id;
  }

  private async query(packet: Packet, sql: Buffer): Promise<void> {
    if (this.enforcer.active && !isUtf8(sql)) {
      this.sendErr(
        ER.encoding,
        'hoop: SQL text that is not valid UTF-8 is refused (the session is utf8mb4)',
        1,
      );
      return;
    }
    const text = sql.toString('utf8');
    const verdict = await this.decide(text);
    if (verdict.effect === 'deny') {
      await this.refuse(verdict, 1);
      return;
    }
    const started = performance.now();
    this.target.write(packet.bytes);
    const completion = await this.results({ binary: false, masks: verdict.masks });
    if (!completion.error) this.followPrepares(text);
    await this.finish(verdict, completion, started);
  }

  private async prepare(packet: Packet, sql: Buffer): Promise<void> {
    if (this.enforcer.active && !isUtf8(sql)) {
      this.sendErr(
        ER.encoding,
        'hoop: SQL text that is not valid UTF-8 is refused (the session is utf8mb4)',
        1,
      );
      return;
    }
    const verdict = await this.decide(sql.toString('utf8'));
    if (verdict.effect === 'deny') {
      await this.refuse(verdict, 1);
      return;
    }
    this.target.write(packet.bytes);
    const first = await this.nextTarget();
    if (first.payload[0] !== Reply.OK) {
      // ERR: the server refused it; recorded as the statement's outcome.
      const error = first.payload[0] === Reply.ERR ? parseErr(first.payload) : undefined;
      await this.finish(
        verdict,
        { rows: 0, ...(error ? { error } : {}) },
        performance.now(),
        first,
      );
      return;
    }
    const ok = parsePrepareOk(first.payload);
    this.send(first.bytes);
    const eof = this.capabilities & Capability.DEPRECATE_EOF ? 0 : 1;
    const packets = (ok.params > 0 ? ok.params + eof : 0) + (ok.columns > 0 ? ok.columns + eof : 0);
    for (let i = 0; i < packets; i++) this.send((await this.nextTarget()).bytes);
    this.prepared.set(ok.statementId, {
      decision: verdict,
      policyVersion: this.enforcer.policyVersion,
      columns: ok.columns,
    });
    this.lastPrepared = ok.statementId;
  }

  private async execute(packet: Packet, id: number, flags: number): Promise<void> {
    const statement = this.prepared.get(this.statementId(id));
    if (!statement) {
      if (this.enforcer.active) {
        this.sendErr(ER.statement, `hoop: unknown prepared statement ${id}`, 1);
        return;
      }
      this.target.write(packet.bytes);
      await this.results({ binary: true, masks: undefined });
      return;
    }
    if (statement.policyVersion !== this.enforcer.policyVersion) {
      this.sendErr(
        ER.reprepare,
        'hoop: the policy changed since this statement was prepared; prepare it again',
        1,
      );
      return;
    }
    if (flags & 0x07 && statement.decision.masks) {
      this.sendErr(ER.command, 'hoop: cursors are not supported while masking applies', 1);
      return;
    }
    const started = performance.now();
    this.target.write(packet.bytes);
    const completion = await this.results({ binary: true, masks: statement.decision.masks });
    await this.finish(statement.decision, completion, started);
  }

  /** COM_CHANGE_USER: the target's user never changes; the session is reset (COM_RESET_CONNECTION) and the client told OK. */
  private async changeUser(): Promise<void> {
    this.target.write(buildCommand(Command.RESET_CONNECTION));
    const reply = await this.nextTarget();
    if (reply.payload[0] === Reply.OK) {
      this.forgetSession();
      this.send(
        buildOk({ status: parseOk(reply.payload, this.capabilities).status }, 1, this.capabilities),
      );
    } else {
      this.send(Buffer.concat([reply.bytes.subarray(0, 3), Buffer.of(1), reply.payload]));
    }
  }

  private forgetSession(): void {
    this.prepared.clear();
    this.sqlPrepared.clear();
    this.lexing = this.loginLexing;
  }

  /**
   * Classifies and decides one SQL string; holds it for review when asked.
   * The protocol's own refusals come on top of policy: a change of how the
   * server lexes SQL, of the pinned database, or a use of masked values
   * other than returning them.
   */
  private async decide(text: string): Promise<Allowed | Refused> {
    const classification = classifyMysql(text, this.lexing, this.options.limits);
    const statements = classification.ok
      ? classification.statements.map((s) => this.resolveExecute(s))
      : [];
    const analysis: SqlAnalysis = classification.ok
      ? { parsed: true, statements }
      : { parsed: false, reason: classification.reason, error: classification.error };
    let decision: Decision = this.enforcer.decide({ type: 'sql', text, analysis });
    if (decision.effect !== 'deny')
      decision = this.protocolRefusal(decision, statements) ?? decision;
    if (decision.effect === 'review') {
      const controller = new AbortController();
      const stop = () => controller.abort();
      this.client.once('close', stop);
      try {
        decision = await this.enforcer.hold(decision, {
          notice: (message) =>
            this.options.session.log.info({ event: 'mysql_review_notice' }, message),
          signal: controller.signal,
        });
      } finally {
        this.client.off('close', stop);
      }
    }
    return decision;
  }

  /** `EXECUTE name` is decided as what `PREPARE name FROM '…'` prepared; a name not seen prepared is unknowable. */
  private resolveExecute(statement: MysqlStatement): MysqlStatement {
    if (!statement.prepared) return statement;
    const known = this.sqlPrepared.get(statement.prepared);
    if (!known) {
      return {
        ...statement,
        kinds: [...statement.kinds, 'dynamic'],
        unknown: [
          {
            reason: 'prepared',
            message: `executes the prepared statement ${statement.prepared}, which the gateway did not see prepared`,
          },
        ],
      };
    }
    const kinds = [...statement.kinds];
    for (const kind of known.kinds) if (!kinds.includes(kind)) kinds.push(kind);
    return { ...known, text: statement.text, kinds, fingerprint: statement.fingerprint };
  }

  /** After a string ran: the SQL-level prepared statements it defined or released. */
  private followPrepares(text: string): void {
    const classification = classifyMysql(text, this.lexing, this.options.limits);
    if (!classification.ok) return;
    for (const statement of classification.statements) {
      if (statement.prepares)
        this.sqlPrepared.set(statement.prepares.name, statement.prepares.statement);
      if (statement.deallocates) this.sqlPrepared.delete(statement.deallocates);
    }
  }

  private protocolRefusal(
    decision: Allowed | Held,
    statements: readonly MysqlStatement[],
  ): Refused | undefined {
    if (!this.enforcer.active) return undefined;
    for (const statement of statements) {
      const lexer = statement.settings.find((setting) => setting.lexer);
      if (lexer) {
        return refusedInstead(
          decision,
          `hoop: the statement changes ${lexer.name}, which would make the server read SQL text differently from the gateway (the session is pinned to utf8mb4 and its sql_mode quoting)`,
        );
      }
      const pinned = this.options.database;
      if (
        statement.database !== undefined &&
        pinned !== undefined &&
        statement.database !== pinned.toLowerCase()
      ) {
        return refusedInstead(
          decision,
          `hoop: this connection is pinned to the database ${pinned}`,
        );
      }
    }
    const masks = decision.effect === 'allow' ? decision.masks : decision.hold.approved.masks;
    const rule = masks && columnRule(masks);
    if (rule) {
      const copying = statements.find((statement) => statement.nonProjection);
      if (copying) {
        return refusedInstead(
          decision,
          `hoop: the statement ${copying.nonProjection}, where masking rule ${rule} cannot apply`,
          rule,
        );
      }
    }
    return undefined;
  }

  /** A refusal in MySQL's words (ERR 1142, 42000, or 1064 for what cannot be read), recorded first. */
  private async refuse(refused: Refused, sequenceId: number): Promise<void> {
    const err = refused.reason === 'syntax' ? ER.syntax : ER.denied;
    if (refused.record) {
      await this.enforcer.record(refused.record, {
        type: 'sql',
        durationMs: 0,
        error: { code: String(err.errno), message: refused.message },
      });
    }
    this.sendErr(err, refused.message, sequenceId);
  }

  /** Records a request's outcome, then sends the packet that completes it (held until the record is durable). */
  private async finish(
    decision: Allowed,
    completion: Completion,
    started: number,
    last?: Packet,
  ): Promise<void> {
    if (decision.record) {
      await this.enforcer.record(decision.record, {
        type: 'sql',
        rows: completion.rows,
        durationMs: performance.now() - started,
        ...(completion.error
          ? { error: { code: String(completion.error.errno), message: completion.error.message } }
          : {}),
        ...(completion.preview ? { preview: completion.preview } : {}),
      });
    }
    if (last) this.send(last.bytes);
    if (this.held) {
      this.send(this.held.bytes);
      this.held = undefined;
    }
    await this.flush();
  }

  /** The packet that completes the current response, held until its record is durable. */
  private held: Packet | undefined;

  private sendErr(
    err: { errno: number; sqlState: string },
    message: string,
    sequenceId: number,
  ): void {
    this.send(buildErr({ ...err, message }, sequenceId));
  }

  private send(bytes: Buffer): void {
    this.out.push(bytes);
    this.outBytes += bytes.length;
    if (this.outBytes >= WRITE_BATCH) this.writeOut();
  }

  private writeOut(): void {
    if (this.out.length === 0) return;
    const bytes = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    this.bytesDown += bytes.length;
    this.client.write(bytes);
  }

  private async flush(): Promise<void> {
    this.writeOut();
    if (this.client.writableNeedDrain && !this.client.destroyed) {
      await Promise.race([once(this.client, 'drain'), once(this.client, 'close')]);
    }
  }

  private async nextTarget(): Promise<Packet> {
    const packet = this.targetPackets.take();
    if (packet) return packet;
    await this.flush();
    return this.targetPackets.next();
  }

  /** One-packet responses (OK, ERR, EOF, a statistics string): forwarded; returns the payload. */
  private async simpleResponse(): Promise<Buffer> {
    const reply = await this.nextTarget();
    this.followState(reply.payload);
    this.send(reply.bytes);
    return reply.payload;
  }

  /** COM_FIELD_LIST: column definitions until EOF (or the OK that replaces it) or ERR. */
  private async fieldList(): Promise<Completion> {
    let rows = 0;
    for (;;) {
      const packet = await this.nextTarget();
      if (packet.payload[0] === Reply.ERR) {
        this.held = packet;
        return { rows, error: parseErr(packet.payload) };
      }
      if (this.isTerminator(packet.payload)) {
        this.held = packet;
        return { rows };
      }
      rows++;
      this.send(packet.bytes);
    }
  }

  private isTerminator(payload: Buffer): boolean {
    if (payload[0] !== Reply.EOF) return false;
    return this.capabilities & Capability.DEPRECATE_EOF
      ? payload.length < 0xffffff
      : isEof(payload);
  }

  /** Status of a result set's terminator (EOF, or an OK under DEPRECATE_EOF). */
  private terminatorStatus(payload: Buffer): number {
    if (this.capabilities & Capability.DEPRECATE_EOF) {
      const ok = parseOk(payload, this.capabilities);
      this.followOk(ok);
      return ok.status;
    }
    return parseEof(payload).status;
  }

  /** Session state the server reports (SESSION_TRACK): a change in how it lexes ends the session (fail closed). */
  private followState(payload: Buffer): void {
    if (payload[0] === Reply.OK && payload.length >= 7)
      this.followOk(parseOk(payload, this.capabilities));
  }

  private followOk(ok: OkPacket): void {
    const mode = ok.variables.get('sql_mode');
    if (mode !== undefined) {
      const flags = lexFlags(mode);
      if (
        flags.ansiQuotes !== this.lexing.ansiQuotes ||
        flags.noBackslashEscapes !== this.lexing.noBackslashEscapes
      ) {
        throw new MysqlProtocolError(
          'MYSQL_UNSUPPORTED',
          `the server's sql_mode changed to ${mode}, which changes how it reads SQL text; the session ends`,
        );
      }
    }
    for (const name of ['character_set_client', 'character_set_connection']) {
      const value = ok.variables.get(name);
      if (value !== undefined && !/^utf8mb4/i.test(value)) {
        throw new MysqlProtocolError(
          'MYSQL_UNSUPPORTED',
          `the server's ${name} changed to ${value}; the session ends`,
        );
      }
    }
    if (ok.status & Status.NO_BACKSLASH_ESCAPES && !this.lexing.noBackslashEscapes) {
      throw new MysqlProtocolError(
        'MYSQL_UNSUPPORTED',
        'the server reads backslashes as ordinary characters now (NO_BACKSLASH_ESCAPES); the session ends',
      );
    }
  }

  /**
   * The response to COM_QUERY, COM_STMT_EXECUTE or COM_STMT_FETCH: OK,
   * ERR, or result sets (column count, definitions, [EOF], rows, EOF or
   * OK), several while the server sets MORE_RESULTS_EXISTS. Rows are
   * masked with the masker of `masks`; the last packet is held in
   * `this.held` for `finish`.
   */
  private async results(options: {
    binary: boolean;
    masks: MaskPlan | undefined;
    fetch?: boolean;
  }): Promise<Completion> {
    const masker = options.masks && this.enforcer.masker(options.masks);
    const preview = this.enforcer.preview;
    const captured: ResultPreview | undefined = preview
      ? { columns: [], rows: [], truncated: false }
      : undefined;
    let rows = 0;
    let statement = 0;
    for (;;) {
      const first = await this.nextTarget();
      const header = first.payload[0];
      if (header === Reply.ERR) {
        this.held = first;
        return { rows, error: parseErr(first.payload), ...(captured ? { preview: captured } : {}) };
      }
      if (header === Reply.OK && !options.fetch) {
        const ok = parseOk(first.payload, this.capabilities);
        this.followOk(ok);
        rows += ok.affectedRows;
        if (ok.status & Status.MORE_RESULTS_EXISTS) {
          this.send(first.bytes);
          statement++;
          continue;
        }
        this.held = first;
        return { rows, ...(captured ? { preview: captured } : {}) };
      }
      if (header === Reply.LOCAL_INFILE) {
        throw new MysqlProtocolError(
          'MYSQL_UNSUPPORTED',
          'the target asked for a LOCAL INFILE, which the gateway did not allow',
        );
      }
      let definitions: ColumnDefinition[] = [];
      if (!options.fetch) {
        const count = new Reader(first.payload).lenenc('column count');
        this.send(first.bytes);
        for (let i = 0; i < count; i++) {
          const packet = await this.nextTarget();
          definitions.push(parseColumnDefinition(packet.payload));
          this.send(packet.bytes);
        }
        if (!(this.capabilities & Capability.DEPRECATE_EOF)) {
          const eof = await this.nextTarget();
          if (eof.payload[0] === Reply.EOF && parseEof(eof.payload).status & Status.CURSOR_EXISTS) {
            this.held = eof;
            return { rows };
          }
          this.send(eof.bytes);
        }
      } else {
        definitions = [];
      }
      const types = definitions.map((d) => d.type);
      const columns = resultColumns(definitions, options.binary);
      const cells: CellMasker | undefined = masker?.plan(columns, statement);
      if (captured && captured.columns.length === 0)
        captured.columns = definitions.map((d) => d.name);
      let packet: Packet | undefined = options.fetch ? first : undefined;
      for (;;) {
        packet ??= await this.nextTarget();
        const payload = packet.payload;
        if (payload[0] === Reply.ERR) {
          this.held = packet;
          return { rows, error: parseErr(payload), ...(captured ? { preview: captured } : {}) };
        }
        if (this.isTerminator(payload)) {
          const status = this.terminatorStatus(payload);
          if (status & Status.MORE_RESULTS_EXISTS) {
            this.send(packet.bytes);
            statement++;
            break;
          }
          this.held = packet;
          return { rows, ...(captured ? { preview: captured } : {}) };
        }
        rows++;
        const out = cells
          ? this.maskRow(packet, cells, options.binary, types, definitions.length)
          : packet.bytes;
        this.send(out);
        if (captured && preview)
          this.capture(captured, preview, out, options.binary, types, definitions.length);
        packet = undefined;
      }
    }
  }

  /** A row with its masked cells replaced, or its own bytes when none changes. */
  private maskRow(
    packet: Packet,
    cells: CellMasker,
    binary: boolean,
    types: number[],
    count: number,
  ): Buffer {
    const values = binary
      ? parseBinaryRow(packet.payload, types)
      : parseTextRow(packet.payload, count);
    let changed = false;
    for (const index of cells.columns) {
      const value = values[index];
      if (value === null || value === undefined) continue;
      const masked = cells.maskCell(index, value);
      if (masked === undefined) continue;
      changed = true;
      // A binary value of a non-string type cannot hold a redaction: it becomes NULL.
      values[index] = binary && !isBinaryString(types[index]!) ? null : masked;
    }
    if (!changed) return packet.bytes;
    return binary
      ? buildBinaryRow(values, types, packet.sequenceId)
      : buildTextRow(values, packet.sequenceId);
  }

  private capture(
    preview: ResultPreview,
    limits: { rows: number; bytes: number },
    bytes: Buffer,
    binary: boolean,
    types: number[],
    count: number,
  ): void {
    if (preview.rows.length >= limits.rows) {
      preview.truncated = true;
      return;
    }
    const payload = bytes.subarray(4);
    const values = binary ? parseBinaryRow(payload, types) : parseTextRow(payload, count);
    preview.rows.push(
      values.map((value, i) =>
        value === null
          ? null
          : binary && !isBinaryString(types[i]!)
            ? `\\x${value.toString('hex')}`
            : value.toString('utf8'),
      ),
    );
  }
}

/** The first mask rule with column selectors (a copy elsewhere would escape them); detectors still apply where the copy is read. */
function columnRule(masks: MaskPlan): string | undefined {
  return masks.masks.find((mask) => mask.columns.length > 0)?.rule;
}
