// A job's log as the agent uploads it: numbered chunks (the agent sends up to three
// at once, so they may arrive out of order), assembled by sequence. A chunk sent
// twice with the same bytes is a retry and is kept once; with different bytes it
// is refused. What a test should look at is listed in `problems`: missing
// sequence numbers, offsets that do not follow on, chunks that came after finish.

export interface StoredChunk {
  sequence: number;
  offset: number;
  size: number;
  data: Buffer;
  receivedAt: number;
  afterFinish: boolean;
}

export interface LogSnapshot {
  /** Bytes of the assembled log. */
  bytes: number;
  chunks: { sequence: number; offset: number; size: number; afterFinish: boolean }[];
  /** Chunks received again with identical bytes (retries), kept once. */
  duplicates: number;
  /** Empty when the log is whole: every sequence from 1 on, each offset where the last chunk ended. */
  problems: string[];
}

export class ChunkConflict extends Error {}

/**
 * The log as a person reads it: without the agent's inline timestamps
 * (`ESC _bk;t=<ms> BEL`), colour codes and carriage returns (a PTY writes CRLF).
 */
export function plainLog(text: string): string {
  /* eslint-disable no-control-regex -- these escape sequences are what the agent writes */
  return text
    .replace(/\x1b_bk;t=\d+\x07/g, "")
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/\r/g, "");
  /* eslint-enable no-control-regex */
}

export class JobLog {
  readonly #chunks = new Map<number, StoredChunk>();
  #duplicates = 0;

  /** Stores a chunk; `"duplicate"` when this exact chunk was already stored. */
  add(chunk: StoredChunk): "stored" | "duplicate" {
    const existing = this.#chunks.get(chunk.sequence);
    if (existing) {
      const same = existing.offset === chunk.offset && existing.size === chunk.size && existing.data.equals(chunk.data);
      if (!same) throw new ChunkConflict(`chunk ${chunk.sequence} was already received with different content`);
      this.#duplicates += 1;
      return "duplicate";
    }
    this.#chunks.set(chunk.sequence, chunk);
    return "stored";
  }

  #ordered(): StoredChunk[] {
    return [...this.#chunks.values()].sort((a, b) => a.sequence - b.sequence);
  }

  /** The chunks' bytes in sequence order. */
  bytes(): Buffer {
    return Buffer.concat(this.#ordered().map((c) => c.data));
  }

  text(): string {
    return this.bytes().toString("utf8");
  }

  /**
   * `failedChunks` is the agent's own count from finish (chunks_failed_count): chunks it
   * dropped after a 4xx. Lost chunks at the end leave no gap, so only this count shows them.
   */
  snapshot(failedChunks: number | null = null): LogSnapshot {
    const ordered = this.#ordered();
    const problems: string[] = [];
    let expectedSequence = 1;
    let expectedOffset = 0;
    for (const chunk of ordered) {
      if (chunk.sequence !== expectedSequence) {
        const missing = chunk.sequence - 1 === expectedSequence ? `${expectedSequence}` : `${expectedSequence}..${chunk.sequence - 1}`;
        problems.push(`missing chunk(s) ${missing}`);
      } else if (chunk.offset !== expectedOffset) {
        problems.push(`chunk ${chunk.sequence} starts at offset ${chunk.offset}, expected ${expectedOffset}`);
      }
      if (chunk.afterFinish) problems.push(`chunk ${chunk.sequence} arrived after the job finished`);
      expectedSequence = chunk.sequence + 1;
      expectedOffset = chunk.offset + chunk.size;
    }
    if (failedChunks !== null && failedChunks > 0) {
      problems.push(`the agent gave up on ${failedChunks} chunk(s) (chunks_failed_count): the log is incomplete`);
    }
    return {
      bytes: ordered.reduce((sum, c) => sum + c.size, 0),
      chunks: ordered.map(({ sequence, offset, size, afterFinish }) => ({ sequence, offset, size, afterFinish })),
      duplicates: this.#duplicates,
      problems,
    };
  }
}

/** The logs of all jobs, by job UUID. */
export class JobLogs {
  readonly #logs = new Map<string, JobLog>();

  for(jobId: string): JobLog {
    let log = this.#logs.get(jobId);
    if (!log) {
      log = new JobLog();
      this.#logs.set(jobId, log);
    }
    return log;
  }

  /** An empty log for a job that has none yet (without creating one). */
  peek(jobId: string): JobLog {
    return this.#logs.get(jobId) ?? new JobLog();
  }
}
