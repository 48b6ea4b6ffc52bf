// `kubectl multus scan [FILE|DIR|-]`: classify Multus log text offline, streaming, in constant memory. The input
// is a log, stdin, a gzip'd log, a tar or tar.gz bundle (our `report --bundle`), or a directory (`kubectl
// cluster-info dump --output-directory`, a folder of pod logs), told apart by content (source/archive/inputs.ts):
// every log file in it is classified, and each finding names its file (the path inside the bundle) and line.
//
// -o json / -o yaml print one object, in this order (a stable shape; new keys are only ever added):
//   findings    [{file, line, kind: "pods-forbidden"|"nads-forbidden", verb: "list"|"watch", user: string|null, code}]
//                 the first 1000, in order (nads-forbidden: the daemon's NetworkAttachmentDefinition informer is
//                 denied; code: the finding's stable code, MULTUS-LOG-001 or MULTUS-LOG-002, docs/findings.md)
//   lookalikes  [{file, line, kind, ..., code}]  lines that resemble the bug but are not it, the first 1000, in order:
//                 apiserver-unreachable {reason, informer}, namespaced-get-forbidden {user, namespace, pod},
//                 other-forbidden {user, verb, resource, apiGroup, namespace}, unauthorized {informer},
//                 informer-sync-failed {informer}   (informer is "pod", "net-attach-def" or null)
//   summary     {source, format: "text"|"gzip"|"tar"|"tar.gz"|"directory", lines, bytes, podsForbidden, nadsForbidden,
//                lookalikes, byVerb: {list, watch} (pods), nadsByVerb: {list, watch},
//                byUser: [{kind, user, verb, count, first, last}], lookalikeGroups: [{kind, verb, user, count, first, last}],
//                first, last, truncated, maxFindings, longLines,
//                files: [{file, compressed, lines, bytes, podsForbidden, nadsForbidden, lookalikes}]  the first 1000 log
//                files read, logFiles (how many in all),
//                skipped: [{file, reason, detail}] the first 1000 entries not read as logs, skippedFiles (their number)}
//                where first/last are {file, line, timestamp} or null; file is the path given (or "-") for a single log
//   verdict     {problem, code: "pods-forbidden"|"nads-forbidden"|"lookalikes-only"|"clean"|"nothing-read", message, fix,
//                findings: the finding codes behind it, e.g. ["MULTUS-LOG-001"]}
//                (pods-forbidden when pods lines are there, whether or not NAD lines are too)
// Exit code: 1 when any pods-forbidden or nads-forbidden line was found, else 0; 2 when the input cannot be read
// (missing, truncated, damaged); 6 when nothing was read (empty, or no log file in it); 8 when it passes a limit.
import {open} from 'node:fs/promises';
import {stringify} from 'yaml';
import {ExitCode} from '../exit-codes.js';
import {MultusError} from '../errors.js';
import type {OutputFormat} from '../options.js';
import {terminalSafe} from '../ansi.js';
import {shellQuote} from '../shell.js';
import {byteChunks} from '../archive/chunks.js';
import {openDirectory, openStream} from '../archive/inputs.js';
import type {InputFormat, OpenedInput, SkipReason} from '../archive/inputs.js';
import {ArchiveError, LimitError, ReadMeter, ratioFloorBytes} from '../archive/limits.js';
import type {LimitName, ReadLimits} from '../archive/limits.js';
import {finding, logFinding} from '../multus/findings.js';
import {createLogFilesScanner} from '../multus/log-files.js';
import type {FileFindingGroup, FileLookalike, FileSeenAt, LogFileCounts, LogFilesSummary} from '../multus/log-files.js';
import type {ForbiddenVerb, InformerForbiddenKind} from '../multus/logs.js';

const maxFindings = 1000;
const readChunkBytes = 1 << 20;

export interface ScanFindingEntry {
	file: string;
	line: number;
	kind: InformerForbiddenKind;
	verb: ForbiddenVerb;
	user: string | null;
	/** The finding's stable code (docs/findings.md). */
	code: string;
}

export type ScanLookalikeEntry = {file: string; line: number} & Record<string, string | number | null>;

export type ScanGroupEntry = FileFindingGroup;

/** Forbidden lines of one family, user and verb (user null: old client-go's `unknown (get ...)`, which names none). */
export interface ScanUserEntry {
	kind: InformerForbiddenKind;
	user: string | null;
	verb: ForbiddenVerb;
	count: number;
	first: FileSeenAt;
	last: FileSeenAt;
}

