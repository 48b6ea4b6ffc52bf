// What scan reads: a log file, stdin, a gzip'd log, a tar or tar.gz bundle, or a directory tree (our report
// --bundle, `kubectl cluster-info dump --output-directory`, a folder of pod logs). Each is recognised by its
// content (gzip's magic number, a tar header's checksum), not its name, and turned into the log files in it,
// one after the other, each streamed: nothing is held whole. Entries that are not logs are named and skipped.
// Formats it does not open (zip, xz, bzip2, zstd, 7-zip, lz4) are told by their magic numbers too, and so is
// UTF-16 text with a byte-order mark (what PowerShell 5's `>` writes), which is read as the text it is.
import {Buffer} from 'node:buffer';
import {opendir, open, readlink, type FileHandle} from 'node:fs/promises';
import {join} from 'node:path';
import {peek} from './chunks.js';
import {gunzip, isGzip} from './gzip.js';
import {ArchiveError, type ForeignFormat, type ReadMeter} from './limits.js';
import {isTarHeader, isZeroBlock, readTar} from './tar.js';

/** How the input was read: text (a log, or stdin), gzip (one gzip'd log), tar, tar.gz, or a directory. */
export type InputFormat = 'text' | 'gzip' | 'tar' | 'tar.gz' | 'directory';

/**
 * Why an entry was not read as a log: structured (JSON, YAML, Markdown: object lists and reports, not logs),
 * binary (a NUL byte in its first 8 KiB), archive (an archive inside the input: not opened), symlink and hardlink
 * (never followed), escapes (an absolute path or one that climbs out with ..), special (a device, FIFO, socket or
 * sparse file), unreadable (a directory's file that cannot be opened).
 */
export type SkipReason = 'structured' | 'binary' | 'archive' | 'symlink' | 'hardlink' | 'escapes' | 'special' | 'unreadable';

export interface LogInput {
	kind: 'log';
	/** The path inside the archive or directory (or the file given, or "-"). */
	path: string;
	/** Whether it was gzip'd. */
	compressed: boolean;
	/** Its bytes, decompressed. Read them before asking for the next input, or they are skipped. */
	chunks: AsyncIterable<Buffer>;
}

export interface SkippedInput {
	kind: 'skipped';
	path: string;
	reason: SkipReason;
	/** A few words more (the link's target, the entry type, the error), or null. */
	detail: string | null;
}

export type InputItem = LogInput | SkippedInput;

export interface OpenedInput {
	format: InputFormat;
	items: AsyncGenerator<InputItem>;
}

/** Enough to tell a tar header, and to call a file binary. */
const sniffBytes = 8192;
const readChunkBytes = 1 << 20;

/** A stream (a file's, stdin) read as whatever it holds; `label` names it when it is a single log. */
export async function openStream(label: string, input: AsyncIterable<Buffer>, meter: ReadMeter): Promise<OpenedInput> {
	let {head, all} = await peek(input, sniffBytes);
	let compressed = false;
	if (isGzip(head)) {
		compressed = true;
		({head, all} = await peek(gunzip(all, meter, label), sniffBytes));
	}
	if (looksLikeTar(head)) return {format: compressed ? 'tar.gz' : 'tar', items: tarItems(all, meter)};
	const gunzipped = compressed ? 'once gunzipped, ' : '';
	const foreign = foreignFormat(head);
	if (foreign) throw new ArchiveError('foreign', `${gunzipped}it is ${foreign.name}, which scan does not open`, foreign);
	const encoding = utf16Encoding(head);
	if (encoding) return {format: compressed ? 'gzip' : 'text', items: single({kind: 'log', path: label, compressed, chunks: asUtf8(all, encoding)})};
	const nul = head.indexOf(0);
	if (nul >= 0) throw new ArchiveError('binary', `${gunzipped}it is not a text log: a NUL byte at offset ${nul}, in its first 8 KiB`);
	return {format: compressed ? 'gzip' : 'text', items: single({kind: 'log', path: label, compressed, chunks: all})};
}

