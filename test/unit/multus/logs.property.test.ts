import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import fc from 'fast-check';
import {classifyLine, scanStream, scanText} from '../../../source/multus/logs.js';

// The oracle, written independently of the classifier: drop every backslash (undoing any level of quote
// escaping) and look for the apiserver's exact sentence, or old client-go's undecoded watch denial.
const coreSentence = /pods is forbidden: User "[^"]+" cannot (list|watch) resource "pods" in API group "" at the cluster scope/;
function oracleSaysPodsForbidden(line: string): boolean {
	const plain = line.replaceAll('\\', '');
	return coreSentence.test(plain) || (line.includes('unknown (get pods)') && /watch/i.test(line));
}

// Fragments that real lines are made of, so random soups reach every branch of the classifier.
const fragments = [
	'pods', 'pods ', ' is ', 'is forbidden: User ', 'forbidden: User ', '"', '\\"', '\\\\\\"', '\\', 'system:serviceaccount:kube-system:multus',
	'system:multus:node-1', ' cannot ', 'list', 'watch', 'get', ' resource ', 'in API group ', ' at the cluster scope', ' in the namespace ',
	'unknown (get pods)', 'Failed to watch *v1.Pod: ', 'failed to list *v1.Pod: ', 'Get "https://10.96.0.1:443/api/v1/pods?limit=500": ',
	'dial tcp 10.96.0.1:443: connect: connection refused', ': Unauthorized', '[error] failed to sync pod informer cache', 'E1109 23:47:55.914887 1 r.go:1] ',
	'2023-11-13T11:23:01.338378331-06:00 stderr F ', '[pod/x/kube-multus] ', ' ', ':', 'é', '\u0000', '\ud800', '😀',
];
const soup = fc.array(fc.constantFrom(...fragments), {maxLength: 40}).map(parts => parts.join(''));
// Near misses: the apiserver's sentence with each slot usually right (the first value) and sometimes wrong.
const slot = (right: string, ...wrong: string[]): fc.Arbitrary<string> =>
	fc.oneof({weight: 17, arbitrary: fc.constant(right)}, {weight: 3, arbitrary: fc.constantFrom(...wrong)});
const nearMiss = fc
	.tuple(
		slot('', 'x', 'failed to list *v1.Pod: ', 'err=\"'),
		slot('pods', 'xpods', 'events', 'pods \"web-1\"', 'pods "web-1"', 'network-attachment-definitions.k8s.cni.cncf.io', 'Pods'),
		slot(' is forbidden: User ', ' is forbidden: user ', ' forbidden: User ', ' is forbidden:  User '),
		slot('"', '\\"', '\\\\\\"', "'", ''),
		slot('system:serviceaccount:kube-system:multus', 'system:multus:node-1', '', 'a"b', 'a\\b'),
		slot(' cannot ', ' can ', ' cannot  '),
		slot('list', 'watch', 'get', 'create', 'List', 'deletecollection'),
		slot(' resource ', ' resources '),
		slot('pods', 'events', 'pods/status', 'Pods', 'network-attachment-definitions'),
		slot(' in API group ', ' in group '),
		slot('', 'apps', 'k8s.cni.cncf.io'),
		slot(' at the cluster scope', ' in the namespace "default"', ' in the namespace \\"kube-system\\"', ' at the cluster', ''),
	)
	.map(([lead, qualified, forbidden, q, user, cannot, verb, resource, name, group, apiGroup, scope]) =>
		`${lead}${qualified}${forbidden}${q}${user}${q}${cannot}${verb}${resource}${q}${name}${q}${group}${q}${apiGroup}${q}${scope}`,
	);
const anyLine = fc.oneof(fc.string({unit: 'binary', maxLength: 400}), fc.string({unit: 'grapheme', maxLength: 200}), soup, nearMiss);

const dnsLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/);
const user = fc.oneof(
	fc.tuple(dnsLabel, dnsLabel).map(([namespace, account]) => `system:serviceaccount:${namespace}:${account}`),
	dnsLabel.map(node => `system:multus:${node}`),
);
const verb = fc.constantFrom<'list' | 'watch'>('list', 'watch');
const quote = fc.constantFrom('"', '\\"', '\\\\\\"');
/** A line of text with no line break and no backslash or quote at its end that could fuse with what follows. */
const noise = fc.string({unit: 'grapheme', maxLength: 80}).map(text => text.replace(/[\r\n]/g, ' '));

interface ErrorLine {
	line: string;
	verb: 'list' | 'watch';
	user: string | null;
}