export interface ScanSkippedEntry {
	file: string;
	reason: SkipReason;
	detail: string | null;
}

/** nothing-read: the input was empty (`kubectl logs` that failed, a wrong file) or held no log, so it is neither clean nor not. */
export type ScanVerdictCode = 'pods-forbidden' | 'nads-forbidden' | 'lookalikes-only' | 'clean' | 'nothing-read';

export interface ScanReport {
	findings: ScanFindingEntry[];
	lookalikes: ScanLookalikeEntry[];
	summary: {
		/** The file or directory scanned, or "-" for stdin. */
		source: string;
		format: InputFormat;
		lines: number;
		bytes: number;
		podsForbidden: number;
		nadsForbidden: number;
		lookalikes: number;
		byVerb: Record<ForbiddenVerb, number>;
		nadsByVerb: Record<ForbiddenVerb, number>;
		byUser: ScanUserEntry[];
		lookalikeGroups: ScanGroupEntry[];
		first: FileSeenAt | null;
		last: FileSeenAt | null;
		/** True when findings or lookalikes list fewer lines than were found (see maxFindings). */
		truncated: boolean;
		maxFindings: number;
		/** Lines longer than 1 MiB; only their first MiB was classified. */
		longLines: number;
		/** The first maxFindings log files read, in order (one, for a single log). */
		files: LogFileCounts[];
		/** How many log files were read in all. */
		logFiles: number;
		/** Entries of a bundle or directory not read as logs, and why (the first maxFindings). */
		skipped: ScanSkippedEntry[];
		skippedFiles: number;
	};
	/** code: what the verdict is; findings: the stable codes of the findings behind it (docs/findings.md). */
	verdict: {problem: boolean; code: ScanVerdictCode; message: string; fix: string | null; findings: string[]};
}

/** What was read: how, the log files' summary, and what was skipped. */
export interface ScanRead {
	format: InputFormat;
	summary: LogFilesSummary;
	skipped: ScanSkippedEntry[];
	skippedFiles: number;
}

export interface ScanIo {
	stdin: NodeJS.ReadableStream & {isTTY?: boolean};
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
}

export interface ScanCommandOptions {
	source: string;
	output: OutputFormat;
	limits: ReadLimits;
}

