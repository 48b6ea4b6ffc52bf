// Pulling bytes from a stream of chunks: exactly N bytes (a header), or the next chunk of at most N (content,
// without copying). What was read past a request waits for the next one. Memory: one chunk at a time.
import {Buffer} from 'node:buffer';

/** `input`'s chunks as Buffers (strings as UTF-8), skipping empty ones. */
export async function* byteChunks(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
	for await (const chunk of input) {
		if (chunk.length === 0) continue;
		yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
	}
}

export interface ChunkReader {
	/** Exactly `count` bytes, copied; fewer only at the end of the input (then all that was left). */
	read(count: number): Promise<Buffer>;
	/** The next bytes, at most `max` of them, not copied; null at the end of the input. */
	next(max: number): Promise<Buffer | null>;
	/** Stops reading the input (its iterator's return: a file stream is closed). */
	close(): Promise<void>;
}

export function chunkReader(input: AsyncIterable<Buffer>): ChunkReader {
	const iterator = input[Symbol.asyncIterator]();
	let held: Buffer | null = null;
	let done = false;

	async function fill(): Promise<boolean> {
		if (held && held.length > 0) return true;
		if (done) return false;
		const result = await iterator.next();
		if (result.done) {
			done = true;
			return false;
		}
		held = result.value;
		return true;
	}

	return {
		async read(count) {
			const parts: Buffer[] = [];
			let have = 0;
			while (have < count && (await fill()) && held) {
				const part: Buffer = held.length > count - have ? held.subarray(0, count - have) : held;
				held = part === held ? null : held.subarray(part.length);
				parts.push(part);
				have += part.length;
			}
			return parts.length === 1 && parts[0] ? Buffer.from(parts[0]) : Buffer.concat(parts, have);
		},
		async next(max) {
			if (max <= 0 || !(await fill()) || !held) return null;
			const part: Buffer = held.length > max ? held.subarray(0, max) : held;
			held = part === held ? null : held.subarray(part.length);
			return part;
		},
		async close() {
			held = null;
			if (!done) {
				done = true;
				await iterator.return?.();
			}
		},
	};
}

export interface Peeked {
	/** The first bytes. */
	head: Buffer;
	/** The whole input again, those bytes included. */
	all: AsyncIterable<Buffer>;
	/** Stops the input when `all` is not to be read (a skipped entry): its iterator is returned. */
	close(): Promise<void>;
}

/** The first `count` bytes of `input` (fewer if it is shorter), and the whole input again. */
export async function peek(input: AsyncIterable<Buffer>, count: number): Promise<Peeked> {
	const iterator = input[Symbol.asyncIterator]();
	const seen: Buffer[] = [];
	let have = 0;
	let ended = false;
	while (have < count) {
		const result = await iterator.next();
		if (result.done) {
			ended = true;
			break;
		}
		seen.push(result.value);
		have += result.value.length;
	}
	const joined = Buffer.concat(seen, have);
	let finished = ended;
	async function* all(): AsyncGenerator<Buffer> {
		try {
			if (joined.length > 0) yield joined;
			while (!finished) {
				const result = await iterator.next();
				if (result.done) {
					finished = true;
					break;
				}
				yield result.value;
			}
		} finally {
			if (!finished) await iterator.return?.();
		}
	}
	return {
		head: joined.subarray(0, count),
		all: all(),
		async close() {
			if (finished) return;
			finished = true;
			await iterator.return?.();
		},
	};
}