/** Formats scan does not open, by their magic numbers (bzip2's also by its first block's). */
const foreignFormats: Array<{magic: number[]; then?: number[][]; format: ForeignFormat}> = [
	{magic: [0x50, 0x4b, 0x03, 0x04], format: {name: 'a zip archive', unpack: {directory: 'unzip -d DIR FILE'}}},
	{magic: [0x50, 0x4b, 0x05, 0x06], format: {name: 'a zip archive (an empty one)', unpack: {directory: 'unzip -d DIR FILE'}}},
	{magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], format: {name: 'xz data', unpack: {pipe: 'xz -dc'}}},
	{magic: [0x42, 0x5a, 0x68], then: [[0x31, 0x41, 0x59, 0x26, 0x53, 0x59], [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]], format: {name: 'bzip2 data', unpack: {pipe: 'bzip2 -dc'}}},
	{magic: [0x28, 0xb5, 0x2f, 0xfd], format: {name: 'zstd data', unpack: {pipe: 'zstd -dc'}}},
	{magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], format: {name: 'a 7-zip archive', unpack: {directory: '7z x -oDIR FILE'}}},
	{magic: [0x04, 0x22, 0x4d, 0x18], format: {name: 'lz4 data', unpack: {pipe: 'lz4 -dc'}}},
];

/** The format `head` starts with, when it is one scan recognises but does not open. */
export function foreignFormat(head: Buffer): ForeignFormat | null {
	const starts = (bytes: number[], at: number) => bytes.every((byte, index) => head[at + index] === byte);
	for (const {magic, then, format} of foreignFormats) {
		if (!starts(magic, 0)) continue;
		// bzip2: "BZh", a block size 1-9, then a block's or the end's magic: a log that starts "BZh" is not one.
		if (then && !(head[3] !== undefined && head[3] >= 0x31 && head[3] <= 0x39 && then.some(bytes => starts(bytes, 4)))) continue;
		return format;
	}
	return null;
}

/** UTF-16 by its byte-order mark, or null. */
function utf16Encoding(head: Buffer): 'utf-16le' | 'utf-16be' | null {
	if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
	if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
	return null;
}

/** UTF-16 chunks as UTF-8 ones (the byte-order mark dropped), a pair split across chunks kept whole. */
async function* asUtf8(input: AsyncIterable<Buffer>, encoding: 'utf-16le' | 'utf-16be'): AsyncGenerator<Buffer> {
	const decoder = new TextDecoder(encoding);
	for await (const chunk of input) {
		const text = decoder.decode(chunk, {stream: true});
		if (text) yield Buffer.from(text, 'utf8');
	}
	const rest = decoder.decode();
	if (rest) yield Buffer.from(rest, 'utf8');
}

/** A directory, walked in name order; `root` is how the user wrote it. */
export function openDirectory(root: string, meter: ReadMeter): OpenedInput {
	return {format: 'directory', items: walk(root, '', meter)};
}

async function* single(item: InputItem): AsyncGenerator<InputItem> {
	yield item;
}

/** A tar header, or an empty archive (its end marker first). */
function looksLikeTar(head: Buffer): boolean {
	return isTarHeader(head) || (head.length >= 1024 && isZeroBlock(head) && isZeroBlock(head.subarray(512)) && head.every(byte => byte === 0));
}

/** The longest path a Linux file system takes (PATH_MAX); longer names are kept by no honest archive, and would be held. */
const maxPathBytes = 4096;

async function* tarItems(input: AsyncIterable<Buffer>, meter: ReadMeter): AsyncGenerator<InputItem> {
	for await (const entry of readTar(input)) {
		const length = Buffer.byteLength(entry.path);
		if (length > maxPathBytes) throw new ArchiveError('corrupt', `an entry's path of ${length} bytes (no file system holds a path over ${maxPathBytes})`);
		const normal = normalisePath(entry.path);
		const path = normal ?? entry.path;
		meter.entry(path);
		if (normal === null) {
			yield skipped(path, 'escapes', entry.path.startsWith('/') ? 'an absolute path' : 'climbs out of the archive with ..');
			continue;
		}
		if (normal !== '') meter.depth(normal.split('/').length, normal);
		switch (entry.type) {
			case 'directory':
				continue;
			case 'symlink':
			case 'hardlink':
				yield skipped(path, entry.type, `to ${entry.linkTarget}`);
				continue;
			case 'other':
				yield skipped(path, 'special', `tar entry type ${JSON.stringify(entry.typeflag)}`);
				continue;
			case 'file':
				yield* fileItem(path, entry.body, meter);
		}
	}
}

