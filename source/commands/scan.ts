// `kubectl multus scan [FILE|-]`: classify Multus log text offline, streaming, in constant memory.
//
// -o json / -o yaml print one object, in this order (a stable shape; new keys are only ever added):
//   findings    [{line, kind: "pods-forbidden"|"nads-forbidden", verb: "list"|"watch", user: string|null, code}]  the
//                 first 1000, in order (nads-forbidden: the daemon's NetworkAttachmentDefinition informer is denied;
//                 code: the finding's stable code, MULTUS-LOG-001 or MULTUS-LOG-002, docs/findings.md)
//   lookalikes  [{line, kind, ..., code}]  lines that resemble the bug but are not it, the first 1000, in order:
//                 apiserver-unreachable {reason, informer}, namespaced-get-forbidden {user, namespace, pod},
//                 other-forbidden {user, verb, resource, apiGroup, namespace}, unauthorized {informer},
//                 informer-sync-failed {informer}   (informer is "pod", "net-attach-def" or null)
//   summary     {source, lines, bytes, podsForbidden, nadsForbidden, lookalikes, byVerb: {list, watch} (pods),
//                nadsByVerb: {list, watch}, byUser: [{kind, user, verb, count, first, last}],
//                lookalikeGroups: [{kind, verb, user, count, first, last}],
//                first, last, truncated, maxFindings, longLines}   where first/last are {line, timestamp} or null
//   verdict     {problem, code: "pods-forbidden"|"nads-forbidden"|"lookalikes-only"|"clean"|"nothing-read", message, fix,
//                findings: the finding codes behind it, e.g. ["MULTUS-LOG-001"]}
//                (pods-forbidden when pods lines are there, whether or not NAD lines are too)
// Exit code: 1 when any pods-forbidden or nads-forbidden line was found, else 0; 2 when the input cannot be read; 6 when it is empty.
import {open} from 'node:fs/promises';
import {stringify} from 'yaml';
import {ExitCode} from '../exit-codes.js';
import {MultusError} from '../errors.js';
import type {OutputFormat} from '../options.js';
import {scanStream} from '../multus/logs.js';
import {terminalSafe} from '../ansi.js';
import {finding, logFinding} from '../multus/findings.js';
import type {FindingGroup, ForbiddenVerb, InformerForbiddenKind, LookalikeLineFinding, ScanSummary, SeenAt} from '../multus/logs.js';

const maxFindings = 1000;
const readChunkBytes = 1 << 20;

export interface ScanFindingEntry {
	line: number;
	kind: InformerForbiddenKind;
	verb: ForbiddenVerb;
	user: string | null;
	/** The finding's stable code (docs/findings.md). */
	code: string;
}

export type ScanLookalikeEntry = {line: number} & Record<string, string | number | null>;

export type ScanGroupEntry = FindingGroup;

/** Forbidden lines of one family, user and verb (user null: old client-go's `unknown (get ...)`, which names none). */
export interface ScanUserEntry {
	kind: InformerForbiddenKind;
	user: string | null;
	verb: ForbiddenVerb;
	count: number;
	first: SeenAt;
	last: SeenAt;
}

/** nothing-read: the input was empty (`kubectl logs` that failed, a wrong file), so it is neither clean nor not. */
export type ScanVerdictCode = 'pods-forbidden' | 'nads-forbidden' | 'lookalikes-only' | 'clean' | 'nothing-read';

export interface ScanReport {
	findings: ScanFindingEntry[];
	lookalikes: ScanLookalikeEntry[];
	summary: {
		/** The file scanned, or "-" for stdin. */
		source: string;
		lines: number;
		bytes: number;
		podsForbidden: number;
		nadsForbidden: number;
		lookalikes: number;
		byVerb: Record<ForbiddenVerb, number>;
		nadsByVerb: Record<ForbiddenVerb, number>;
		byUser: ScanUserEntry[];
		lookalikeGroups: ScanGroupEntry[];
		first: SeenAt | null;
		last: SeenAt | null;
		/** True when findings or lookalikes list fewer lines than were found (see maxFindings). */
		truncated: boolean;
		maxFindings: number;
		/** Lines longer than 1 MiB; only their first MiB was classified. */
		longLines: number;
	};
	/** code: what the verdict is; findings: the stable codes of the findings behind it (docs/findings.md). */
	verdict: {problem: boolean; code: ScanVerdictCode; message: string; fix: string | null; findings: string[]};
}

