// What a Multus log line says about its API access. Pure: no I/O besides reading the stream it is given.
//
// The thick daemon's informers need list and watch at cluster scope: on pods (its pod informer) and on
// NetworkAttachmentDefinitions (its NAD informer). When RBAC denies them,
// client-go prints the apiserver's message inside wrappers that changed with every client-go release (plain
// klog, "Unhandled Error" and structured "Failed to watch" with escaped quotes), and the container runtime or
// kubectl may add prefixes. Rather than enumerate wrappers, the classifier anchors on the invariant core
//   pods is forbidden: User "<user>" cannot (list|watch) resource "pods" in API group "" at the cluster scope
// with any number of backslashes before each quote, plus old client-go's watch-only
//   Failed to watch *v1.Pod: unknown (get pods)
// and the same for the NAD informer (`network-attachment-definitions.k8s.cni.cncf.io is forbidden: ... cannot list
// resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" at the cluster scope`).
// The daemon's own start-up lines (multus-daemon started, API readiness check done!) are recognised too: they are
// what proves a daemon finished starting (see proof.ts).
// Look-alikes (apiserver unreachable, other resources or namespaced requests forbidden, Unauthorized, multus's
// own cache sync failure) are classified separately so they are never mistaken for this bug.

import type {InformerName} from './versions.js';

export type {InformerName};
export type ForbiddenVerb = 'list' | 'watch';

/** The thick daemon's pod informer is denied list or watch on pods at cluster scope: the bug this tool fixes. */
export interface PodsForbiddenFinding {
	kind: 'pods-forbidden';
	informer: 'pod';
	verb: ForbiddenVerb;
	/** The denied user; null only for the watch-only `unknown (get pods)` form, which names no user. */
	user: string | null;
	timestamp: string | null;
	/** reflector: a client-go informer line; watch-unknown: old client-go's undecoded watch denial; message: the bare apiserver message in another wrapper. */
	source: 'reflector' | 'watch-unknown' | 'message';
}

/** The thick daemon's NetworkAttachmentDefinition informer is denied list or watch on NADs at cluster scope. */
export interface NadsForbiddenFinding {
	kind: 'nads-forbidden';
	informer: 'net-attach-def';
	verb: ForbiddenVerb;
	/** The denied user; null only for old client-go's watch-only `unknown (get ...)` form. */
	user: string | null;
	timestamp: string | null;
	source: 'reflector' | 'watch-unknown' | 'message';
}

/** A daemon informer denied list or watch: the families of forbidden lines the doctor fixes. */
export type InformerForbiddenFinding = PodsForbiddenFinding | NadsForbiddenFinding;
export type InformerForbiddenKind = InformerForbiddenFinding['kind'];
/** Which forbidden family each informer's denials belong to. */
export const forbiddenKindOf: Record<InformerName, InformerForbiddenKind> = {pod: 'pods-forbidden', 'net-attach-def': 'nads-forbidden'};

export function isInformerForbidden(finding: {kind: string}): finding is InformerForbiddenFinding {
	return finding.kind === 'pods-forbidden' || finding.kind === 'nads-forbidden';
}

/** A Kubernetes API request failed on the network (timeout, refused, TLS, routing): not RBAC. */
export interface ApiserverUnreachableFinding {
	kind: 'apiserver-unreachable';
	/** The network error, e.g. "connection timed out". */
	reason: string;
	informer: InformerName | null;
	timestamp: string | null;
}

/** The thin plugin's per-pod GET denied in one namespace: a different RBAC problem (get, not list/watch). */
export interface NamespacedGetForbiddenFinding {
	kind: 'namespaced-get-forbidden';
	user: string;
	namespace: string;
	/** The pod named in `pods "<name>" is forbidden`, when present. */
	pod: string | null;
	timestamp: string | null;
}

/** Any other RBAC denial: another resource (events, NAD get), another verb, or list/watch in one namespace. */
export interface OtherForbiddenFinding {
	kind: 'other-forbidden';
	user: string;
	verb: string;
	/** The resource (with subresource, e.g. "pods/status") or, for non-resource requests, the URL path. */
	resource: string;
	apiGroup: string;
	/** The namespace of a namespaced request; null at cluster scope. */
	namespace: string | null;
	timestamp: string | null;
}

