// A streaming reader of tar archives (POSIX ustar, PAX and GNU, as `tar`, Go's archive/tar and `git archive`
// write them), in constant memory: headers are 512-byte blocks, and an entry's content is handed on in the chunks
// it arrives in, never gathered. It reads; it never writes to the file system, so nothing in an archive (a path
// that escapes, a link) can reach outside it: what a caller does with such entries is its own decision.
import {Buffer} from 'node:buffer';
import {byteChunks, type ChunkReader, chunkReader} from './chunks.js';
import {ArchiveError} from './limits.js';

const block = 512;

/** What an entry is. Hard and symbolic links are entries of their own, never followed. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
	/** The path as written in the archive (PAX `path`, GNU long name, or ustar prefix/name), not normalised. */
	path: string;
	type: TarEntryType;
	/** The header's type flag, as written ('0', '5', 'S', ...). */
	typeflag: string;
	/** Content bytes. */
	size: number;
	/** A link's target, else "". */
	linkTarget: string;
	/** The content, in the chunks it is read in. Read it before asking for the next entry, or it is skipped. */
	body: AsyncIterable<Buffer>;
}


export interface TarOptions {
	/** The most bytes a PAX header or GNU long name may hold (they are read whole); default 1 MiB. */
	maxMetadataBytes?: number;
}

/** Whether `header` (at least 512 bytes) is a tar header: its checksum is right. An all-zero block is the end marker. */
export function isTarHeader(header: Uint8Array): boolean {
	if (header.length < block) return false;
	const bytes = Buffer.from(header.buffer, header.byteOffset, block);
	if (isZeroBlock(bytes)) return false;
	const recorded = parseOctal(bytes, 148, 8);
	return recorded !== null && checksums(bytes).includes(recorded);
}

/** Whether `header` is an end-of-archive block (512 zero bytes). */
export function isZeroBlock(header: Uint8Array): boolean {
	for (let i = 0; i < block; i++) if (header[i] !== 0) return false;
	return header.length >= block;
}

/** The entries of the tar archive read from `input`, in order. */
export async function* readTar(input: AsyncIterable<Uint8Array>, options: TarOptions = {}): AsyncGenerator<TarEntry> {
	const maxMetadata = options.maxMetadataBytes ?? 1 << 20;
	const reader = chunkReader(byteChunks(input));
	let offset = 0; // of the header being read, for messages
	let paxPath: string | undefined;
	let paxLinkPath: string | undefined;
	let paxSize: number | undefined;
	let longName: string | undefined;
	let longLink: string | undefined;
	try {
		for (;;) {
			const header = await reader.read(block);
			if (header.length === 0) return; // no end marker: accepted, as GNU tar does
			if (header.length < block && header.every(byte => byte === 0)) return; // cut inside the end marker: nothing lost
			if (header.length < block) throw new ArchiveError('truncated', `the archive ends inside a header (${header.length} of ${block} bytes at offset ${offset})`);
			if (isZeroBlock(header)) return;
			if (!isTarHeader(header)) throw new ArchiveError('corrupt', `not a tar header at offset ${offset} (wrong checksum)`);
			const typeflag = header[156] === 0 ? '0' : String.fromCharCode(header[156] ?? 0);
			const size = paxSize ?? parseSize(header, offset);
			const ustar = header.toString('latin1', 257, 263) === 'ustar\u0000';
			const headerName = cString(header, 0, 100);
			const prefix = ustar ? cString(header, 345, 155) : '';
			const dataOffset = offset + block;
			offset = dataOffset + padded(size);

			if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
				if (size > maxMetadata) {
					throw new ArchiveError('corrupt', `a ${typeflag === 'L' || typeflag === 'K' ? 'GNU long-name' : 'PAX'} header of ${size} bytes at offset ${dataOffset - block} (at most ${maxMetadata} are read)`);
				}
				const data = await reader.read(size);
				if (data.length < size) throw truncated(headerName || '(metadata)', data.length, size);
				await skipPadding(reader, size);
				if (typeflag === 'x') {
					const records = parsePax(data, dataOffset);
					paxPath = records.get('path') ?? paxPath;
					paxLinkPath = records.get('linkpath') ?? paxLinkPath;
					const paxSizeText = records.get('size');
					if (paxSizeText !== undefined) {
						if (!/^\d{1,15}$/.test(paxSizeText)) throw new ArchiveError('corrupt', `a PAX size "${paxSizeText}" at offset ${dataOffset - block} is not a byte count`);
						paxSize = Number(paxSizeText);
					}
				} else if (typeflag === 'L') {
					longName = cString(data, 0, data.length);
				} else if (typeflag === 'K') {
					longLink = cString(data, 0, data.length);
				}
				// 'g' (global PAX: `git archive` puts the commit id there) applies nothing we read.
				continue;
			}

			const path = paxPath ?? longName ?? (prefix ? `${prefix}/${headerName}` : headerName);
			const linkTarget = paxLinkPath ?? longLink ?? cString(header, 157, 100);
			paxPath = paxLinkPath = paxSize = longName = longLink = undefined;
			const state = {remaining: size};
			const entry: TarEntry = {path, type: entryType(typeflag, path), typeflag, size, linkTarget, body: bodyOf(reader, state, path, size)};
			// Links and directories have no content; a size on them (some writers set it on hard links) is skipped like any unread body.
			yield entry;
			while (state.remaining > 0) {
				const chunk = await reader.next(state.remaining);
				if (chunk === null) throw truncated(path, size - state.remaining, size);
				state.remaining -= chunk.length;
			}
			await skipPadding(reader, size);
		}
	} finally {
		await reader.close();
	}
}

