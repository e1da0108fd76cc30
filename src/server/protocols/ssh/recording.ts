import type { Enforcer } from '../../enforcement/index.js';

/** The first bytes of an exec's output, kept for its command event (`audit.preview.bytes`). */
export class OutputPreview {
  private readonly chunks: Buffer[] = [];
  bytes = 0;
  private truncated = false;

  constructor(private readonly max: number) {}

  add(chunk: Buffer): void {
    const room = this.max - this.bytes;
    if (room <= 0) {
      if (chunk.length > 0) this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(Buffer.from(kept));
    this.bytes += kept.length;
  }

  /** As UTF-8 text; a character cut at the end is dropped. */
  result(): { text: string; truncated: boolean } {
    const bytes = Buffer.concat(this.chunks);
    let end = bytes.length;
    // Back off a multi-byte character the bound cut in two.
    if (this.truncated) {
      let lead = end - 1;
      while (lead > 0 && end - lead < 4 && ((bytes[lead] as number) & 0xc0) === 0x80) lead--;
      const first = bytes[lead] as number;
      const need = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
      if (end - lead < need) end = lead;
    }
    return { text: bytes.toString('utf8', 0, end), truncated: this.truncated };
  }
}

/**
 * A terminal session's output as audit events, each chunk stamped with its
 * time for replay, up to `max` bytes (`ssh.maxRecordedBytes`); past it one
 * last chunk says the recording stopped and why, so a replay ends on that
 * line rather than silently. A record that cannot be made durable ends the
 * channel (`onLost`).
 */
export class TerminalRecording {
  private recorded = 0;
  private stopped = false;

  constructor(
    private readonly enforcer: Enforcer,
    private readonly max: number,
    private readonly onLost: (error: Error) => void,
  ) {}

  output(chunk: Buffer): void {
    if (this.stopped) return;
    const room = this.max - this.recorded;
    if (chunk.length > room) {
      if (room > 0) this.append(chunk.subarray(0, room));
      this.stopped = true;
      this.append(
        Buffer.from(
          `\r\n[hoop: the recording of this session stopped after ${this.max} bytes (ssh.maxRecordedBytes)]\r\n`,
        ),
      );
      return;
    }
    this.recorded += chunk.length;
    this.append(chunk);
  }

  private append(data: Buffer): void {
    this.enforcer.terminal({ stream: 'output', data: Buffer.from(data) })?.catch(this.onLost);
  }
}