/** An informer list/watch answered 401: the credentials are wrong or expired, not RBAC. */
export interface UnauthorizedFinding {
	kind: 'unauthorized';
	informer: InformerName | null;
	timestamp: string | null;
}

/** multus's own `[error] failed to sync <informer> informer cache`, logged once 20 s after start. A symptom with several causes. */
export interface InformerSyncFailedFinding {
	kind: 'informer-sync-failed';
	informer: InformerName;
	timestamp: string | null;
}

export type LookalikeFinding =
	| ApiserverUnreachableFinding
	| NamespacedGetForbiddenFinding
	| OtherForbiddenFinding
	| UnauthorizedFinding
	| InformerSyncFailedFinding;
/** The daemon's own start-up progress (multus's logger): started, and ready to serve after its informers synced. */
export interface DaemonLifecycleFinding {
	kind: 'daemon-started' | 'daemon-ready';
	timestamp: string | null;
}

export type LogClassification = InformerForbiddenFinding | LookalikeFinding | DaemonLifecycleFinding;
export type FindingKind = LogClassification['kind'];

/** A classified line: its 1-based line number and a short excerpt of its text. */
export type LineFinding = {line: number; excerpt: string} & LogClassification;
export type InformerForbiddenLineFinding = {line: number; excerpt: string} & InformerForbiddenFinding;
/** @deprecated the pods family alone; findings hold both informer families now. */
export type PodsForbiddenLineFinding = InformerForbiddenLineFinding;
export type LookalikeLineFinding = {line: number; excerpt: string} & LookalikeFinding;

// Every line classifyLine recognises contains one of these (each gate below requires a longer string that
// contains one), so the scanner classifies only lines that contain one. Short needles with a rare first byte
// keep Buffer#indexOf on its memchr path, at several GB/s.
const needles = ['User ', '(get p', '(get n', 'Get ', 'Unauth', '[error]', 'multus-daemon started', 'API readiness check done'] as const;
const needleBuffers = needles.map(needle => Buffer.from(needle, 'latin1'));

// A quote as it appears raw, JSON-escaped (\") or escaped twice (\\\").
const q = String.raw`\\*"`;
const quoted = String.raw`\\*"([^"\\]*)\\*"`;
const quotedNonEmpty = String.raw`\\*"([^"\\]+)\\*"`;
// What follows `forbidden: User ` in the apiserver's RBAC message (k8s.io/apiserver responsewriters.forbiddenMessage).
const afterUser = new RegExp(
	`${quotedNonEmpty} cannot ([A-Za-z]+) (?:resource ${quotedNonEmpty} in API group ${quoted} (?:(at the cluster scope)|in the namespace ${quotedNonEmpty})|path ${quotedNonEmpty})`,
	'y',
);
// What precedes ` forbidden: User `: `<resource>[.<group>] ["<name>"] is`. Matched against a bounded tail.
const beforeForbidden = new RegExp(`(?:^|[^a-z0-9.-])([a-z0-9][a-z0-9.-]*)(?: ${quoted})? is $`);
const beforeWindow = 320;

const networkErrors = [
	'connection timed out',
	'connection refused',
	'i/o timeout',
	'TLS handshake timeout',
	'no route to host',
	'connection reset by peer',
	'network is unreachable',
	'no such host',
	'Client.Timeout exceeded',
	'http2: client connection lost',
] as const;
// Go's url.Error: `Get "https://host/api/v1/pods?...": <error>`.
const apiRequest = new RegExp(`Get ${q}(https?://[^\\s"\\\\/]+(/apis?(?:[/?][^\\s"\\\\]*)?))${q}: `);
const informerSync = /\[error\] failed to sync (pod|net-attach-def) informer cache/;
const nadResource = 'network-attachment-definitions';
const nadGroup = 'k8s.cni.cncf.io';
// multus's logger: `<RFC 3339> [verbose] <message>` (its lines are never klog's).
const daemonStarted = /\[verbose\] multus-daemon started\s*$/;
const daemonReady = /\[verbose\] API readiness check done!\s*$/;