async function* bodyOf(reader: ChunkReader, state: {remaining: number}, path: string, size: number): AsyncGenerator<Buffer> {
	while (state.remaining > 0) {
		const chunk = await reader.next(state.remaining);
		if (chunk === null) throw truncated(path, size - state.remaining, size);
		state.remaining -= chunk.length;
		yield chunk;
	}
}

/** Skips the zeros that pad an entry to a block. An archive that ends there lost nothing: accepted. */
async function skipPadding(reader: ChunkReader, size: number): Promise<void> {
	let left = padded(size) - size;
	while (left > 0) {
		const chunk = await reader.next(left);
		if (chunk === null) return;
		left -= chunk.length;
	}
}

function truncated(path: string, read: number, size: number): ArchiveError {
	return new ArchiveError('truncated', `the archive ends inside "${path}" (${read} of its ${size} bytes)`);
}

function entryType(typeflag: string, path: string): TarEntryType {
	switch (typeflag) {
		case '0':
		case '7':
			// Old tar (v7) marks a directory only by a trailing slash.
			return path.endsWith('/') ? 'directory' : 'file';
		case '1':
			return 'hardlink';
		case '2':
			return 'symlink';
		case '5':
			return 'directory';
		default:
			return 'other';
	}
}

function padded(size: number): number {
	return Math.ceil(size / block) * block;
}

/** The text up to the first NUL in bytes [start, start + length). Names are UTF-8 in every writer we meet. */
function cString(bytes: Buffer, start: number, length: number): string {
	const end = bytes.indexOf(0, start);
	return bytes.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

function parseOctal(bytes: Buffer, start: number, length: number): number | null {
	const text = bytes.toString('latin1', start, start + length).replace(/[\u0000 ]+$/, '').replace(/^ +/, '');
	if (!/^[0-7]{1,12}$/.test(text)) return text === '' ? 0 : null;
	return Number.parseInt(text, 8);
}

/** The size field: octal, or GNU's base-256 (first byte 0x80) for sizes of 8 GiB and more. */
function parseSize(header: Buffer, offset: number): number {
	const first = header[124] ?? 0;
	if (first & 0x80) {
		if (first !== 0x80) throw new ArchiveError('corrupt', `a negative entry size at offset ${offset}`);
		let size = 0;
		for (let i = 125; i < 136; i++) size = size * 256 + (header[i] ?? 0);
		if (!Number.isSafeInteger(size)) throw new ArchiveError('corrupt', `an entry size beyond 2^53 bytes at offset ${offset}`);
		return size;
	}
	const size = parseOctal(header, 124, 12);
	if (size === null) throw new ArchiveError('corrupt', `an entry size that is not a number at offset ${offset}`);
	return size;
}

/** The header's checksum with the checksum field read as spaces: unsigned (POSIX) and signed (old Sun tar). */
function checksums(header: Buffer): number[] {
	let unsigned = 0;
	let signed = 0;
	for (let i = 0; i < block; i++) {
		const byte = i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
		unsigned += byte;
		signed += byte > 127 ? byte - 256 : byte;
	}
	return [unsigned, signed];
}

/** PAX records: "LENGTH KEY=VALUE\n", LENGTH counting the whole record. */
function parsePax(data: Buffer, offset: number): Map<string, string> {
	const records = new Map<string, string>();
	let at = 0;
	while (at < data.length) {
		if (data[at] === 0) break; // padding some writers leave
		const space = data.indexOf(32, at);
		const length = space > at ? Number(data.toString('latin1', at, space)) : Number.NaN;
		if (!Number.isSafeInteger(length) || length <= space - at || at + length > data.length || data[at + length - 1] !== 10) {
			throw new ArchiveError('corrupt', `a malformed PAX record at offset ${offset + at}`);
		}
		const record = data.toString('utf8', space + 1, at + length - 1);
		const equals = record.indexOf('=');
		if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
		at += length;
	}
	return records;
}