const errorLine: fc.Arbitrary<ErrorLine> = fc.oneof(
	fc.record({verb, user, quote, wrapper: fc.constantFrom('plain-w', 'plain-e', 'unhandled', 'structured', 'bare')}).map(({verb, user, quote, wrapper}) => {
		const core = `pods is forbidden: User ${quote}${user}${quote} cannot ${verb} resource ${quote}pods${quote} in API group ${quote}${quote} at the cluster scope`;
		const listed = verb === 'list' ? `failed to list *v1.Pod: ${core}` : core;
		const line = {
			'plain-w': `W1109 23:47:55.914854 514945 reflector.go:533] k8s.io/client-go/informers/factory.go:150: ${listed}`,
			'plain-e': `E1109 23:47:55.914887 514945 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: ${listed}`,
			unhandled: `E0601 08:00:00.000002 12345 reflector.go:166] "Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Pod: ${listed}" logger="UnhandledError"`,
			structured: `E0217 12:30:45.678901 4366 reflector.go:205] "Failed to watch" err="${listed}" logger="UnhandledError" reflector="k8s.io/client-go/informers/factory.go:160" type="*v1.Pod"`,
			bare: core,
		}[wrapper];
		return {line: line ?? core, verb, user};
	}),
	fc.constant({line: 'E1113 17:23:01.338032 777873 reflector.go:148] k8s.io/client-go/informers/factory.go:150: Failed to watch *v1.Pod: unknown (get pods)', verb: 'watch' as const, user: null}),
);

describe('classifyLine properties', () => {
	test('never throws, and returns null or a known kind', () => {
		const kinds = new Set(['pods-forbidden', 'apiserver-unreachable', 'namespaced-get-forbidden', 'other-forbidden', 'unauthorized', 'informer-sync-failed', 'nads-forbidden', 'daemon-started', 'daemon-ready']);
		fc.assert(
			fc.property(anyLine, line => {
				const found = classifyLine(line);
				assert.ok(found === null || kinds.has(found.kind));
			}),
			{numRuns: 3000},
		);
	});

	test('flags pods-forbidden only when the line holds the pods list/watch denial', () => {
		fc.assert(
			fc.property(anyLine, line => {
				if (classifyLine(line)?.kind === 'pods-forbidden') assert.ok(oracleSaysPodsForbidden(line), line);
			}),
			{numRuns: 5000},
		);
	});

	test('finds every generated error line inside random prefixes and suffixes, with its verb and user', () => {
		fc.assert(
			fc.property(noise, fc.constantFrom(' ', ': ', '\t', '] '), errorLine, fc.constantFrom('', ' ', '; '), noise, (prefix, separator, error, join, suffix) => {
				const line = `${prefix}${separator}${error.line}${join}${suffix}`;
				const found = classifyLine(line);
				assert.equal(found?.kind, 'pods-forbidden', line);
				assert.equal(found.verb, error.verb);
				assert.equal(found.user, error.user);
			}),
			{numRuns: 3000},
		);
	});
});

describe('scanner properties', () => {
	const logLine = fc.oneof(
		{weight: 3, arbitrary: noise},
		{weight: 2, arbitrary: errorLine.map(error => error.line)},
		{weight: 1, arbitrary: soup.map(text => text.replace(/[\r\n]/g, ' '))},
		{weight: 1, arbitrary: fc.constantFrom('2024-11-25T16:44:01Z [error] failed to sync pod informer cache', 'W1 x: failed to list *v1.Pod: Get "https://10.96.0.1:443/api/v1/pods": dial tcp 10.96.0.1:443: i/o timeout')},
	);
	const log = fc.record({
		lines: fc.array(logLine, {maxLength: 30}),
		crlf: fc.boolean(),
		trailingNewline: fc.boolean(),
	}).map(({lines, crlf, trailingNewline}) => lines.join(crlf ? '\r\n' : '\n') + (trailingNewline && lines.length > 0 ? (crlf ? '\r\n' : '\n') : ''));

	test('scanText and scanStream agree under any chunking', async () => {
		await fc.assert(
			fc.asyncProperty(log, fc.array(fc.nat(), {maxLength: 12}), async (text, cuts) => {
				const bytes = Buffer.from(text, 'utf8');
				const points = [...new Set(cuts.map(cut => (bytes.length === 0 ? 0 : cut % bytes.length)))].sort((a, b) => a - b);
				const chunks: Buffer[] = [];
				let from = 0;
				for (const point of [...points, bytes.length]) {
					chunks.push(bytes.subarray(from, point));
					from = point;
				}
				const streamed = await scanStream(Readable.from(chunks, {objectMode: true}));
				assert.deepEqual(streamed, scanText(text));
			}),
			{numRuns: 500},
		);
	});

	test('line numbers match splitting the text and classifying each line', () => {
		fc.assert(
			fc.property(log, text => {
				const expected: Array<[number, string]> = [];
				const lines = text.split(/\r?\n/);
				if (lines.at(-1) === '') lines.pop();
				lines.forEach((line, index) => {
					const found = classifyLine(Buffer.from(line, 'utf8').toString('utf8'));
					if (found) expected.push([index + 1, found.kind]);
				});
				const summary = scanText(text);
				const actual = [...summary.findings, ...summary.lookalikeFindings].map((finding): [number, string] => [finding.line, finding.kind]).sort((a, b) => a[0] - b[0]);
				assert.deepEqual(actual, expected);
				assert.equal(summary.lines, lines.length);
			}),
			{numRuns: 500},
		);
	});
});
