// Classifying several log files as one input (a support bundle, a directory of pod logs): each file is scanned
// on its own (line numbers are the file's), and the results are added up, every finding and first/last naming
// its file. Pure: the caller reads the files and pushes their bytes. Memory: what the caps below keep, plus one
// small summary per file.
import {createLogScanner} from './logs.js';
import type {FindingGroup, ForbiddenVerb, InformerForbiddenLineFinding, LineFinding, LogScanner, LookalikeLineFinding, ScanOptions, SeenAt} from './logs.js';

/** Where a line is: its file, its line number in that file, and its timestamp if it has one. */
export interface FileSeenAt extends SeenAt {
	file: string;
}

export type FileFinding = InformerForbiddenLineFinding & {file: string};
export type FileLookalike = LookalikeLineFinding & {file: string};
export type FileFindingGroup = Omit<FindingGroup, 'first' | 'last'> & {first: FileSeenAt; last: FileSeenAt};

/** One log file's counts. */
export interface LogFileCounts {
	file: string;
	compressed: boolean;
	lines: number;
	bytes: number;
	podsForbidden: number;
	nadsForbidden: number;
	lookalikes: number;
}

export interface LogFilesSummary {
	/** The first maxFiles log files read, in order (file names can be long: a hostile archive's are not all kept). */
	files: LogFileCounts[];
	/** How many log files were read; and how many had a line of each informer family. */
	fileCount: number;
	filesWithPodsForbidden: number;
	filesWithNadsForbidden: number;
	lines: number;
	bytes: number;
	podsForbidden: number;
	nadsForbidden: number;
	lookalikes: number;
	podsForbiddenByVerb: Record<ForbiddenVerb, number>;
	nadsForbiddenByVerb: Record<ForbiddenVerb, number>;
	firstForbidden: FileSeenAt | null;
	lastForbidden: FileSeenAt | null;
	/** The first maxFindings informer-forbidden lines over all files, in order. */
	findings: FileFinding[];
	lookalikeFindings: FileLookalike[];
	/** Counts by (kind, verb, user) over all files, in order of first appearance. */
	groups: FileFindingGroup[];
	truncated: boolean;
	longLines: number;
}

export interface LogFilesScanner {
	/** Starts the next file (`name` is kept: findings name it): push its bytes into the scanner returned, then end() it, before the next file. */
	file(name: string, compressed?: boolean): LogScanner;
	end(): LogFilesSummary;
}

/** Scans log files one after the other into one summary; options as for one file, the caps over all of them. */
export function createLogFilesScanner(options: ScanOptions & {maxFiles?: number} = {}, onFinding?: (finding: LineFinding & {file: string}) => void): LogFilesScanner {
	const maxFindings = options.maxFindings ?? 1000;
	const maxFiles = options.maxFiles ?? 1000;
	const maxGroups = options.maxGroups ?? 1000;
	const total: LogFilesSummary = {
		files: [],
		fileCount: 0,
		filesWithPodsForbidden: 0,
		filesWithNadsForbidden: 0,
		lines: 0,
		bytes: 0,
		podsForbidden: 0,
		nadsForbidden: 0,
		lookalikes: 0,
		podsForbiddenByVerb: {list: 0, watch: 0},
		nadsForbiddenByVerb: {list: 0, watch: 0},
		firstForbidden: null,
		lastForbidden: null,
		findings: [],
		lookalikeFindings: [],
		groups: [],
		truncated: false,
		longLines: 0,
	};
	const groups = new Map<string, FileFindingGroup>();
	let open = false;

	return {
		file(name, compressed = false) {
			if (open) throw new Error('createLogFilesScanner: the previous file was not ended');
			open = true;
			// Each file may keep only what is left of the caps, so that memory stays bounded however many files there are.
			const room = Math.max(maxFindings - total.findings.length, maxFindings - total.lookalikeFindings.length);
			const scanner = createLogScanner(
				{maxFindings: room, ...(options.maxGroups === undefined ? {} : {maxGroups: options.maxGroups}), ...(options.maxLineBytes === undefined ? {} : {maxLineBytes: options.maxLineBytes})},
				onFinding && (finding => onFinding({...finding, file: name})),
			);
			return {
				push: chunk => scanner.push(chunk),
				end() {
					const summary = scanner.end();
					open = false;
					const at = (seen: SeenAt): FileSeenAt => ({file: name, ...seen});
					total.fileCount++;
					if (summary.podsForbidden > 0) total.filesWithPodsForbidden++;
					if (summary.nadsForbidden > 0) total.filesWithNadsForbidden++;
					const counts = {file: name, compressed, lines: summary.lines, bytes: summary.bytes, podsForbidden: summary.podsForbidden, nadsForbidden: summary.nadsForbidden, lookalikes: summary.lookalikes};
					if (total.files.length < maxFiles) total.files.push(counts);
					else total.truncated = true;
					total.lines += summary.lines;
					total.bytes += summary.bytes;
					total.podsForbidden += summary.podsForbidden;
					total.nadsForbidden += summary.nadsForbidden;
					total.lookalikes += summary.lookalikes;
					for (const verb of ['list', 'watch'] as const) {
						total.podsForbiddenByVerb[verb] += summary.podsForbiddenByVerb[verb];
						total.nadsForbiddenByVerb[verb] += summary.nadsForbiddenByVerb[verb];
					}
					if (summary.firstForbidden) total.firstForbidden ??= at(summary.firstForbidden);
					if (summary.lastForbidden) total.lastForbidden = at(summary.lastForbidden);
					for (const finding of summary.findings) {
						if (total.findings.length < maxFindings) total.findings.push({file: name, ...finding});
						else total.truncated = true;
					}
					for (const finding of summary.lookalikeFindings) {
						if (total.lookalikeFindings.length < maxFindings) total.lookalikeFindings.push({file: name, ...finding});
						else total.truncated = true;
					}
					for (const group of summary.groups) {
						const key = `${group.kind}\u0000${group.verb ?? ''}\u0000${group.user ?? '\u0000'}`;
						const known = groups.get(key);
						if (known) {
							known.count += group.count;
							known.last = at(group.last);
						} else if (groups.size < maxGroups) {
							const created: FileFindingGroup = {...group, first: at(group.first), last: at(group.last)};
							groups.set(key, created);
							total.groups.push(created);
						} else {
							total.truncated = true;
						}
					}
					total.truncated ||= summary.truncated;
					total.longLines += summary.longLines;
					return summary;
				},
			};
		},
		end() {
			if (open) throw new Error('createLogFilesScanner: the last file was not ended');
			return total;
		},
	};
}
