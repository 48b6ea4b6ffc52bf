// What scan reads: a log file, stdin, a gzip'd log, a tar or tar.gz bundle, or a directory tree (our report
// --bundle, `kubectl cluster-info dump --output-directory`, a folder of pod logs). Each is recognised by its
// content (gzip's magic number, a tar header's checksum), not its name, and turned into the log files in it,
// one after the other, each streamed: nothing is held whole. Entries that are not logs are named and skipped.
import {Buffer} from 'node:buffer';
import {opendir, open, readlink, type FileHandle} from 'node:fs/promises';
import {join} from 'node:path';
import {peek} from './chunks.js';
import {gunzip, isGzip} from './gzip.js';
import {ArchiveError, type ReadMeter} from './limits.js';
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
	return {format: compressed ? 'gzip' : 'text', items: single({kind: 'log', path: label, compressed, chunks: all})};
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
	const reason = looksLikeTar(head) || isGzip(head) ? 'archive' : head.includes(0) ? 'binary' : null;
	if (reason) {
		await peeked.close();
		yield skipped(path, reason, reason === 'archive' ? 'an archive inside is not opened' : 'a NUL byte in its first 8 KiB');
		return;
	}
	yield {kind: 'log', path, compressed, chunks: all};
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