export interface ScanIo {
	stdin: NodeJS.ReadableStream & {isTTY?: boolean};
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
}

/** Scans a file or stdin ("-"), prints the report, and returns 1 when the pods RBAC bug shows in the log, else 0. */
export async function runScan(
	options: {source: string; output: OutputFormat},
	io: ScanIo = {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr},
): Promise<number> {
	const summary = await scanSource(options.source, io);
	const report = buildScanReport(summary, options.source, maxFindings);
	// A reader that has gone (`scan ... | head`) or a full disk: source/entry.ts handles write errors for every command.
	if (options.output === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
	else if (options.output === 'yaml') io.stdout.write(stringify(report, {aliasDuplicateObjects: false, lineWidth: 0}));
	// The text quotes user names and log lines: made safe for the terminal here, where it is written (JSON/YAML stay exact).
	else io.stdout.write(terminalSafe(renderScanText(report, new Map(summary.findings.map(finding => [finding.line, finding.excerpt])))));
	if (report.verdict.code === 'nothing-read') return ExitCode.NothingRead;
	return report.findings.length > 0 ? ExitCode.ProblemFound : ExitCode.Ok;
}

async function scanSource(source: string, io: ScanIo): Promise<ScanSummary> {
	if (source === '-') {
		if (io.stdin.isTTY) io.stderr.write('Reading a Multus log from stdin (end with Ctrl-D). To scan a file: kubectl multus scan FILE\n');
		return readOrFail('stdin', () => scanStream(io.stdin, undefined, {maxFindings}));
	}
	let handle;
	try {
		handle = await open(source, 'r');
		if ((await handle.stat()).isDirectory()) throw Object.assign(new Error('is a directory'), {code: 'EISDIR'});
	} catch (error) {
		await handle?.close();
		throw cannotRead(source, error);
	}
	const stream = handle.createReadStream({highWaterMark: readChunkBytes});
	try {
		return await readOrFail(source, () => scanStream(stream, undefined, {maxFindings}));
	} finally {
		stream.destroy();
	}
}

async function readOrFail(label: string, scan: () => Promise<ScanSummary>): Promise<ScanSummary> {
	try {
		return await scan();
	} catch (error) {
		throw cannotRead(label, error);
	}
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
		hint: 'give a readable log file, or - to read stdin: kubectl logs -n kube-system ds/kube-multus-ds | kubectl multus scan -',
		cause: error,
	});
}

/** The JSON/YAML report for a scan (pure: tested without I/O). */
export function buildScanReport(summary: ScanSummary, source: string, limit: number): ScanReport {
	const findings = summary.findings.map(({line, kind, verb, user}) => ({line, kind, verb, user, code: logFinding[kind].code}));
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
		},
		verdict: verdictOf(summary, source),
	};
}

function lookalikeEntry(finding: LookalikeLineFinding): ScanLookalikeEntry {
	const {timestamp: _timestamp, excerpt: _excerpt, ...entry} = finding;
	return {...entry, code: logFinding[finding.kind].code};
}

