// Writing tar archives in tests, block by block, including the ones no honest tool writes (escaping paths, bad
// checksums, huge declared sizes), so that the reader (source/archive/tar.ts) can be tried on them.
import {Buffer} from 'node:buffer';

export interface TarSpec {
	path: string;
	/** '0' file (default), '5' directory, '2' symlink, '1' hardlink, 'x' PAX, 'L' GNU long name, ... */
	type?: string;
	content?: string | Buffer;
	linkTarget?: string;
	/** Declared size, when it should differ from the content's (a lie, for truncation tests). */
	size?: number;
	/** Split the path into ustar's prefix and name fields (paths of 100 to 255 bytes). */
	prefix?: string;
	/** Break the checksum. */
	badChecksum?: boolean;
	/** Write the size in GNU base-256. */
	base256?: boolean;
}

const block = 512;

function field(header: Buffer, offset: number, length: number, text: string): void {
	header.write(text, offset, Math.min(length, Buffer.byteLength(text)), 'utf8');
}

function octal(header: Buffer, offset: number, length: number, value: number): void {
	field(header, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

/** One 512-byte header. */
export function tarHeader(spec: TarSpec, size: number): Buffer {
	const header = Buffer.alloc(block);
	field(header, 0, 100, spec.path);
	octal(header, 100, 8, spec.type === '5' ? 0o755 : 0o644);
	octal(header, 108, 8, 0);
	octal(header, 116, 8, 0);
	if (spec.base256) {
		header[124] = 0x80;
		let rest = size;
		for (let i = 135; i > 124; i--) {
			header[i] = rest % 256;
			rest = Math.floor(rest / 256);
		}
	} else octal(header, 124, 12, size);
	octal(header, 136, 12, 1_700_000_000);
	header[156] = (spec.type ?? '0').charCodeAt(0);
	field(header, 157, 100, spec.linkTarget ?? '');
	field(header, 257, 6, 'ustar\0');
	field(header, 263, 2, '00');
	field(header, 265, 32, 'root');
	field(header, 297, 32, 'root');
	if (spec.prefix) field(header, 345, 155, spec.prefix);
	header.fill(32, 148, 156);
	let sum = 0;
	for (const byte of header) sum += byte;
	if (spec.badChecksum) sum += 1;
	field(header, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
	return header;
}

/** A header, the content and its padding. */
export function tarEntry(spec: TarSpec): Buffer {
	const content = typeof spec.content === 'string' ? Buffer.from(spec.content, 'utf8') : (spec.content ?? Buffer.alloc(0));
	const size = spec.size ?? content.length;
	const padding = (block - (content.length % block)) % block;
	return Buffer.concat([tarHeader(spec, size), content, Buffer.alloc(padding)]);
}

/** A PAX extended header entry setting `records` for the entry after it. */
export function paxEntry(records: Record<string, string>): Buffer {
	const body = Object.entries(records)
		.map(([key, value]) => {
			const rest = ` ${key}=${value}\n`;
			let length = Buffer.byteLength(rest) + 1;
			while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
			return `${length}${rest}`;
		})
		.join('');
	return tarEntry({path: 'PaxHeaders/x', type: 'x', content: body});
}

/** The end of an archive: two zero blocks. */
export const tarEnd = Buffer.alloc(2 * block);

/** A whole archive of these entries, with its end marker. */
export function tarArchive(specs: TarSpec[]): Buffer {
	return Buffer.concat([...specs.map(tarEntry), tarEnd]);
}

/** `bytes` in chunks of the given sizes (cycled), as a stream arrives. */
export async function* chunked(bytes: Buffer, sizes: number[] = [bytes.length]): AsyncGenerator<Buffer> {
	let at = 0;
	for (let i = 0; at < bytes.length; i++) {
		const size = Math.max(1, sizes[i % sizes.length] ?? bytes.length);
		yield bytes.subarray(at, at + size);
		at += size;
	}
}

/** Collects every entry: path, type, link target and content (text). */
export async function entriesOf(entries: AsyncIterable<{path: string; type: string; linkTarget: string; body: AsyncIterable<Buffer>}>): Promise<{path: string; type: string; linkTarget: string; content: string}[]> {
	const out = [];
	for await (const entry of entries) {
		const parts: Buffer[] = [];
		for await (const chunk of entry.body) parts.push(chunk);
		out.push({path: entry.path, type: entry.type, linkTarget: entry.linkTarget, content: Buffer.concat(parts).toString('utf8')});
	}
	return out;
}