async function* walk(root: string, relative: string, meter: ReadMeter): AsyncGenerator<InputItem> {
	// The names first (bounded by maxEntries), sorted, so that the output is the same on every file system.
	const names: {name: string; type: 'directory' | 'file' | 'symlink' | 'special'}[] = [];
	let directory;
	try {
		directory = await opendir(join(root, relative), {bufferSize: 256});
	} catch (error) {
		if (relative === '') throw error;
		yield skipped(relative, 'unreadable', errorText(error));
		return;
	}
	for await (const dirent of directory) {
		meter.entry(relative ? `${relative}/${dirent.name}` : dirent.name);
		names.push({name: dirent.name, type: dirent.isDirectory() ? 'directory' : dirent.isFile() ? 'file' : dirent.isSymbolicLink() ? 'symlink' : 'special'});
	}
	names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	for (const {name, type} of names) {
		const path = relative ? `${relative}/${name}` : name;
		meter.depth(path.split('/').length, path);
		if (type === 'directory') yield* walk(root, path, meter);
		else if (type === 'symlink') yield skipped(path, 'symlink', await readlink(join(root, path)).then(target => `to ${target}`, () => null));
		else if (type === 'special') yield skipped(path, 'special', 'not a regular file');
		else {
			let handle: FileHandle;
			try {
				handle = await open(join(root, path), 'r');
			} catch (error) {
				yield skipped(path, 'unreadable', errorText(error));
				continue;
			}
			const stream = handle.createReadStream({highWaterMark: readChunkBytes, autoClose: false});
			try {
				yield* fileItem(path, stream as AsyncIterable<Buffer>, meter);
			} finally {
				stream.destroy();
				await handle.close();
			}
		}
	}
}

/** One file of a bundle: skipped by its name (structured documents) or content (binary, an archive), else a log. */
async function* fileItem(path: string, content: AsyncIterable<Buffer>, meter: ReadMeter): AsyncGenerator<InputItem> {
	const structured = structuredKind(path);
	if (structured) {
		yield skipped(path, 'structured', structured);
		return;
	}
	let peeked = await peek(content, sniffBytes);
	let compressed = false;
	if (isGzip(peeked.head)) {
		compressed = true;
		peeked = await peek(gunzip(peeked.all, meter, path), sniffBytes);
	}
	const {head, all} = peeked;
	const foreign = foreignFormat(head);
	const encoding = utf16Encoding(head);
	const reason = looksLikeTar(head) || isGzip(head) || foreign ? 'archive' : !encoding && head.includes(0) ? 'binary' : null;
	if (reason) {
		await peeked.close();
		yield skipped(path, reason, reason === 'binary' ? 'a NUL byte in its first 8 KiB' : foreign ? `${foreign.name}, not opened` : 'an archive inside is not opened');
		return;
	}
	yield {kind: 'log', path, compressed, chunks: encoding ? asUtf8(all, encoding) : all};
}

const structuredExtensions: Record<string, string> = {json: 'JSON', yaml: 'YAML', yml: 'YAML', md: 'Markdown'};

/** JSON, YAML and Markdown (object lists, reports), gzip'd or not: not logs. */
function structuredKind(path: string): string | null {
	const match = /\.([a-z]+)(?:\.gz)?$/i.exec(path);
	return match?.[1] ? (structuredExtensions[match[1].toLowerCase()] ?? null) : null;
}

/**
 * An archive path as a relative path of its own ("./a//b/" -> "a/b"), or null when it escapes: absolute, or ".."
 * climbing above the top. Nothing is extracted, but such a name is not what the archive's own tree holds.
 */
export function normalisePath(path: string): string | null {
	if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) return null;
	const parts: string[] = [];
	for (const part of path.split('/')) {
		if (part === '' || part === '.') continue;
		if (part === '..') {
			if (parts.length === 0) return null;
			parts.pop();
		} else parts.push(part);
	}
	return parts.join('/');
}

function skipped(path: string, reason: SkipReason, detail: string | null): SkippedInput {
	return {kind: 'skipped', path, reason, detail};
}

function errorText(error: unknown): string {
	const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
	return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : error instanceof Error ? error.message : String(error);
}