function verdictOf(summary: ScanSummary, source: string): ScanReport['verdict'] {
	if (summary.bytes === 0) {
		return {
			problem: false,
			code: 'nothing-read',
			message: `Nothing was read from ${source === '-' ? 'stdin' : source}: the input is empty, so it says nothing about Multus.`,
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
	if (families.length > 0) {
		return {
			problem: true,
			code: summary.podsForbidden > 0 ? 'pods-forbidden' : 'nads-forbidden',
			message: `Multus's ${families.map(family => `${family.what.replace(/^the /, '')} at cluster scope (${plural(family.lines, 'line')})`).join('; ')}: its ClusterRole lacks them.`,
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
	return {problem: false, code: 'clean', message: `No sign of the Multus informer RBAC problem in ${plural(summary.lines, 'line')}.`, fix: null, findings: []};
}

function lookalikeFix(summary: ScanSummary): string | null {
	const kinds = new Set(summary.groups.map(group => group.kind));
	if (kinds.has('apiserver-unreachable')) return 'check the network path from the node to the apiserver (service IP, kube-proxy, the default CNI), not RBAC';
	if (kinds.has('unauthorized')) return "the daemon's credentials are rejected: check its ServiceAccount token or kubeconfig, not RBAC";
	if (kinds.has('namespaced-get-forbidden') || kinds.has('other-forbidden')) return 'run `kubectl multus doctor --check` to compare the ClusterRole and its binding with what Multus needs';
	return null;
}

/** The human summary: counts, per user and verb, examples (text by line number), look-alikes, a verdict and the fix. No colour. */
export function renderScanText(report: ScanReport, excerptByLine: ReadonlyMap<number, string> = new Map()): string {
	const {summary} = report;
	const out: string[] = [];
	const source = summary.source === '-' ? 'stdin' : summary.source;
	if (report.verdict.code === 'nothing-read') return `${report.verdict.message}  [${finding.nothingRead.code}]\nFix: ${report.verdict.fix}\n`;
	out.push(`Scanned ${plural(summary.lines, 'line')} (${formatBytes(summary.bytes)}) of ${source}.`, '');

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
				out.push(`  ${group.verb.padEnd(5)}  ${plural(group.count, 'line').padStart(countWidth)}  ${user}  ${span(group.first, group.last)}`);
			}
			if (groups.length === 0) out.push(`  (${count} lines; too many distinct users to list)`);
		}
		const examples = report.findings.slice(0, 20);
		out.push('', 'Examples:');
		const exampleWidth = String(examples.at(-1)?.line ?? 0).length;
		for (const example of examples) {
			out.push(`  line ${String(example.line).padStart(exampleWidth)}  ${excerptByLine.get(example.line) ?? ''}`.trimEnd());
		}
		if (forbidden > examples.length) out.push(`  … and ${plural(forbidden - examples.length, 'more line')}`);
		out.push('');
	} else {
		out.push('No line says Multus is forbidden to list or watch pods or NetworkAttachmentDefinitions.', '');
	}

	if (report.lookalikes.length > 0) {
		out.push('Not the RBAC bug:');
		for (const [description, {lines, code}] of lookalikeDescriptions(report.lookalikes)) {
			const shown = lines.slice(0, 10).join(', ');
			const more = lines.length > 10 ? ` and ${lines.length - 10} more` : '';
			out.push(`  ${description} on ${lines.length === 1 ? 'line' : 'lines'} ${shown}${more}  [${code}]`);
		}
		if (summary.truncated && summary.lookalikes > report.lookalikes.length) out.push(`  (only the first ${summary.maxFindings} look-alike lines are listed)`);
		out.push('');
	}

	out.push(`Verdict: ${report.verdict.message}`);
	if (report.verdict.fix) out.push(`Fix: ${report.verdict.fix}`);
	return out.join('\n') + '\n';
}

function lookalikeDescriptions(entries: ScanLookalikeEntry[]): Map<string, {lines: number[]; code: string}> {
	const byDescription = new Map<string, {lines: number[]; code: string}>();
	for (const entry of entries) {
		const description = describeLookalike(entry);
		const seen = byDescription.get(description);
		if (seen) seen.lines.push(entry.line);
		else byDescription.set(description, {lines: [entry.line], code: String(entry['code'])});
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

function span(first: SeenAt, last: SeenAt): string {
	if (first.line === last.line) return first.timestamp ? `line ${first.line} (${first.timestamp})` : `line ${first.line}`;
	const times = first.timestamp && last.timestamp ? ` (${first.timestamp} to ${last.timestamp})` : '';
	return `lines ${first.line} to ${last.line}${times}`;
}

function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
	if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
	return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
