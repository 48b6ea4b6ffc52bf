// gzip, decompressed as it streams (node:zlib), counted against the scan's limits as it goes: a bomb is stopped
// by its output, long before it is written out in full. Memory: zlib's buffers (tens of KiB) and one input chunk.
import {Buffer} from 'node:buffer';
import {createGunzip, type Gunzip} from 'node:zlib';
import {ArchiveError, LimitError, type ReadMeter} from './limits.js';

/** Whether bytes start like gzip (RFC 1952: 1f 8b, then deflate). */
export function isGzip(head: Uint8Array): boolean {
	return head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8;
}

/**
 * The decompressed bytes of `input` (every gzip member, as gunzip does). `where` names it in errors. `input` is
 * read only while this is read, and is closed (its iterator returned) before this ends, however it ends: a tar
 * entry's body can be handed in, and the archive read on after.
 */
export async function* gunzip(input: AsyncIterable<Buffer>, meter: ReadMeter, where: string): AsyncGenerator<Buffer> {
	const inflater = createGunzip({chunkSize: 64 << 10});
	let deflated = 0;
	let inflated = 0;
	let stop = false;
	const feeder = feed(input, inflater, () => stop, bytes => (deflated += bytes));
	try {
		for await (const chunk of inflater as AsyncIterable<Buffer>) {
			inflated += chunk.length;
			meter.inflate(chunk.length, inflated, deflated, where);
			yield chunk;
		}
		await feeder;
	} catch (error) {
		if (error instanceof LimitError || error instanceof ArchiveError) throw error;
		throw gzipError(error, where);
	} finally {
		stop = true;
		inflater.destroy();
		await feeder.catch(() => undefined);
	}
}

/** Writes `input` into the inflater with backpressure; an error reading it ends the inflater with that error. */
async function feed(input: AsyncIterable<Buffer>, inflater: Gunzip, stopped: () => boolean, count: (bytes: number) => void): Promise<void> {
	try {
		for await (const chunk of input) {
			if (stopped() || inflater.destroyed) return;
			count(chunk.length);
			if (!inflater.write(chunk)) await drained(inflater);
		}
		if (!inflater.destroyed) inflater.end();
	} catch (error) {
		inflater.destroy(error instanceof Error ? error : new Error(String(error)));
	}
}

function drained(stream: Gunzip): Promise<void> {
	return new Promise(resolve => {
		const done = () => {
			stream.off('drain', done);
			stream.off('close', done);
			resolve();
		};
		stream.on('drain', done);
		stream.on('close', done);
	});
}

function gzipError(error: unknown, where: string): unknown {
	const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
	if (code === 'Z_BUF_ERROR') return new ArchiveError('truncated', `the gzip data of "${where}" ends early`);
	if (code.startsWith('Z_')) return new ArchiveError('corrupt', `the gzip data of "${where}" is damaged (${error instanceof Error ? error.message : code})`);
	return error;
}
