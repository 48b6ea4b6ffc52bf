// The bounds on what scan reads from an archive, a gzip'd file or a directory, so that a hostile one (a gzip bomb,
// millions of entries, a path a thousand directories deep) ends the read with a clear message instead of the
// machine's patience. Memory is constant whatever the bounds; they bound time, and output that lists files.

export interface ReadLimits {
	/** The most bytes gzip may produce, over the whole input (plain files and stdin are not counted). */
	maxBytes: number;
	/** The most entries (files, directories, links: everything in an archive or a directory tree). */
	maxEntries: number;
	/** The most path components below the top (a/b/c.log is 3). */
	maxDepth: number;
	/** The most bytes gzip may produce for each byte it reads, once it has produced `ratioFloorBytes`. */
	maxRatio: number;
}

/** Compression this good is normal for a small file (a log of one repeated line): the ratio is judged only after. */
export const ratioFloorBytes = 64 << 20;

export type LimitName = keyof ReadLimits;

/** A bound was reached; `where` is the file or entry being read when it was. */
export class LimitError extends Error {
	readonly limit: LimitName;
	readonly value: number;
	readonly where: string;
	constructor(limit: LimitName, value: number, where: string, message: string) {
		super(message);
		this.name = 'LimitError';
		this.limit = limit;
		this.value = value;
		this.where = where;
	}
}

/** Counts what is read against the limits; one per scan, shared by every file in it. */
export class ReadMeter {
	readonly limits: ReadLimits;
	entries = 0;
	inflatedBytes = 0;
	constructor(limits: ReadLimits) {
		this.limits = limits;
	}

	/** One more entry (a file, directory or link seen in an archive or a directory). */
	entry(where: string): void {
		this.entries++;
		if (this.entries > this.limits.maxEntries) {
			throw new LimitError('maxEntries', this.limits.maxEntries, where, `more than ${this.limits.maxEntries} entries`);
		}
	}

	depth(components: number, where: string): void {
		if (components > this.limits.maxDepth) {
			throw new LimitError('maxDepth', this.limits.maxDepth, where, `a path ${components} levels deep (more than ${this.limits.maxDepth})`);
		}
	}

	/** gzip produced `produced` more bytes; `inflated` and `deflated` are this stream's totals so far. */
	inflate(produced: number, inflated: number, deflated: number, where: string): void {
		this.inflatedBytes += produced;
		if (this.inflatedBytes > this.limits.maxBytes) {
			throw new LimitError('maxBytes', this.limits.maxBytes, where, `more than ${this.limits.maxBytes} bytes once decompressed`);
		}
		if (inflated > ratioFloorBytes && inflated > deflated * this.limits.maxRatio) {
			throw new LimitError('maxRatio', this.limits.maxRatio, where, `gzip expands ${deflated} bytes to more than ${inflated} (over ${this.limits.maxRatio} to 1)`);
		}
	}
}

/**
 * Why an input cannot be read: it ends early (a cut download), it is not what it claims (corrupt), it is a format
 * scan does not open (`foreign`: a zip, xz, bzip2, zstd, 7-zip or lz4 file, named in `format`), or it is not text
 * (binary: a NUL byte near its start).
 */
export type ArchiveErrorReason = 'truncated' | 'corrupt' | 'foreign' | 'binary';

export class ArchiveError extends Error {
	readonly reason: ArchiveErrorReason;
	/** For `foreign`: which format it is. */
	readonly format: ForeignFormat | null;
	constructor(reason: ArchiveErrorReason, message: string, format: ForeignFormat | null = null) {
		super(message);
		this.name = 'ArchiveError';
		this.reason = reason;
		this.format = format;
	}
}

/** A format scan recognises by its magic number but does not open: what it is, and the command that unpacks it. */
export interface ForeignFormat {
	/** "a zip archive", "xz data". */
	name: string;
	/** How it becomes something scan reads: a stream to pipe (`xz -dc`), or a tree to unpack (`unzip -d DIR FILE`). */
	unpack: {pipe: string} | {directory: string};
}