// Timestamps: kubectl --prefix, then an RFC 3339 stamp (CRI log file, kubectl --timestamps or multus's own logger);
// else a klog header; else docker json-file's "time".
const kubectlPrefix = /^\s*\[[^\]\s]*\] /;
const rfc3339 = /^\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))(?= |$)/;
const klogHeader = /(?:^|[\s"])[IWEF](\d{4} \d{2}:\d{2}:\d{2}\.\d{6}) +\d+ /;
const dockerTime = /"time":"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))"/;

/** Classifies one log line (without its newline). Never throws; null means nothing this tool cares about. */
export function classifyLine(text: string): LogClassification | null {
	try {
		if (typeof text !== 'string') return null;
		const found = classify(text);
		if (found) found.timestamp = extractTimestamp(text);
		return found;
	} catch {
		return null;
	}
}

function classify(text: string): LogClassification | null {
	const forbidden = text.includes('forbidden: User ') ? classifyForbidden(text) : null;
	if (forbidden && isInformerForbidden(forbidden)) return forbidden;
	// Old client-go cannot decode the watch denial and prints this instead; it names no user.
	if (text.includes('unknown (get pods)') && /watch/i.test(text)) {
		return {kind: 'pods-forbidden', informer: 'pod', verb: 'watch', user: null, timestamp: null, source: 'watch-unknown'};
	}
	if (text.includes(`unknown (get ${nadResource}`) && /watch/i.test(text)) {
		return {kind: 'nads-forbidden', informer: 'net-attach-def', verb: 'watch', user: null, timestamp: null, source: 'watch-unknown'};
	}
	if (forbidden) return forbidden;
	if (text.includes('[verbose] ')) {
		if (daemonReady.test(text)) return {kind: 'daemon-ready', timestamp: null};
		if (daemonStarted.test(text)) return {kind: 'daemon-started', timestamp: null};
	}
	if (text.includes('Get ')) {
		const unreachable = classifyUnreachable(text);
		if (unreachable) return unreachable;
	}
	if (text.includes(': Unauthorized') && /\*v1\.|[Ff]ailed to (?:list|watch)|error getting pod/.test(text)) {
		return {kind: 'unauthorized', informer: informerOf(text), timestamp: null};
	}
	if (text.includes('[error]')) {
		const match = informerSync.exec(text);
		if (match) return {kind: 'informer-sync-failed', informer: match[1] === 'pod' ? 'pod' : 'net-attach-def', timestamp: null};
	}
	return null;
}

/** Parses every RBAC denial on the line; an informer's list/watch (pods, NADs) wins, else the first. */
function classifyForbidden(text: string): LogClassification | null {
	let first: LogClassification | null = null;
	const anchor = 'forbidden: User ';
	// A real line holds one or two messages; the cap bounds the work on pathological input.
	let budget = 64;
	for (let at = text.indexOf(anchor); at >= 0 && budget-- > 0; at = text.indexOf(anchor, at + anchor.length)) {
		afterUser.lastIndex = at + anchor.length;
		const message = afterUser.exec(text);
		if (!message) continue;
		const [, user = '', verb = '', resource, apiGroup = '', clusterScope, namespace, path] = message;
		const before = beforeForbidden.exec(text.slice(Math.max(0, at - beforeWindow), at));
		const qualifiedResource = before?.[1] ?? null;
		const name = before?.[2] ?? null;
		if (resource === undefined) {
			first ??= {kind: 'other-forbidden', user, verb, resource: path ?? '', apiGroup: '', namespace: null, timestamp: null};
			continue;
		}
		if (resource === 'pods' && apiGroup === '' && clusterScope !== undefined && (verb === 'list' || verb === 'watch') && qualifiedResource === 'pods' && name === null) {
			return {kind: 'pods-forbidden', informer: 'pod', verb, user, timestamp: null, source: isReflectorLine(text) ? 'reflector' : 'message'};
		}
		if (resource === nadResource && apiGroup === nadGroup && clusterScope !== undefined && (verb === 'list' || verb === 'watch') && qualifiedResource === `${nadResource}.${nadGroup}` && name === null) {
			return {kind: 'nads-forbidden', informer: 'net-attach-def', verb, user, timestamp: null, source: isReflectorLine(text) ? 'reflector' : 'message'};
		}
		if (first) continue;
		if (resource === 'pods' && apiGroup === '' && verb === 'get' && namespace !== undefined) {
			first = {kind: 'namespaced-get-forbidden', user, namespace, pod: name || null, timestamp: null};
		} else {
			first = {kind: 'other-forbidden', user, verb, resource, apiGroup, namespace: namespace ?? null, timestamp: null};
		}
	}
	return first;
}

function isReflectorLine(text: string): boolean {
	return text.includes('*v1.Pod') || text.includes('*v1.NetworkAttachmentDefinition') || text.includes('reflector') || /[Ff]ailed to (?:list|watch)/.test(text);
}

function classifyUnreachable(text: string): ApiserverUnreachableFinding | null {
	const request = apiRequest.exec(text);
	if (!request) return null;
	const rest = text.slice(request.index + request[0].length);
	const reason = networkErrors.find(error => rest.includes(error));
	if (reason === undefined) return null;
	const path = request[2] ?? '';
	const informer: InformerName | null = /\/pods(?:[/?]|$)/.test(path)
		? 'pod'
		: path.includes('/network-attachment-definitions')
			? 'net-attach-def'
			: informerOf(text);
	return {kind: 'apiserver-unreachable', reason, informer, timestamp: null};
}

function informerOf(text: string): InformerName | null {
	if (text.includes('*v1.Pod')) return 'pod';
	if (text.includes('*v1.NetworkAttachmentDefinition')) return 'net-attach-def';
	return null;
}

/**
 * The line's time as written: the RFC 3339 stamp of a CRI log file, `kubectl logs --timestamps` or multus's
 * logger; else klog's `mmdd hh:mm:ss.uuuuuu` (no year, no zone); else docker json-file's "time"; else null.
 */
export function extractTimestamp(text: string): string | null {
	try {
		const head = text.length > 512 ? text.slice(0, 512) : text;
		const rest = head.replace(kubectlPrefix, '');
		const stamp = rfc3339.exec(rest);
		if (stamp?.[1]) return stamp[1];
		const klog = klogHeader.exec(rest);
		if (klog?.[1]) return klog[1];
		if (rest.trimStart().startsWith('{')) return dockerTime.exec(text)?.[1] ?? null;
		return null;
	} catch {
		return null;
	}
}

const excerptAnchors = ['forbidden: User ', 'unknown (get ', 'Get ', ': Unauthorized', '[error]', '[verbose]'] as const;

/** The line shortened to at most `width` characters around the part that was classified, with … where cut. */
export function excerptOf(text: string, width = 200): string {
	const line = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
	if (line.length <= width) return line;
	const anchor = excerptAnchors.map(needle => line.indexOf(needle)).find(index => index >= 0) ?? 0;
	// Start a few words before the anchor so the resource (`pods is`) and its wrapper stay visible.
	let from = Math.max(0, anchor - 32);
	if (from > 0) {
		const wordStart = line.lastIndexOf(' ', from - 1) + 1;
		from = wordStart > 0 && from - wordStart <= 16 ? wordStart : Math.min(anchor, line.indexOf(' ', from) + 1 || anchor);
	}
	if (line.length - from <= width - 1) from = Math.max(0, line.length - (width - 1));
	const head = from > 0 ? '…' : '';
	const body = line.slice(from);
	return head.length + body.length <= width ? head + body : head + body.slice(0, width - head.length - 1) + '…';
}

export interface ScanOptions {
	/** How many detailed findings to keep, for the informer-forbidden families and for look-alikes each (default 1000). */
	maxFindings?: number;
	/** How many distinct (kind, verb, user) groups to count (default 1000); later ones only add to the totals. */
	maxGroups?: number;
	/** Lines longer than this many bytes are classified on their first maxLineBytes only (default 1 MiB). */
	maxLineBytes?: number;
}

export interface SeenAt {
	line: number;
	timestamp: string | null;
}

/** All lines of one kind, verb and user: how many, and where the first and last were. */
export interface FindingGroup {
	kind: FindingKind;
	/** The denied verb for the forbidden kinds, else null. */
	verb: string | null;
	user: string | null;
	count: number;
	first: SeenAt;
	last: SeenAt;
}

export interface ScanSummary {
	/** Lines read (a last line without a newline counts) and bytes read. */
	lines: number;
	bytes: number;
	/** How many lines were pods-forbidden, nads-forbidden, and look-alikes, in total. */
	podsForbidden: number;
	nadsForbidden: number;
	lookalikes: number;
	/** Pods-forbidden lines by denied verb, and the first and last of them. */
	podsForbiddenByVerb: Record<ForbiddenVerb, number>;
	firstPodsForbidden: SeenAt | null;
	lastPodsForbidden: SeenAt | null;
	/** NAD-forbidden lines by denied verb. */
	nadsForbiddenByVerb: Record<ForbiddenVerb, number>;
	/** The first and last line of either informer family. */
	firstForbidden: SeenAt | null;
	lastForbidden: SeenAt | null;
	/** The first maxFindings lines of either informer family (pods-forbidden, nads-forbidden), in order. */
	findings: InformerForbiddenLineFinding[];
	/** The daemon's start-up lines: how often it started, and the last "API readiness check done!". */
	daemonStarts: number;
	lastDaemonReady: SeenAt | null;
	/** The first maxFindings look-alike lines, in order. */
	lookalikeFindings: LookalikeLineFinding[];
	/** Counts by (kind, verb, user), in order of first appearance. */
	groups: FindingGroup[];
	/** True when findings, lookalikeFindings or groups hold fewer entries than the totals. */
	truncated: boolean;
	/** Lines cut to maxLineBytes before classification. */
	longLines: number;
}

/** A push-based scanner: feed chunks in order, then call end(). Memory stays bounded whatever the input size. */
export interface LogScanner {
	push(chunk: Uint8Array | string): void;
	end(): ScanSummary;
}

export function createLogScanner(options: ScanOptions = {}, onFinding?: (finding: LineFinding) => void): LogScanner {
	const maxFindings = options.maxFindings ?? 1000;
	const maxGroups = options.maxGroups ?? 1000;
	const maxLineBytes = Math.max(1, options.maxLineBytes ?? 1 << 20);
	const summary: ScanSummary = {
		lines: 0,
		bytes: 0,
		podsForbidden: 0,
		nadsForbidden: 0,
		lookalikes: 0,
		podsForbiddenByVerb: {list: 0, watch: 0},
		firstPodsForbidden: null,
		lastPodsForbidden: null,
		nadsForbiddenByVerb: {list: 0, watch: 0},
		firstForbidden: null,
		lastForbidden: null,
		findings: [],
		daemonStarts: 0,
		lastDaemonReady: null,
		lookalikeFindings: [],
		groups: [],
		truncated: false,
		longLines: 0,
	};
	const groups = new Map<string, FindingGroup>();
	// The partial line carried between chunks: its first maxLineBytes bytes, and its full length.
	let pending: Buffer[] = [];
	let pendingKept = 0;
	let pendingTotal = 0;

	function record(found: LogClassification, line: number, text: string): void {
		const finding = {line, ...found, excerpt: excerptOf(text)} as LineFinding;
		const seen = {line, timestamp: found.timestamp};
		if (found.kind === 'daemon-started' || found.kind === 'daemon-ready') {
			if (found.kind === 'daemon-started') summary.daemonStarts++;
			else summary.lastDaemonReady = seen;
			onFinding?.(finding);
			return;
		}
		if (isInformerForbidden(found)) {
			if (found.kind === 'pods-forbidden') {
				summary.podsForbidden++;
				summary.podsForbiddenByVerb[found.verb]++;
				summary.firstPodsForbidden ??= seen;
				summary.lastPodsForbidden = seen;
			} else {
				summary.nadsForbidden++;
				summary.nadsForbiddenByVerb[found.verb]++;
			}
			summary.firstForbidden ??= seen;
			summary.lastForbidden = seen;
			if (summary.findings.length < maxFindings) summary.findings.push(finding as InformerForbiddenLineFinding);
			else summary.truncated = true;
		} else {
			summary.lookalikes++;
			if (summary.lookalikeFindings.length < maxFindings) summary.lookalikeFindings.push(finding as LookalikeLineFinding);
			else summary.truncated = true;
		}
		const verb = 'verb' in found ? found.verb : found.kind === 'namespaced-get-forbidden' ? 'get' : null;
		const user = 'user' in found ? found.user : null;
		const key = `${found.kind}\u0000${verb ?? ''}\u0000${user ?? '\u0000'}`;
		const group = groups.get(key);
		if (group) {
			group.count++;
			group.last = seen;
		} else if (groups.size < maxGroups) {
			const created: FindingGroup = {kind: found.kind, verb, user, count: 1, first: seen, last: seen};
			groups.set(key, created);
			summary.groups.push(created);
		} else {
			summary.truncated = true;
		}
		onFinding?.(finding);
	}

	/** Classifies bytes [start, end) of buf as line number `line`: no newline or \r; fullLength is the line's real length. */
	function classifyBytes(buf: Buffer, start: number, end: number, line: number, fullLength: number): void {
		if (fullLength > maxLineBytes) summary.longLines++;
		if (end - start > maxLineBytes) end = start + maxLineBytes;
		const text = buf.toString('utf8', start, end);
		const found = classifyLine(text);
		if (found) record(found, line, text);
	}

	function countNewlines(buf: Buffer, from: number, to: number): number {
		let count = 0;
		for (let at = buf.indexOf(10, from); at >= 0 && at < to; at = buf.indexOf(10, at + 1)) count++;
		return count;
	}

	/** Scans whole lines: region ends with a newline. Only lines containing a needle are decoded. */
	function scanRegion(region: Buffer): void {
		const starts: number[] = [];
		for (const needle of needleBuffers) {
			let from = 0;
			for (;;) {
				const hit = region.indexOf(needle, from);
				if (hit < 0) break;
				const lineStart = hit === 0 ? 0 : region.lastIndexOf(10, hit - 1) + 1;
				starts.push(lineStart);
				const lineEnd = region.indexOf(10, hit);
				if (lineEnd < 0) break;
				from = lineEnd + 1;
			}
		}
		let line = summary.lines;
		let cursor = 0;
		if (starts.length > 0) {
			starts.sort((a, b) => a - b);
			let previous = -1;
			for (const start of starts) {
				if (start === previous) continue;
				previous = start;
				line += countNewlines(region, cursor, start);
				cursor = start;
				let end = region.indexOf(10, start);
				if (end > start && region[end - 1] === 13) end--;
				classifyBytes(region, start, end, line + 1, end - start);
			}
		}
		summary.lines = line + countNewlines(region, cursor, region.length);
	}

	function keepPending(part: Buffer): void {
		pendingTotal += part.length;
		const room = maxLineBytes + 1 - pendingKept; // one spare byte keeps a trailing \r visible at the limit
		if (room <= 0) return;
		const kept = part.length > room ? part.subarray(0, room) : part;
		pending.push(Buffer.from(kept));
		pendingKept += kept.length;
	}

	function flushPending(): void {
		const joined = pending.length === 1 && pending[0] ? pending[0] : Buffer.concat(pending, pendingKept);
		let total = pendingTotal;
		let end = joined.length;
		if (total === end && end > 0 && joined[end - 1] === 13) {
			end--;
			total--;
		}
		summary.lines++;
		classifyBytes(joined, 0, end, summary.lines, total);
		pending = [];
		pendingKept = 0;
		pendingTotal = 0;
	}

	return {
		push(input) {
			if (input.length === 0) return;
			const chunk = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
			summary.bytes += chunk.length;
			let start = 0;
			if (pendingTotal > 0) {
				const newline = chunk.indexOf(10);
				if (newline < 0) {
					keepPending(chunk);
					return;
				}
				keepPending(chunk.subarray(0, newline));
				flushPending();
				start = newline + 1;
			}
			const lastNewline = chunk.lastIndexOf(10);
			if (lastNewline >= start) {
				scanRegion(chunk.subarray(start, lastNewline + 1));
				start = lastNewline + 1;
			}
			if (start < chunk.length) keepPending(chunk.subarray(start));
		},
		end() {
			if (pendingTotal > 0) flushPending();
			return summary;
		},
	};
}

/** Scans a whole text held in memory (e.g. a pod's log tail). Same result as scanStream on the same bytes. */
export function scanText(text: string, options: ScanOptions = {}, onFinding?: (finding: LineFinding) => void): ScanSummary {
	const scanner = createLogScanner(options, onFinding);
	scanner.push(text);
	return scanner.end();
}

/** Scans a stream of log text chunk by chunk, in constant memory; chunks may split lines anywhere. */
export async function scanStream(
	input: NodeJS.ReadableStream | AsyncIterable<string | Uint8Array>,
	onFinding?: (finding: LineFinding) => void,
	options: ScanOptions = {},
): Promise<ScanSummary> {
	const scanner = createLogScanner(options, onFinding);
	for await (const chunk of input as AsyncIterable<string | Uint8Array>) scanner.push(chunk);
	return scanner.end();
}