/** Scans a file, directory or stdin ("-"), prints the report, and returns 1 when the RBAC bug shows in a log, else 0. */
export async function runScan(
	options: ScanCommandOptions,
	io: ScanIo = {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr},
): Promise<number> {
	const read = await scanSource(options.source, options.limits, io);
	const report = buildScanReport(read, options.source, maxFindings);
	// A reader that has gone (`scan ... | head`) or a full disk: source/entry.ts handles write errors for every command.
	if (options.output === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
	else if (options.output === 'yaml') io.stdout.write(stringify(report, {aliasDuplicateObjects: false, lineWidth: 0}));
	// The text quotes user names, file names and log lines: made safe for the terminal here, where it is written (JSON/YAML stay exact).
	else io.stdout.write(terminalSafe(renderScanText(report, new Map(read.summary.findings.map(finding => [excerptKey(finding.file, finding.line), finding.excerpt])))));
	if (report.verdict.code === 'nothing-read') return ExitCode.NothingRead;
	return report.findings.length > 0 ? ExitCode.ProblemFound : ExitCode.Ok;
}

/** The key of a finding's excerpt in renderScanText's map. */
export function excerptKey(file: string, line: number): string {
	return `${file}\u0000${line}`;
}

async function scanSource(source: string, limits: ReadLimits, io: ScanIo): Promise<ScanRead> {
	const meter = new ReadMeter(limits);
	const label = source === '-' ? 'stdin' : source;
	if (source === '-') {
		if (io.stdin.isTTY) io.stderr.write('Reading a Multus log from stdin (end with Ctrl-D). To scan a file: kubectl multus scan FILE\n');
		return readOrFail(source, label, () => openStream('-', byteChunks(io.stdin as AsyncIterable<Buffer>), meter));
	}
	let handle;
	let directory = false;
	try {
		handle = await open(source, 'r');
		directory = (await handle.stat()).isDirectory();
	} catch (error) {
		await handle?.close();
		throw cannotRead(source, error);
	}
	if (directory) {
		await handle.close();
		return readOrFail(source, label, async () => openDirectory(source, meter));
	}
	const stream = handle.createReadStream({highWaterMark: readChunkBytes});
	try {
		return await readOrFail(source, label, () => openStream(source, stream as AsyncIterable<Buffer>, meter));
	} finally {
		stream.destroy();
	}
}

/** Opens the input and classifies every log file in it; a limit, a damaged archive or a read error becomes an error value. */
async function readOrFail(source: string, label: string, opener: () => Promise<OpenedInput>): Promise<ScanRead> {
	const scanner = createLogFilesScanner({maxFindings});
	const skipped: ScanSkippedEntry[] = [];
	let skippedFiles = 0;
	let format: InputFormat = 'text';
	try {
		const opened = await opener();
		format = opened.format;
		for await (const item of opened.items) {
			if (item.kind === 'skipped') {
				skippedFiles++;
				if (skipped.length < maxFindings) skipped.push({file: item.path, reason: item.reason, detail: item.detail});
				continue;
			}
			const file = scanner.file(item.path, item.compressed);
			for await (const chunk of item.chunks) file.push(chunk);
			file.end();
		}
	} catch (error) {
		if (error instanceof LimitError) throw limitReached(source, label, error);
		if (error instanceof ArchiveError) throw damaged(source, label, error);
		throw cannotRead(label, error);
	}
	return {format, summary: scanner.end(), skipped, skippedFiles};
}

const reasonByCode: Record<string, string> = {
	ENOENT: 'no such file or directory',
	EACCES: 'permission denied',
	EPERM: 'permission denied',
	EISDIR: 'is a directory',
	ENOTDIR: 'a parent of it is not a directory',
	ELOOP: 'too many symbolic links',
	EIO: 'input/output error',
};

function cannotRead(label: string, error: unknown): MultusError {
	const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
	const reason = reasonByCode[code] ?? (error instanceof Error ? error.message : String(error));
	return new MultusError('Usage', `cannot read "${label}": ${reason}`, {
		hint: 'give a readable log file, bundle or directory, or - to read stdin: kubectl logs -n kube-system ds/kube-multus-ds | kubectl multus scan -',
		cause: error,
	});
}

function damaged(source: string, label: string, error: ArchiveError): MultusError {
	const verb = error.reason === 'foreign' || error.reason === 'binary' ? 'scan' : 'read';
	return new MultusError('Usage', `cannot ${verb} "${label}": ${error.message}`, {hint: damagedHint(source, error), cause: error});
}

/** What to do about an input scan cannot read: fetch it again, check it, or the command that makes it readable. */
function damagedHint(source: string, error: ArchiveError): string {
	const file = source === '-' ? null : shellQuote(source);
	switch (error.reason) {
		case 'truncated':
			return 'the file was cut short (an interrupted download or copy): fetch or copy it again';
		case 'corrupt':
			return 'it is damaged, or not the gzip or tar file it looks like: check that it is the file you meant (file(1) says what it is)';
		case 'binary':
			return `scan reads text logs, gzip and tar; if it is UTF-16 text without a byte-order mark: ${file ? `iconv -f UTF-16LE -t UTF-8 ${file}` : '… | iconv -f UTF-16LE -t UTF-8'} | kubectl multus scan -`;
		case 'foreign': {
			const unpack = error.format?.unpack ?? {pipe: 'cat'};
			if ('pipe' in unpack) return file ? `scan reads text logs, gzip and tar: ${unpack.pipe} ${file} | kubectl multus scan -` : `scan reads text logs, gzip and tar: put ${unpack.pipe} before scan in the pipe (… | ${unpack.pipe} | kubectl multus scan -)`;
			const into = 'multus-logs';
			const command = `${unpack.directory.replace('DIR', into).replace('FILE', file ?? 'FILE')} && kubectl multus scan ${into}`;
			return file ? `scan reads text logs, gzip, tar and directories: unpack it first: ${command}` : `scan reads text logs, gzip, tar and directories: save it to a file, unpack it, and scan the directory: ${command}`;
		}
	}
}

const limitFlags: Record<LimitName, string> = {maxBytes: '--max-bytes', maxEntries: '--max-entries', maxDepth: '--max-depth', maxRatio: '--max-ratio'};

/** A limit reached: which, where, and the command that raises it. */
function limitReached(source: string, label: string, error: LimitError): MultusError {
	const flag = limitFlags[error.limit];
	const inside = error.where === source || error.where === '-' ? '' : ` (at "${error.where}")`;
	const what: Record<LimitName, string> = {
		maxBytes: `${label} decompresses to more than ${formatBytes(error.value)}${inside}`,
		maxEntries: `${label} holds more than ${error.value} entries${inside}`,
		maxDepth: `${label} holds a path more than ${error.value} levels deep${inside}`,
		maxRatio: `${label} expands more than ${error.value} to 1 past its first ${formatBytes(ratioFloorBytes)}, like a gzip bomb${inside}`,
	};
	const raised = error.limit === 'maxBytes' ? Math.min(error.value * 4, Number.MAX_SAFE_INTEGER) : error.value * 10;
	return new MultusError('LimitExceeded', `scan stopped: ${what[error.limit]}, the limit of ${flag} ${error.value}`, {
		hint: `if it is what you expect, raise the limit: kubectl multus scan ${source === '-' ? '-' : shellQuote(source)} ${flag} ${raised}`,
		cause: error,
	});
}

/** The JSON/YAML report for a scan (pure: tested without I/O). */
export function buildScanReport(read: ScanRead, source: string, limit: number): ScanReport {
	const {summary} = read;
	const findings = summary.findings.map(({file, line, kind, verb, user}) => ({file, line, kind, verb, user, code: logFinding[kind].code}));
	const lookalikes = summary.lookalikeFindings.map(lookalikeEntry);
	const byUser = summary.groups.flatMap<ScanUserEntry>(({kind, verb, user, count, first, last}) =>
		(kind === 'pods-forbidden' || kind === 'nads-forbidden') && (verb === 'list' || verb === 'watch') ? [{kind, user, verb, count, first, last}] : [],
	);
	const lookalikeGroups = summary.groups
		.filter(group => group.kind !== 'pods-forbidden' && group.kind !== 'nads-forbidden' && group.kind !== 'daemon-started' && group.kind !== 'daemon-ready')
		.map(group => ({...group}));
	return {
		findings,
		lookalikes,
		summary: {
			source,
			format: read.format,
			lines: summary.lines,
			bytes: summary.bytes,
			podsForbidden: summary.podsForbidden,
			nadsForbidden: summary.nadsForbidden,
			lookalikes: summary.lookalikes,
			byVerb: {...summary.podsForbiddenByVerb},
			nadsByVerb: {...summary.nadsForbiddenByVerb},
			byUser,
			lookalikeGroups,
			first: summary.firstForbidden,
			last: summary.lastForbidden,
			truncated: summary.truncated,
			maxFindings: limit,
			longLines: summary.longLines,
			files: summary.files.map(file => ({...file})),
			logFiles: summary.fileCount,
			skipped: read.skipped.map(entry => ({...entry})),
			skippedFiles: read.skippedFiles,
		},
		verdict: verdictOf(read, source),
	};
}

function lookalikeEntry(line: FileLookalike): ScanLookalikeEntry {
	const {timestamp: _timestamp, excerpt: _excerpt, file, line: number, ...entry} = line;
	return {file, line: number, ...entry, code: logFinding[line.kind].code};
}

/** Whether the input held several files (a bundle or directory), so that findings are named by file. */
function isBundle(format: InputFormat): boolean {
	return format === 'tar' || format === 'tar.gz' || format === 'directory';
}

function verdictOf(read: ScanRead, source: string): ScanReport['verdict'] {
	const {summary} = read;
	const where = source === '-' ? 'stdin' : source;
	if (summary.bytes === 0) {
		if (isBundle(read.format)) {
			const logs = summary.fileCount;
			return {
				problem: false,
				code: 'nothing-read',
				message: logs === 0
					? `Nothing was read from ${where}: it holds no log file${read.skippedFiles > 0 ? ` (${plural(read.skippedFiles, 'entry', 'entries')} skipped: ${skippedKinds(read)})` : ''}, so it says nothing about Multus.`
					: `Nothing was read from ${where}: its ${plural(logs, 'log file')} ${logs === 1 ? 'is' : 'are'} empty, so it says nothing about Multus.`,
				fix: 'give the bundle or directory that holds the Multus pods\' logs (kubectl multus report --bundle, kubectl cluster-info dump --output-directory DIR)',
				findings: [finding.nothingRead.code],
			};
		}
		return {
			problem: false,
			code: 'nothing-read',
			message: `Nothing was read from ${where}: the input is empty, so it says nothing about Multus.`,
			fix: source === '-' ? 'check the command that feeds it (kubectl logs prints its own error on stderr; -c CONTAINER, --previous)' : 'give the log file itself (it is empty), or - to read stdin',
			findings: [finding.nothingRead.code],
		};
	}
	const denied = (byVerb: Record<ForbiddenVerb, number>) => (['list', 'watch'] as const).filter(verb => byVerb[verb] > 0).join(' and ');
	const families = [
		...(summary.podsForbidden > 0
			? [{what: `the pod informer is denied ${denied(summary.podsForbiddenByVerb)} on pods`, lines: summary.podsForbidden, resource: 'pods', code: finding.podsForbiddenLines.code}]
			: []),
		...(summary.nadsForbidden > 0
			? [{what: `the NetworkAttachmentDefinition informer is denied ${denied(summary.nadsForbiddenByVerb)} on network-attachment-definitions`, lines: summary.nadsForbidden, resource: 'network-attachment-definitions', code: finding.nadsForbiddenLines.code}]
			: []),
	];
	const inFiles = (kind: 'podsForbidden' | 'nadsForbidden') => {
		const count = kind === 'podsForbidden' ? summary.filesWithPodsForbidden : summary.filesWithNadsForbidden;
		return isBundle(read.format) ? ` in ${plural(count, 'file')}` : '';
	};
	if (families.length > 0) {
		return {
			problem: true,
			code: summary.podsForbidden > 0 ? 'pods-forbidden' : 'nads-forbidden',
			message: `Multus's ${families.map(family => `${family.what.replace(/^the /, '')} at cluster scope (${plural(family.lines, 'line')}${inFiles(family.resource === 'pods' ? 'podsForbidden' : 'nadsForbidden')})`).join('; ')}: its ClusterRole lacks them.`,
			fix: `run \`kubectl multus doctor\` to add list and watch on ${families.map(family => family.resource).join(' and ')} to the ClusterRole bound to the Multus daemon, restart it and prove the fix`,
			findings: families.map(family => family.code),
		};
	}
	if (summary.lookalikes > 0) {
		return {
			problem: false,
			code: 'lookalikes-only',
			message: `No informer list/watch denial (pods, NetworkAttachmentDefinitions); ${plural(summary.lookalikes, 'line')} look similar but point to another problem.`,
			fix: lookalikeFix(summary),
			findings: [...new Set(summary.lookalikeFindings.map(line => logFinding[line.kind].code))],
		};
	}
	const files = isBundle(read.format) ? ` of ${plural(summary.fileCount, 'log file')}` : '';
	return {problem: false, code: 'clean', message: `No sign of the Multus informer RBAC problem in ${plural(summary.lines, 'line')}${files}.`, fix: null, findings: []};
}

function skippedKinds(read: {skipped: ScanSkippedEntry[]}): string {
	const counts = new Map<string, number>();
	for (const entry of read.skipped) {
		const kind = entry.reason === 'structured' ? (entry.detail ?? 'structured') : skipWords[entry.reason];
		counts.set(kind, (counts.get(kind) ?? 0) + 1);
	}
	return [...counts].map(([kind, count]) => `${count} ${kind}`).join(', ');
}

/** A skipped entry's reason, in words. */
const skipWords: Record<SkipReason, string> = {
	structured: 'not a log',
	binary: 'binary',
	archive: 'an archive inside',
	symlink: 'symbolic link, not followed',
	hardlink: 'hard link, not followed',
	escapes: 'path outside the bundle',
	special: 'not a regular file',
	unreadable: 'unreadable',
};

function lookalikeFix(summary: LogFilesSummary): string | null {
	const kinds = new Set(summary.groups.map(group => group.kind));
	if (kinds.has('apiserver-unreachable')) return 'check the network path from the node to the apiserver (service IP, kube-proxy, the default CNI), not RBAC';
	if (kinds.has('unauthorized')) return "the daemon's credentials are rejected: check its ServiceAccount token or kubeconfig, not RBAC";
	if (kinds.has('namespaced-get-forbidden') || kinds.has('other-forbidden')) return 'run `kubectl multus doctor --check` to compare the ClusterRole and its binding with what Multus needs';
	return null;
}

/**
 * The human summary: counts, per user and verb, examples, look-alikes, a verdict and the fix; for a bundle or
 * directory, lines are named FILE:LINE and the files with findings and the skipped entries are listed. No colour.
 * `excerpts` holds the examples' text by excerptKey(file, line).
 */
export function renderScanText(report: ScanReport, excerpts: ReadonlyMap<string, string> = new Map()): string {
	const {summary} = report;
	const out: string[] = [];
	const source = summary.source === '-' ? 'stdin' : summary.source;
	const bundle = isBundle(summary.format);
	const at = (seen: {file: string; line: number}) => (bundle ? `${seen.file}:${seen.line}` : `line ${seen.line}`);
	if (report.verdict.code === 'nothing-read') return `${report.verdict.message}  [${finding.nothingRead.code}]\nFix: ${report.verdict.fix}\n`;
	if (bundle) {
		const skipped = summary.skippedFiles > 0 ? `; skipped ${plural(summary.skippedFiles, 'entry', 'entries')} (${skippedKinds(summary)})` : '';
		out.push(`Scanned ${plural(summary.logFiles, 'log file')}, ${plural(summary.lines, 'line')} (${formatBytes(summary.bytes)}), in ${source} (${formatWords[summary.format]})${skipped}.`, '');
	} else {
		out.push(`Scanned ${plural(summary.lines, 'line')} (${formatBytes(summary.bytes)}${summary.format === 'gzip' ? ' once decompressed' : ''}) of ${source}.`, '');
	}

	const forbidden = summary.podsForbidden + summary.nadsForbidden;
	if (forbidden > 0) {
		const families = [
			['pods-forbidden', summary.podsForbidden, 'pods'],
			['nads-forbidden', summary.nadsForbidden, 'network-attachment-definitions'],
		] as const;
		for (const [kind, count, resource] of families) {
			if (count === 0) continue;
			out.push(`Multus is forbidden to list/watch ${resource} at cluster scope on ${plural(count, 'line')} [${logFinding[kind].code}]:`);
			const groups = summary.byUser.filter(group => group.kind === kind);
			const countWidth = Math.max(...groups.map(group => plural(group.count, 'line').length));
			for (const group of groups) {
				const user = group.user ?? `(no user named: old client-go prints "unknown (get ${resource})")`;
				out.push(`  ${group.verb.padEnd(5)}  ${plural(group.count, 'line').padStart(countWidth)}  ${user}  ${span(group.first, group.last, bundle)}`);
			}
			if (groups.length === 0) out.push(`  (${count} lines; too many distinct users to list)`);
		}
		const examples = bundle ? examplesByFile(report.findings, 20) : report.findings.slice(0, 20);
		out.push('', 'Examples:');
		const exampleWidth = Math.max(...examples.map(example => at(example).length));
		for (const example of examples) {
			const where = bundle ? at(example).padEnd(exampleWidth) : `line ${String(example.line).padStart(exampleWidth - 5)}`;
			out.push(`  ${where}  ${excerpts.get(excerptKey(example.file, example.line)) ?? ''}`.trimEnd());
		}
		if (forbidden > examples.length) out.push(`  … and ${plural(forbidden - examples.length, 'more line')}`);
		out.push('');
		if (bundle) {
			const withFindings = summary.files.filter(file => file.podsForbidden + file.nadsForbidden > 0);
			out.push(`In ${plural(withFindings.length, 'file')}${summary.logFiles > summary.files.length ? ` (of the first ${summary.files.length} log files)` : ''}:`);
			for (const file of withFindings.slice(0, 20)) out.push(`  ${file.file}  ${plural(file.podsForbidden + file.nadsForbidden, 'line')} of ${plural(file.lines, 'line')}`);
			if (withFindings.length > 20) out.push(`  … and ${plural(withFindings.length - 20, 'more file')}`);
			out.push('');
		}
	} else {
		out.push('No line says Multus is forbidden to list or watch pods or NetworkAttachmentDefinitions.', '');
	}

	if (report.lookalikes.length > 0) {
		out.push('Not the RBAC bug:');
		for (const [description, lines] of lookalikeDescriptions(report.lookalikes)) {
			const shown = lines.slice(0, 10).map(line => (bundle ? at(line) : String(line.line))).join(', ');
			const more = lines.length > 10 ? ` and ${lines.length - 10} more` : '';
			out.push(`  ${description} on ${bundle ? '' : lines.length === 1 ? 'line ' : 'lines '}${shown}${more}  [${String(lines[0]?.['code'])}]`);
		}
		if (summary.truncated && summary.lookalikes > report.lookalikes.length) out.push(`  (only the first ${summary.maxFindings} look-alike lines are listed)`);
		out.push('');
	}

	if (bundle && summary.skipped.some(entry => entry.reason !== 'structured')) {
		// JSON and Markdown files are expected in a bundle; links, escaping paths and the rest are worth a look.
		const unusual = summary.skipped.filter(entry => entry.reason !== 'structured');
		out.push('Not read:');
		for (const entry of unusual.slice(0, 10)) out.push(`  ${entry.file}  ${skipWords[entry.reason]}${entry.detail ? ` (${entry.detail})` : ''}`);
		if (unusual.length > 10) out.push(`  … and ${plural(unusual.length - 10, 'more entry', 'more entries')}`);
		out.push('');
	}

	out.push(`Verdict: ${report.verdict.message}`);
	if (report.verdict.fix) out.push(`Fix: ${report.verdict.fix}`);
	return out.join('\n') + '\n';
}

/** Up to `count` findings, the first few of each file in turn, so that every pod with a denial shows one. */
function examplesByFile(findings: ScanFindingEntry[], count: number): ScanFindingEntry[] {
	const files = [...new Set(findings.map(entry => entry.file))];
	const each = Math.max(1, Math.floor(count / files.length));
	const taken = new Map<string, number>();
	return findings.filter(entry => {
		const seen = taken.get(entry.file) ?? 0;
		taken.set(entry.file, seen + 1);
		return seen < each;
	}).slice(0, count);
}

const formatWords: Record<InputFormat, string> = {text: 'text', gzip: 'gzip', tar: 'a tar archive', 'tar.gz': 'a gzip\'d tar archive', directory: 'a directory'};

function lookalikeDescriptions(entries: ScanLookalikeEntry[]): Map<string, ScanLookalikeEntry[]> {
	const byDescription = new Map<string, ScanLookalikeEntry[]>();
	for (const entry of entries) {
		const description = describeLookalike(entry);
		const lines = byDescription.get(description);
		if (lines) lines.push(entry);
		else byDescription.set(description, [entry]);
	}
	return byDescription;
}

function describeLookalike(entry: ScanLookalikeEntry): string {
	const text = (key: string): string => String(entry[key] ?? '');
	const informer = entry['informer'] ? ` (${text('informer')} informer)` : '';
	switch (entry['kind']) {
		case 'apiserver-unreachable':
			return `apiserver unreachable: ${text('reason')}${informer}`;
		case 'namespaced-get-forbidden':
			return `get on one pod forbidden in a namespace for ${text('user')} (the thin plugin's per-pod read, not the informer)`;
		case 'other-forbidden': {
			const group = text('apiGroup');
			const scope = entry['namespace'] ? `in namespace ${text('namespace')}` : 'at cluster scope';
			return `${text('verb')} ${text('resource')}${group ? `.${group}` : ''} forbidden ${scope} for ${text('user')}`;
		}
		case 'unauthorized':
			return `Unauthorized: credentials rejected${informer}`;
		case 'informer-sync-failed':
			return `multus's ${text('informer')} informer cache never synced (a symptom; see the lines before it)`;
		default:
			return text('kind');
	}
}

function span(first: FileSeenAt, last: FileSeenAt, bundle: boolean): string {
	const times = (a: FileSeenAt, b: FileSeenAt) => (a.timestamp && b.timestamp ? ` (${a.timestamp} to ${b.timestamp})` : '');
	if (first.file === last.file && first.line === last.line) {
		const where = bundle ? `${first.file}:${first.line}` : `line ${first.line}`;
		return first.timestamp ? `${where} (${first.timestamp})` : where;
	}
	if (!bundle) return `lines ${first.line} to ${last.line}${times(first, last)}`;
	if (first.file === last.file) return `${first.file} lines ${first.line} to ${last.line}${times(first, last)}`;
	return `${first.file}:${first.line} to ${last.file}:${last.line}${times(first, last)}`;
}

function plural(count: number, noun: string, nouns = `${noun}s`): string {
	return `${count} ${count === 1 ? noun : nouns}`;
}

function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
	if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
	return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
