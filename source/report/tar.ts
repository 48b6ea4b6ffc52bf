// A small tar writer (POSIX ustar, with a pax header for a path ustar cannot hold), for `report --bundle`: what
// `tar -xzf` and `kubectl multus scan` read. Gzip is Node's zlib. Pure but for the clock the caller passes.
import {gzipSync} from 'node:zlib';

export interface TarEntry {
	/** A relative path of `/`-separated names, none empty, `.` or `..`. */
	path: string;
	/** A file's content; a directory has none. */
	content?: string | Uint8Array;
}

const block = 512;

function octal(value: number, width: number): string {
	// width - 1 digits and a NUL, as ustar writes numbers.
	return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, prefix: string, size: number, type: '0' | '5' | 'x', mtime: number): Buffer {
	const buffer = Buffer.alloc(block);
	buffer.write(name, 0, 100, 'utf8');
	buffer.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
	buffer.write(octal(0, 8), 108, 'ascii');
	buffer.write(octal(0, 8), 116, 'ascii');
	buffer.write(octal(size, 12), 124, 'ascii');
	buffer.write(octal(mtime, 12), 136, 'ascii');
	buffer.write(' '.repeat(8), 148, 'ascii');
	buffer.write(type, 156, 'ascii');
	buffer.write('ustar\0', 257, 'ascii');
	buffer.write('00', 263, 'ascii');
	buffer.write(prefix, 345, 155, 'utf8');
	let sum = 0;
	for (const byte of buffer) sum += byte;
	buffer.write(octal(sum, 7) + ' ', 148, 'ascii');
	return buffer;
}

function padded(content: Uint8Array): Buffer[] {
	const rest = content.length % block;
	return rest === 0 ? [Buffer.from(content)] : [Buffer.from(content), Buffer.alloc(block - rest)];
}

/** ustar's name and prefix for `path`, or undefined when it does not fit (then a pax header carries it). */
function ustarName(path: string): {name: string; prefix: string} | undefined {
	if (!/^[\x20-\x7e]*$/.test(path)) return undefined;
	if (path.length <= 100) return {name: path, prefix: ''};
	for (let cut = path.indexOf('/'); cut >= 0; cut = path.indexOf('/', cut + 1)) {
		if (cut <= 155 && path.length - cut - 1 <= 100) return {name: path.slice(cut + 1), prefix: path.slice(0, cut)};
	}
	return undefined;
}

/** One pax record: "LENGTH key=value\n", LENGTH counting itself. */
function paxRecord(key: string, value: string): string {
	const body = ` ${key}=${value}\n`;
	let length = Buffer.byteLength(body);
	while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
	return `${length}${body}`;
}

function checkPath(path: string): void {
	const names = path.replace(/\/$/, '').split('/');
	if (path.startsWith('/') || names.some(name => name === '' || name === '.' || name === '..')) throw new Error(`not a relative path inside the bundle: ${JSON.stringify(path)}`);
}

/** The tar archive of `entries`, in order (a directory's entry should come before its files). */
export function tarArchive(entries: readonly TarEntry[], mtime: Date): Buffer {
	const seconds = Math.floor(mtime.getTime() / 1000);
	const parts: Buffer[] = [];
	for (const entry of entries) {
		checkPath(entry.path);
		const directory = entry.content === undefined;
		const path = directory && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
		const content = entry.content === undefined ? new Uint8Array() : typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : entry.content;
		let names = ustarName(path);
		if (!names) {
			const pax = Buffer.from(paxRecord('path', path), 'utf8');
			parts.push(header(`PaxHeaders/${path.replace(/\/$/, '').split('/').at(-1)!.replace(/[^\x20-\x7e]/g, '_').slice(0, 80)}`, '', pax.length, 'x', seconds), ...padded(pax));
			names = {name: path.replace(/[^\x20-\x7e]/g, '_').slice(-100), prefix: ''};
		}
		parts.push(header(names.name, names.prefix, content.length, directory ? '5' : '0', seconds), ...padded(content));
	}
	parts.push(Buffer.alloc(block * 2));
	return Buffer.concat(parts);
}

/** The .tar.gz of `entries`. */
export function tarGz(entries: readonly TarEntry[], mtime: Date): Buffer {
	return gzipSync(tarArchive(entries, mtime));
}

/** Every directory above the files, each once, before them: what `tar -tf` of a directory lists. */
export function withDirectories(files: readonly TarEntry[]): TarEntry[] {
	const seen = new Set<string>();
	const entries: TarEntry[] = [];
	for (const file of files) {
		const names = file.path.split('/');
		for (let depth = 1; depth < names.length; depth++) {
			const directory = names.slice(0, depth).join('/');
			if (!seen.has(directory)) {
				seen.add(directory);
				entries.push({path: directory});
			}
		}
		entries.push(file);
	}
	return entries;
}
